package layer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// VerifyBlob returns a layer like l whose Compressed stream checks, once
// read to its end, that the blob hashes to l.Digest and is l.Size bytes
// long: a mismatch is the error of the Read that reaches the end (a
// *DigestMismatchError or a *CorruptError naming the layer by name, or by
// its digest when name is ""). Meant for layers passed on as they are
// (kept layers of a squash), whose bytes nothing else reads.
//
// Layers that already check themselves (a registry's, as they stream) and
// layers that are natively uncompressed (whose compressed form is made up
// as it is read) are returned as they are.
func VerifyBlob(l v1.Layer, name string) v1.Layer {
	if isRemote(l) || NativelyUncompressed(l) {
		return l
	}
	return &verifiedLayer{Layer: l, name: name}
}

type verifiedLayer struct {
	v1.Layer
	name string
}

func (l *verifiedLayer) Compressed() (io.ReadCloser, error) {
	want, err := l.Digest()
	if err != nil {
		return nil, err
	}
	size, err := l.Size()
	if err != nil {
		return nil, err
	}
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	name := l.name
	if name == "" {
		name = want.String()
	}
	return &verifyingReader{rc: rc, h: sha256.New(), want: want, size: size, name: name}, nil
}

type verifyingReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	n    int64
	want v1.Hash
	size int64
	name string
	done bool
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if n > 0 {
		r.h.Write(p[:n])
		r.n += int64(n)
	}
	if err == io.EOF && !r.done {
		r.done = true
		if r.n != r.size {
			return n, &CorruptError{Layer: r.name, Err: fmt.Errorf("blob is %d bytes, the manifest says %d", r.n, r.size)}
		}
		got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(r.h.Sum(nil))}
		if r.want.Algorithm == "sha256" && got != r.want {
			return n, &DigestMismatchError{Layer: r.name, Kind: KindDigest, Want: r.want, Got: got}
		}
	}
	return n, err
}

func (r *verifyingReader) Close() error { return r.rc.Close() }

// CheckBlob reads the blob of l as stored to its end, without
// decompressing it, and checks it: its sha256 and its length against l's
// digest and size; for a layer whose blob is its uncompressed tar (a
// docker-save archive's, see NativelyUncompressed), its sha256 against
// diffID. A registry's blob is checked by go-containerregistry as it
// streams. Errors are those of Walk (*DigestMismatchError, *CorruptError),
// naming the layer name (its digest when name is "").
func CheckBlob(ctx context.Context, l v1.Layer, diffID v1.Hash, name string) error {
	native := NativelyUncompressed(l)
	if name == "" {
		name = layerName(l, &options{diffID: &diffID}, native)
	}
	var (
		rc  io.ReadCloser
		err error
	)
	switch {
	case native:
		rc, err = l.Uncompressed()
	default:
		rc, err = VerifyBlob(l, name).Compressed()
	}
	if err != nil {
		return fmt.Errorf("opening layer %s: %w", name, err)
	}
	defer rc.Close()
	h := sha256.New()
	var w io.Writer = io.Discard
	if native {
		w = h
	}
	if _, err := io.CopyBuffer(w, &ctxReader{ctx: ctx, r: rc}, make([]byte, 1<<20)); err != nil {
		var dm *DigestMismatchError
		var ce *CorruptError
		if errors.As(err, &dm) || errors.As(err, &ce) || ctx.Err() != nil {
			return err
		}
		return &CorruptError{Layer: name, Err: fmt.Errorf("reading the blob: %w", err)}
	}
	if native {
		got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
		if got != diffID {
			return &DigestMismatchError{Layer: name, Kind: KindDiffID, Want: diffID, Got: got}
		}
	}
	return nil
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

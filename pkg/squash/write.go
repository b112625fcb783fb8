package squash

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	spoolpkg "github.com/whittle/whittle/pkg/spool"
)

// Compression names how the merged layer is compressed.
type Compression string

// Compressions of the merged layer.
const (
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
)

type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

func (hw *hashWriter) sum() v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(hw.h.Sum(nil))}
}

// writeLayer writes the merged layer's entries, their content read from
// spool, compressed, to a new file with no name in dir (spool.Create),
// counted against budget, and returns it as a layer.
func writeLayer(ctx context.Context, dir string, budget *spoolpkg.Budget, recs []*record, spool io.ReaderAt, c Compression, level int, mt types.MediaType, wrote func(int64)) (*fileLayer, int64, error) {
	f, err := spoolpkg.Create(dir, "whittle-squash-layer")
	if err != nil {
		return nil, 0, fmt.Errorf("creating layer file: %w", err)
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	bw := bufio.NewWriterSize(budget.Writer(f, "the merged layer"), 1<<20)
	blob := &hashWriter{w: bw, h: sha256.New()}
	zw, err := newCompressor(blob, c, level)
	if err != nil {
		return nil, 0, fmt.Errorf("starting %s compression: %w", c, err)
	}
	raw := &hashWriter{w: zw, h: sha256.New()}
	tw := tar.NewWriter(raw)
	sr := newSpoolReader(spool)
	var content, reported int64
	for i, r := range recs {
		if content-reported >= 8<<20 {
			wrote(content)
			reported = content
		}
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
		}
		h := r.header()
		if err := tw.WriteHeader(h); err != nil {
			return nil, 0, fmt.Errorf("writing entry %s: %w", r.path, err)
		}
		if h.Typeflag == tar.TypeReg && h.Size > 0 {
			if err := sr.copy(tw, recs, i); err != nil {
				return nil, 0, fmt.Errorf("writing content of %s: %w", r.path, err)
			}
			content += h.Size
		}
	}
	if err := tw.Close(); err != nil {
		return nil, 0, fmt.Errorf("closing tar stream: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, 0, fmt.Errorf("closing %s stream: %w", c, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, 0, fmt.Errorf("writing layer file: %w", err)
	}
	l := &fileLayer{f: f, digest: blob.sum(), diffID: raw.sum(), size: blob.n, mt: mt, compression: c}
	f = nil
	return l, content, nil
}

// fileLayer is the merged layer, stored compressed in a file with no name
// whose digests were computed while it was written. Its readers read the
// file at offsets, so any number may be open at once.
type fileLayer struct {
	f              *os.File
	digest, diffID v1.Hash
	size           int64
	mt             types.MediaType
	compression    Compression
}

var _ v1.Layer = (*fileLayer)(nil)

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return l.mt, nil }

func (l *fileLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(io.NewSectionReader(l.f, 0, l.size)), nil
}

func (l *fileLayer) Uncompressed() (io.ReadCloser, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(l.f, 0, l.size), 1<<16)
	if l.compression == Zstd {
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("opening merged layer: %w", err)
		}
		return &readCloser{Reader: zr, close: func() error { zr.Close(); return nil }}, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("opening merged layer: %w", err)
	}
	return &readCloser{Reader: zr, close: zr.Close}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r *readCloser) Close() error { return r.close() }

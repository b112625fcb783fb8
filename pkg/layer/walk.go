package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/whittle/whittle/pkg/spool"
)

// Compression names how a layer blob is stored.
type Compression string

// Compressions Walk recognises.
const (
	Uncompressed Compression = "none"
	Gzip         Compression = "gzip"
	Zstd         Compression = "zstd"
)

// Whiteout markers of the OCI image layer specification.
const (
	WhiteoutPrefix = ".wh."
	// OpaqueMarker, as the base name of an entry, hides every entry of LOWER
	// layers under the entry's directory.
	OpaqueMarker = ".wh..wh..opq"
	// metaPrefix starts aufs metadata names (.wh..wh.plnk, .wh..wh.aufs)
	// other than the opaque marker; they carry no file.
	metaPrefix = ".wh..wh."
)

// Entry is one tar entry of a layer, handed to Walk's callback.
type Entry struct {
	// Path is the cleaned path, relative to the root, without a leading
	// slash: "./a/b", "/a/b" and "a//b" are all "a/b". Never "" or ".".
	Path string
	// Header is the tar header as read; Header.Name is not cleaned.
	Header *tar.Header
	// Link is, for a hard link (tar.TypeLink), its cleaned target path
	// (relative to the root like Path); for a symlink, Header.Linkname as
	// written (symlinks are never followed). "" for other entries.
	Link string
	// Reader reads a regular file's content. It is valid only until the
	// callback returns; the rest of the content is skipped afterwards.
	Reader io.Reader
}

// Sparse reports whether the entry is a sparse file (GNU sparse, old or
// PAX): Header.Size is then its logical size and Reader yields zeros for
// the holes, so reading it can take far longer than the layer's bytes
// suggest (a few kB of tar can declare a terabyte). Callers that read
// content should skip or bound sparse entries.
func (e *Entry) Sparse() bool {
	if e.Header.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range e.Header.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// Info describes the layer stream Walk read.
type Info struct {
	// Digest is the sha256 of the blob as stored (equal to DiffID when the
	// blob is an uncompressed tar): hashed and checked by Walk, or, with
	// WithBlobDigestCheck(false), the digest the layer declares.
	Digest v1.Hash
	// DiffID is the sha256 of the uncompressed tar stream.
	DiffID v1.Hash
	// Compression is the compression found by magic bytes.
	Compression Compression
	// MediaType is the layer's declared media type.
	MediaType types.MediaType
	// CompressedSize is the byte length of the blob as stored,
	// UncompressedSize that of the tar stream.
	CompressedSize   int64
	UncompressedSize int64
	// Entries counts the entries handed to the callback.
	Entries int64
}

// Option configures Walk.
type Option func(*options) error

type options struct {
	diffID     *v1.Hash
	digest     *v1.Hash
	name       string
	skipVerify bool
	noBlobHash bool
	limits     *Limits // nil: DefaultLimits()
	prefetch   *Prefetch
}

// WithDiffID gives the expected diff_id (from the image config), so that
// Walk need not ask the layer, which may hash the whole layer to answer.
func WithDiffID(h v1.Hash) Option {
	return func(o *options) error {
		if h.Algorithm != "sha256" || len(h.Hex) != 64 {
			return fmt.Errorf("invalid diff_id %q", h)
		}
		o.diffID = &h
		return nil
	}
}

// WithDigest gives the expected digest of the compressed blob (from the
// manifest).
func WithDigest(h v1.Hash) Option {
	return func(o *options) error {
		if h.Algorithm != "sha256" || len(h.Hex) != 64 {
			return fmt.Errorf("invalid digest %q", h)
		}
		o.digest = &h
		return nil
	}
}

// WithName sets the layer name used in errors (default: its digest).
func WithName(name string) Option {
	return func(o *options) error {
		o.name = name
		return nil
	}
}

// WithoutVerify skips the digest checks (the stream is still read to its
// end). Meant for callers that verify elsewhere.
func WithoutVerify(skip bool) Option {
	return func(o *options) error {
		o.skipVerify = skip
		return nil
	}
}

// WithBlobDigestCheck turns the sha256 of the compressed blob on or off
// (default on). Off, the blob is not hashed: its length is checked against
// the size the layer declares, and its content through the diff_id, which
// covers every byte of the uncompressed tar. A corrupt compressed stream
// still fails (gzip and zstd check their own frames). Info.Digest is then
// the digest the layer declares. The diff_id is checked either way. Meant
// for readers that only look at the content (analysis); a caller that
// passes the blob on as it is should keep the check.
func WithBlobDigestCheck(on bool) Option {
	return func(o *options) error {
		o.noBlobHash = !on
		return nil
	}
}

// Walk calls fn for every entry of the layer, in tar order, then verifies
// the layer's digests. See WalkInfo.
func Walk(ctx context.Context, l v1.Layer, fn func(e *Entry) error, opts ...Option) error {
	_, err := WalkInfo(ctx, l, fn, opts...)
	return err
}

// WalkInfo calls fn for every entry of the layer, in tar order, reading the
// stream exactly once and to its end, and returns what it learnt of the
// stream. The root entry ("./") is not handed to fn. An error returned by
// fn stops the walk and is returned as is. Errors of the stream itself are
// typed: *UnsafeEntryError, *InvalidEntryError (Entry.Check),
// *DigestMismatchError, *CorruptError, *LimitError (see Limits: the walk stops as soon as a limit is passed,
// never after reading what a bomb expands to). (A layer
// from a registry has its blob digest checked by go-containerregistry's
// remote package as it streams; a mismatch there is a *CorruptError.)
func WalkInfo(ctx context.Context, l v1.Layer, fn func(e *Entry) error, opts ...Option) (Info, error) {
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return Info{}, fmt.Errorf("configuring layer walk: %w", err)
		}
	}
	var info Info
	info.MediaType = MediaType(l)
	native := NativelyUncompressed(l)
	name := o.name
	if name == "" {
		name = layerName(l, &o, native)
	}

	// A remote layer verifies its blob's digest as it streams
	// (go-containerregistry's remote package): hashing it again would
	// only cost time.
	selfVerified := !native && isRemote(l)
	// declared: the blob's digest is not hashed here, either because the
	// source checks it or because the caller only needs the content.
	declared := selfVerified || (!native && o.noBlobHash)

	// The tar stream: from the blob, or from a prefetch of it (which the
	// walk checks as it checks the blob, and completes from the blob
	// where it fell short).
	var (
		s   *stream
		pr  *prefetchReader
		dec io.Reader
	)
	if c, ok := o.prefetch.wait(l); ok && !native {
		pr = &prefetchReader{p: o.prefetch, open: func() (*stream, error) {
			return openStream(ctx, l, &o, name, native)
		}}
		defer pr.close()
		info.Compression, dec = c, pr
	} else {
		var err error
		if s, err = openStream(ctx, l, &o, name, native); err != nil {
			return info, err
		}
		defer s.close()
		info.Compression, dec = s.compression, s.dec
	}
	// The tar stream is read (decompressed) on one goroutine and its
	// diff_id hashed on another, ahead of the parsing here, in chunks
	// that every stage reads in place.
	tarStream := NewHashAhead(dec, sha256.New())
	defer tarStream.Close()
	lim := DefaultLimits()
	if o.limits != nil {
		lim = *o.limits
	}

	tr := tar.NewReader(tarStream)
	var e Entry
	er := &entryReader{r: tr, layer: name} // one for the walk: Entry.Reader is valid only during the callback
	for {
		if info.Entries&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return info, err
			}
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *LimitError
		if errors.As(err, &le) {
			return info, le
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return info, &CorruptError{Layer: name, Err: fmt.Errorf("reading tar: %w", err)}
		}
		p, ok := Clean(hdr.Name)
		if !ok {
			return info, &UnsafeEntryError{Layer: name, Name: hdr.Name}
		}
		if p == "" || hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // the root directory itself; pax global headers
		}
		if lim.MaxEntryBytes > 0 && hdr.Size > lim.MaxEntryBytes {
			return info, &LimitError{Layer: name, Entry: p, Kind: LimitEntry, Limit: float64(lim.MaxEntryBytes), Got: hdr.Size}
		}
		er.path = p
		e = Entry{Path: p, Header: hdr, Reader: er}
		switch hdr.Typeflag {
		case tar.TypeLink:
			t, ok := Clean(hdr.Linkname)
			if !ok || t == "" {
				return info, &UnsafeEntryError{Layer: name, Name: hdr.Name, Linkname: hdr.Linkname}
			}
			e.Link = t
		case tar.TypeSymlink:
			e.Link = hdr.Linkname
		}
		if err := e.Check(name); err != nil {
			return info, err
		}
		info.Entries++
		if err := fn(&e); err != nil {
			return info, err
		}
	}
	// Read to the end of the tar stream (padding after the end-of-archive
	// blocks belongs to the diff_id), then to the end of the blob.
	if _, err := io.Copy(io.Discard, tarStream); err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return info, le
		}
		return info, &CorruptError{Layer: name, Err: fmt.Errorf("reading to the end of the tar stream: %w", err)}
	}
	diffID := tarStream.Sum() // the reading ahead has stopped: the stream is ours again
	var blobSum []byte
	if pr != nil && pr.fb == nil {
		// All of the tar stream came from the prefetch, which read the
		// blob to its end.
		info.CompressedSize, blobSum = pr.blob()
	} else {
		if pr != nil {
			s = pr.fb
		}
		if _, err := io.Copy(io.Discard, s.br); err != nil {
			return info, &CorruptError{Layer: name, Err: fmt.Errorf("reading to the end of the blob: %w", err)}
		}
		info.CompressedSize = s.blob.n
		if s.blob.h != nil {
			blobSum = s.blob.h.Sum(nil)
		}
	}
	info.DiffID = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(diffID)}
	info.UncompressedSize = tarStream.N()
	blobIsTar := info.Compression == Uncompressed && !declared
	if declared {
		h := o.digest
		if h == nil {
			d, err := l.Digest()
			if err != nil {
				return info, fmt.Errorf("reading digest of layer %s: %w", name, err)
			}
			h = &d
		}
		info.Digest = *h
	} else if blobIsTar {
		info.Digest = info.DiffID
	} else {
		info.Digest = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(blobSum)}
	}
	if o.skipVerify {
		return info, nil
	}
	want := o.diffID
	if want == nil {
		h, err := l.DiffID()
		if err != nil {
			return info, fmt.Errorf("reading diff_id of layer %s: %w", name, err)
		}
		want = &h
	}
	if *want != info.DiffID {
		return info, &DigestMismatchError{Layer: name, Kind: KindDiffID, Want: *want, Got: info.DiffID}
	}
	if native {
		// The blob read is the uncompressed stream itself; a digest the
		// source reports would be of a compressed form it made up.
		info.Digest = info.DiffID
		return info, nil
	}
	if !selfVerified {
		// The length must be the declared one, hashed or not: a
		// manifest that says another size than its blob's is refused
		// by every reader, whatever else it checks.
		if size, err := l.Size(); err == nil && size != info.CompressedSize {
			return info, &CorruptError{Layer: name, Err: fmt.Errorf("blob is %d bytes, the manifest says %d", info.CompressedSize, size)}
		}
	}
	if declared {
		return info, nil
	}
	wantDigest := o.digest
	if wantDigest == nil {
		if h, err := l.Digest(); err == nil {
			wantDigest = &h
		}
	}
	if wantDigest != nil && *wantDigest != info.Digest {
		return info, &DigestMismatchError{Layer: name, Kind: KindDigest, Want: *wantDigest, Got: info.Digest}
	}
	return info, nil
}

// Clean cleans a tar entry name or hard link target into a path relative to
// the root without a leading slash ("" for the root itself). ok is false
// when the name escapes the root ("..", "../x", "a/../../x").
func Clean(name string) (p string, ok bool) {
	p = path.Clean(strings.TrimLeft(name, "/"))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	if p == "." {
		return "", true
	}
	return strings.TrimLeft(p, "/"), true
}

func detect(magic []byte, mt types.MediaType) Compression {
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return Gzip
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	case len(magic) < 2 && mt == types.OCILayerZStd:
		return Zstd // too short to tell; let the decoder report it
	case len(magic) < 2 && (mt == types.OCILayer || mt == types.DockerLayer):
		return Gzip
	}
	return Uncompressed
}

// MediaType is the media type of l as Info reports it: the one l declares,
// but for the plain .tar layers of a docker-save archive, which
// go-containerregistry labels as gzip: those are said to be what they are
// (types.DockerUncompressedLayer).
func MediaType(l v1.Layer) types.MediaType {
	mt, _ := l.MediaType()
	if NativelyUncompressed(l) && (mt == types.DockerLayer || mt == "") {
		return types.DockerUncompressedLayer
	}
	return mt
}

// NativelyUncompressed reports whether the layer comes from
// go-containerregistry's partial.UncompressedToLayer extender (a
// docker-save archive with plain .tar layers, for one): its Compressed,
// Digest and Size would gzip the whole layer just to answer, so Walk reads
// its uncompressed stream, and the blob as stored is that stream.
func NativelyUncompressed(l v1.Layer) bool {
	return fmt.Sprintf("%T", l) == "*partial.uncompressedLayerExtender"
}

// isRemote reports whether l streams from a registry through
// go-containerregistry's remote package, which verifies the blob digest.
func isRemote(l v1.Layer) bool {
	_, ok := l.(*remote.MountableLayer)
	return ok
}

func layerName(l v1.Layer, o *options, native bool) string {
	if o.digest != nil {
		return o.digest.String()
	}
	if o.diffID != nil {
		return o.diffID.String()
	}
	if native {
		if h, err := l.DiffID(); err == nil {
			return h.String()
		}
		return "(unknown)"
	}
	if h, err := l.Digest(); err == nil {
		return h.String()
	}
	return "(unknown)"
}

// stream is a layer's blob opened for a walk: the blob, counted and (unless
// its digest is taken as declared) hashed, and its tar stream, decompressed
// and held to the limits.
type stream struct {
	rc          io.ReadCloser
	blob        *hashCounter
	br          *bufio.Reader
	zr          io.Closer // the decoder, if any
	dec         io.Reader
	compression Compression
}

// openStream opens l's blob (its uncompressed stream when native) for a
// walk named name.
func openStream(ctx context.Context, l v1.Layer, o *options, name string, native bool) (*stream, error) {
	var (
		rc  io.ReadCloser
		err error
	)
	if native {
		rc, err = l.Uncompressed()
	} else {
		rc, err = l.Compressed()
	}
	if err != nil {
		return nil, fmt.Errorf("opening layer %s: %w", name, err)
	}
	s := &stream{rc: rc}
	declared := !native && (isRemote(l) || o.noBlobHash)
	// Reading stops once ctx is done, within one read of the blob, even
	// in the middle of an entry that is being skipped.
	s.blob = &hashCounter{r: spool.Reader(ctx, rc)}
	if !declared {
		s.blob.h = sha256.New()
	}
	s.br = bufio.NewReaderSize(s.blob, 1<<16)
	magic, _ := s.br.Peek(4)
	s.compression = detect(magic, MediaType(l))
	switch s.compression {
	case Gzip:
		zr, err := gzip.NewReader(s.br)
		if err != nil {
			rc.Close()
			return nil, &CorruptError{Layer: name, Err: fmt.Errorf("opening gzip stream: %w", err)}
		}
		s.zr, s.dec = zr, zr
	case Zstd:
		zr, err := zstd.NewReader(s.br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			rc.Close()
			return nil, &CorruptError{Layer: name, Err: fmt.Errorf("opening zstd stream: %w", err)}
		}
		s.zr, s.dec = zstdCloser{zr}, zr
	default:
		s.dec = s.br
	}
	lim := DefaultLimits()
	if o.limits != nil {
		lim = *o.limits
	}
	s.dec = &limitReader{r: s.dec, l: lim, compressed: s.blob, ratio: s.compression != Uncompressed, layer: name}
	// An uncompressed blob is the tar stream itself: its digest is the
	// diff_id, hashed once.
	if s.compression == Uncompressed {
		s.blob.h = nil
	}
	return s, nil
}

type zstdCloser struct{ d *zstd.Decoder }

func (z zstdCloser) Close() error { z.d.Close(); return nil }

func (s *stream) close() {
	if s.zr != nil {
		s.zr.Close()
	}
	s.rc.Close()
}

type hashCounter struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (c *hashCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		if c.h != nil {
			c.h.Write(p[:n])
		}
		c.n += int64(n)
	}
	return n, err
}

// entryReader types the errors of reading an entry's content.
type entryReader struct {
	r           io.Reader
	layer, path string
}

func (r *entryReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	var le *LimitError
	if err != nil && err != io.EOF && !errors.As(err, &le) {
		err = &CorruptError{Layer: r.layer, Err: fmt.Errorf("reading entry %s: %w", r.path, err)}
	}
	return n, err
}

package synth

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Kind is the kind of a declared entry.
type Kind int

// Entry kinds.
const (
	KindFile     Kind = iota // regular file with Content
	KindDir                  // directory
	KindSymlink              // symlink to Target
	KindHardlink             // hard link to Target (a path in the image)
	KindWhiteout             // ".wh.NAME" hiding Path in lower layers
	KindOpaque               // ".wh..wh..opq" in directory Path
	KindFifo                 // named pipe (a non-regular, non-directory entry)
)

// Entry is one declared tar entry.
type Entry struct {
	Kind Kind
	// Path as written in the tar (callers may write "./a" or "/a" to test
	// path cleaning). For KindWhiteout, the path hidden (the entry written
	// is dir/.wh.base); for KindOpaque, the directory ("" for the root).
	Path    string
	Content []byte
	// Size, when > 0 and Content is nil, makes Content Size bytes of a
	// pattern seeded by Seed (files of equal Size and Seed are equal).
	Size   int64
	Seed   uint64
	Target string
	Mode   int64
	// Name, when set, overrides the raw tar name (for unsafe-path tests).
	Name string
}

// File declares a regular file with content.
func File(p, content string) Entry { return Entry{Kind: KindFile, Path: p, Content: []byte(content)} }

// Dir declares a directory.
func Dir(p string) Entry { return Entry{Kind: KindDir, Path: p} }

// Symlink declares a symlink at p pointing to target.
func Symlink(p, target string) Entry { return Entry{Kind: KindSymlink, Path: p, Target: target} }

// Hardlink declares a hard link at p to the path target.
func Hardlink(p, target string) Entry { return Entry{Kind: KindHardlink, Path: p, Target: target} }

// Whiteout declares a whiteout of p (written as dir/.wh.base).
func Whiteout(p string) Entry { return Entry{Kind: KindWhiteout, Path: p} }

// Opaque declares an opaque marker in directory dir.
func Opaque(dir string) Entry { return Entry{Kind: KindOpaque, Path: dir} }

// Layer is one declared layer.
type Layer struct {
	Entries []Entry
	// Compression: "gzip" (default ""), "zstd" or "none".
	Compression string
	// CreatedBy becomes this layer's history entry when Image.History is nil.
	CreatedBy string
}

// Image declares an image.
type Image struct {
	Layers []Layer
	// History, when non-nil, is the config history as given (with
	// empty_layer entries where wanted); when nil, one entry per layer
	// from Layer.CreatedBy. Use NoHistory for an image without history.
	History []v1.History
	// NoHistory writes no history at all.
	NoHistory bool
	// OCI makes OCI media types (default Docker schema 2).
	OCI bool
}

// Build builds the declared image in memory.
func Build(spec Image) (v1.Image, error) {
	img := empty.Image
	if spec.OCI {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	adds := make([]mutate.Addendum, 0, len(spec.Layers))
	for i, l := range spec.Layers {
		ly, err := NewLayer(l, spec.OCI)
		if err != nil {
			return nil, fmt.Errorf("building layer %d: %w", i, err)
		}
		adds = append(adds, mutate.Addendum{Layer: ly, History: v1.History{CreatedBy: l.CreatedBy}})
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	switch {
	case spec.NoHistory:
		cfg.History = nil
	case spec.History != nil:
		cfg.History = spec.History
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting config: %w", err)
	}
	return img, nil
}

// NewLayer builds one declared layer.
func NewLayer(l Layer, oci bool) (v1.Layer, error) {
	raw, err := TarBytes(l.Entries)
	if err != nil {
		return nil, err
	}
	return CompressedLayer(raw, l.Compression, oci)
}

// CompressedLayer makes a layer of an uncompressed tar stream, compressed
// as named ("gzip" or "", "zstd", "none").
func CompressedLayer(raw []byte, compression string, oci bool) (v1.Layer, error) {
	var (
		blob []byte
		mt   types.MediaType
	)
	switch compression {
	case "", "gzip":
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(raw)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		blob, mt = buf.Bytes(), types.DockerLayer
		if oci {
			mt = types.OCILayer
		}
	case "zstd":
		zw, err := zstd.NewWriter(nil)
		if err != nil {
			return nil, err
		}
		blob, mt = zw.EncodeAll(raw, nil), types.OCILayerZStd
		zw.Close()
	case "none":
		blob, mt = raw, types.DockerUncompressedLayer
		if oci {
			mt = types.OCIUncompressedLayer
		}
	default:
		return nil, fmt.Errorf("unknown compression %q", compression)
	}
	return RawLayer(blob, mt, Digest(raw), Digest(blob)), nil
}

// Digest is the sha256 of b.
func Digest(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// RawLayer declares a layer exactly: its blob, media type and the diff_id
// and digest it claims (which may be wrong, to test verification).
// Uncompressed returns the blob decompressed by its magic bytes.
func RawLayer(blob []byte, mt types.MediaType, diffID, digest v1.Hash) v1.Layer {
	return &rawLayer{blob: blob, mt: mt, diffID: diffID, digest: digest}
}

type rawLayer struct {
	blob           []byte
	mt             types.MediaType
	diffID, digest v1.Hash
}

var _ v1.Layer = (*rawLayer)(nil)

func (l *rawLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *rawLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *rawLayer) Size() (int64, error)                { return int64(len(l.blob)), nil }
func (l *rawLayer) MediaType() (types.MediaType, error) { return l.mt, nil }
func (l *rawLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}

func (l *rawLayer) Uncompressed() (io.ReadCloser, error) {
	switch {
	case bytes.HasPrefix(l.blob, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bytes.NewReader(l.blob))
		if err != nil {
			return nil, err
		}
		return zr, nil
	case bytes.HasPrefix(l.blob, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(bytes.NewReader(l.blob))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}

// epoch is the fixed modification time of every entry (reproducible blobs).
var epoch = time.Unix(1700000000, 0).UTC()

// TarBytes writes the entries as an uncompressed tar stream, in order.
func TarBytes(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := WriteEntry(tw, e); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteEntry writes one declared entry to tw.
func WriteEntry(tw *tar.Writer, e Entry) error {
	hdr := &tar.Header{Name: e.Path, Mode: e.Mode, ModTime: epoch, Format: tar.FormatPAX}
	var content []byte
	switch e.Kind {
	case KindFile:
		hdr.Typeflag = tar.TypeReg
		content = e.Content
		if content == nil && e.Size > 0 {
			content = Pattern(e.Size, e.Seed)
		}
		hdr.Size = int64(len(content))
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
	case KindDir:
		hdr.Typeflag = tar.TypeDir
		if hdr.Mode == 0 {
			hdr.Mode = 0o755
		}
	case KindSymlink:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.Target
		hdr.Mode = 0o777
	case KindHardlink:
		hdr.Typeflag, hdr.Linkname = tar.TypeLink, e.Target
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
	case KindWhiteout:
		dir, base := path.Split(e.Path)
		hdr.Typeflag, hdr.Name = tar.TypeReg, dir+".wh."+base
	case KindOpaque:
		hdr.Typeflag, hdr.Name = tar.TypeReg, path.Join(e.Path, ".wh..wh..opq")
	case KindFifo:
		hdr.Typeflag = tar.TypeFifo
		hdr.Mode = 0o644
	default:
		return fmt.Errorf("unknown entry kind %d", e.Kind)
	}
	if e.Name != "" {
		hdr.Name = e.Name
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing %s: %w", hdr.Name, err)
	}
	if len(content) > 0 {
		if _, err := tw.Write(content); err != nil {
			return fmt.Errorf("writing %s: %w", hdr.Name, err)
		}
	}
	return nil
}

// Pattern returns n bytes determined by seed: equal (n, seed) give equal
// bytes, different seeds give different bytes.
func Pattern(n int64, seed uint64) []byte {
	b := make([]byte, n)
	FillPattern(b, seed)
	return b
}

// FillPattern fills b with the pattern of seed (xorshift, cheap and not
// compressible to nothing).
func FillPattern(b []byte, seed uint64) {
	x := seed*0x9E3779B97F4A7C15 + 1
	for i := 0; i < len(b); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(x >> (8 * j))
		}
	}
}

// SparseTar returns a tar stream holding one GNU sparse file (PAX format
// 1.0) named name, of logical size realSize, with a single data byte 'x'
// at offset 0: a few kB that read as realSize bytes. Go's tar writer
// cannot write sparse files, so the stream is made by hand.
func SparseTar(name string, realSize int64) []byte {
	rec := func(k, v string) string {
		s := " " + k + "=" + v + "\n"
		n := len(s) + 1
		for len(strconv.Itoa(n))+len(s) != n {
			n++
		}
		return strconv.Itoa(n) + s
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	pax := rec("GNU.sparse.major", "1") + rec("GNU.sparse.minor", "0") +
		rec("GNU.sparse.name", name) + rec("GNU.sparse.realsize", strconv.FormatInt(realSize, 10))
	tw.WriteHeader(&tar.Header{Name: "PaxHeader", Typeflag: tar.TypeReg, Size: int64(len(pax)), Format: tar.FormatUSTAR, ModTime: epoch})
	tw.Write([]byte(pax))
	data := make([]byte, 512) // the sparse map: 1 entry, offset 0, 1 byte
	copy(data, "1\n0\n1\n")
	data = append(data, 'x')
	tw.WriteHeader(&tar.Header{Name: "sparse-data", Typeflag: tar.TypeReg, Size: int64(len(data)), Format: tar.FormatUSTAR, ModTime: epoch})
	tw.Write(data)
	tw.Close()
	b := buf.Bytes()
	// Turn the first header into a PAX extended header and fix its
	// checksum.
	b[156] = tar.TypeXHeader
	for i := 148; i < 156; i++ {
		b[i] = ' '
	}
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

package imageref

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// span locates a regular file's content inside a tar file.
type span struct {
	offset, size int64
}

// tarFile is a tar archive indexed once by a header scan: each regular
// file's content is then served as a section of the file, never extracted.
type tarFile struct {
	path    string
	entries map[string]span
	lim     Limits
}

// indexTar scans the headers of the tar at p and records where each regular
// file's content lies. Hard links, and symbolic links that stay inside the
// archive, resolve to their target's content. Entries whose names escape the
// archive root are refused.
func indexTar(ctx context.Context, p string) (*tarFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t := &tarFile{path: p, entries: map[string]span{}}
	symlinks := map[string]string{}
	tr := tar.NewReader(f)
	first := true
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if first {
			if nt := notTar(f, err); nt != nil {
				return nil, nt
			}
			first = false
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("reading tar headers: the archive is truncated: %w", err)
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar headers: %w", err)
		}
		n, err := cleanEntryName(hdr.Name)
		if err != nil {
			return nil, err
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			// tar.Reader reads whole 512-byte blocks and nothing more, so
			// after Next the file sits at the start of the entry's content.
			off, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, fmt.Errorf("locating tar entry %q: %w", hdr.Name, err)
			}
			t.entries[n] = span{offset: off, size: hdr.Size}
			delete(symlinks, n)
		case tar.TypeLink:
			target, err := cleanEntryName(hdr.Linkname)
			if err != nil {
				return nil, err
			}
			s, ok := t.entries[target]
			if !ok {
				return nil, fmt.Errorf("tar entry %q links to missing %q", hdr.Name, hdr.Linkname)
			}
			t.entries[n] = s
			delete(symlinks, n)
		case tar.TypeSymlink:
			target := hdr.Linkname
			if !path.IsAbs(target) {
				target = path.Join(path.Dir(n), target)
			}
			if target, err = cleanEntryName(target); err == nil {
				symlinks[n] = target
			}
			delete(t.entries, n)
		}
	}
	for n, target := range symlinks {
		for range 8 { // follow short chains of links
			if next, ok := symlinks[target]; ok {
				target = next
				continue
			}
			break
		}
		if s, ok := t.entries[target]; ok {
			t.entries[n] = s
		}
	}
	return t, nil
}

// ustarMagicAt is the offset of the "ustar" magic in a tar header block.
const ustarMagicAt = 257

// notTar tells, from the error of the first tar.Reader.Next on f, whether
// f is no tar archive at all: an empty file, a first block that fails the
// header checksum, or a file shorter than one block with no tar magic.
// It returns nil for a tar, truncated or not.
func notTar(f *os.File, err error) error {
	if err == nil {
		return nil
	}
	fi, serr := f.Stat()
	if serr != nil {
		return nil
	}
	switch {
	case errors.Is(err, io.EOF) && fi.Size() == 0:
		return fmt.Errorf("%w (empty file)", ErrNotTar)
	case errors.Is(err, tar.ErrHeader):
		return fmt.Errorf("%w (no tar header at offset 0)", ErrNotTar)
	case errors.Is(err, io.ErrUnexpectedEOF) && fi.Size() < 512:
		head := make([]byte, fi.Size())
		if _, rerr := f.ReadAt(head, 0); rerr != nil && !errors.Is(rerr, io.EOF) {
			return nil
		}
		if len(head) >= ustarMagicAt+5 && bytes.Equal(head[ustarMagicAt:ustarMagicAt+5], []byte("ustar")) {
			return nil // a real header, cut short
		}
		return fmt.Errorf("%w (no tar header at offset 0)", ErrNotTar)
	}
	return nil
}

// cleanEntryName makes a tar entry name relative and clean, refusing names
// that escape the archive root.
func cleanEntryName(n string) (string, error) {
	c := path.Clean(strings.TrimPrefix(n, "./"))
	if path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("refusing tar entry %q: it escapes the archive root", n)
	}
	return c, nil
}

func (t *tarFile) has(n string) bool {
	_, ok := t.entries[n]
	return ok
}

// open returns the content of entry n. The file is opened for each reader
// and closed with it.
func (t *tarFile) open(n string) (io.ReadCloser, int64, error) {
	s, ok := t.entries[n]
	if !ok {
		return nil, 0, fmt.Errorf("%s: %w", n, os.ErrNotExist)
	}
	f, err := os.Open(t.path)
	if err != nil {
		return nil, 0, err
	}
	return sectionReadCloser{SectionReader: io.NewSectionReader(f, s.offset, s.size), f: f}, s.size, nil
}

type sectionReadCloser struct {
	*io.SectionReader
	f *os.File
}

func (s sectionReadCloser) Close() error { return s.f.Close() }

// blobSource serves the files of an OCI image layout, packed in a tar
// (tarFile) or in a directory (dirFile), by their names in the layout.
type blobSource interface {
	open(name string) (io.ReadCloser, int64, error)
	// limits bounds the metadata read whole.
	limits() Limits
	// checksLayers reports whether layer blobs are hashed as they are
	// read (metadata blobs always are).
	checksLayers() bool
}

var (
	_ blobSource = (*tarFile)(nil)
	_ blobSource = dirFile{}
)

// readSmall reads a whole metadata file: what it is ("index", "manifest"
// or "config") says which limit holds.
func readSmall(s blobSource, n, what string) ([]byte, error) {
	rc, size, err := s.open(n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if err := s.limits().check(what, n, size); err != nil {
		return nil, err
	}
	return io.ReadAll(rc)
}

func (t *tarFile) readSmall(n, what string) ([]byte, error) { return readSmall(t, n, what) }

func (t *tarFile) limits() Limits { return t.lim }

func (t *tarFile) checksLayers() bool { return true }

// checksLayers is false for a layout directory, read as
// go-containerregistry's layout package reads it: a layer's content is
// checked through its diff_id, its compressed bytes only when asked
// (layer.WithBlobDigestCheck), and its length always.
func (d dirFile) checksLayers() bool { return false }

func blobName(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// blob opens the blob h, verifying its digest (and size, when want >= 0) as
// it is read.
func blob(s blobSource, h v1.Hash, want int64) (io.ReadCloser, int64, error) {
	if h.Algorithm != "sha256" || !isHex64(h.Hex) {
		return nil, 0, fmt.Errorf("blob %s: unsupported digest algorithm", h)
	}
	rc, size, err := s.open(blobName(h))
	if err != nil {
		return nil, 0, fmt.Errorf("blob %s not in archive: %w", h, err)
	}
	if want >= 0 && size != want {
		rc.Close()
		return nil, 0, fmt.Errorf("blob %s: archive holds %d bytes, descriptor says %d", h, size, want)
	}
	return &verifyingReader{rc: rc, h: sha256.New(), want: h, left: size}, size, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// blobBytes reads a metadata blob whole, verified: what it is ("index",
// "manifest" or "config") says which limit holds.
func blobBytes(s blobSource, h v1.Hash, want int64, what string) ([]byte, error) {
	if err := s.limits().check(what, h.String(), want); err != nil {
		return nil, err
	}
	rc, size, err := blob(s, h, want)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if err := s.limits().check(what, h.String(), size); err != nil {
		return nil, err
	}
	return io.ReadAll(rc)
}

// dirFile is an OCI image layout directory: its files are opened where
// they are, and only regular files are served (a FIFO or a device named
// as a blob would block or never end).
type dirFile struct {
	root string
	lim  Limits
}

func (d dirFile) limits() Limits { return d.lim }

func (d dirFile) open(n string) (io.ReadCloser, int64, error) {
	p := filepath.Join(d.root, filepath.FromSlash(n))
	fi, err := os.Stat(p)
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is not a regular file", n)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, err
	}
	return sectionReadCloser{SectionReader: io.NewSectionReader(f, 0, fi.Size()), f: f}, fi.Size(), nil
}

// verifyingReader checks the sha256 of what it reads when it reaches EOF.
type verifyingReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want v1.Hash
	left int64
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.left -= int64(n)
	if errors.Is(err, io.EOF) {
		if v.left != 0 {
			return n, fmt.Errorf("blob %s: %w", v.want, io.ErrUnexpectedEOF)
		}
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Hex {
			return n, fmt.Errorf("blob %s: content has digest sha256:%s", v.want, got)
		}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }

// tarIndex is an OCI image index stored in an archive: the top-level
// index.json, or an index blob.
type tarIndex struct {
	t   blobSource
	raw []byte
	mt  types.MediaType
}

var _ v1.ImageIndex = (*tarIndex)(nil)

func (x *tarIndex) MediaType() (types.MediaType, error) {
	if x.mt != "" {
		return x.mt, nil
	}
	var probe struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	if err := json.Unmarshal(x.raw, &probe); err == nil && probe.MediaType != "" {
		return probe.MediaType, nil
	}
	return types.OCIImageIndex, nil
}

func (x *tarIndex) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(x.raw))
	return h, err
}

func (x *tarIndex) Size() (int64, error) { return int64(len(x.raw)), nil }

func (x *tarIndex) IndexManifest() (*v1.IndexManifest, error) {
	return v1.ParseIndexManifest(bytes.NewReader(x.raw))
}

func (x *tarIndex) RawManifest() ([]byte, error) { return x.raw, nil }

func (x *tarIndex) findDescriptor(h v1.Hash) (v1.Descriptor, error) {
	im, err := x.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, d := range im.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("%w: %s is not in the index", ErrNotFound, h)
}

func (x *tarIndex) Image(h v1.Hash) (v1.Image, error) {
	d, err := x.findDescriptor(h)
	if err != nil {
		return nil, err
	}
	raw, err := blobBytes(x.t, h, d.Size, "manifest")
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", h, err)
	}
	mt := d.MediaType
	if m.MediaType != "" {
		mt = m.MediaType
	}
	return partial.CompressedToImage(&tarImage{t: x.t, raw: raw, manifest: m, mt: mt})
}

func (x *tarIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	d, err := x.findDescriptor(h)
	if err != nil {
		return nil, err
	}
	raw, err := blobBytes(x.t, h, d.Size, "index")
	if err != nil {
		return nil, err
	}
	return &tarIndex{t: x.t, raw: raw, mt: d.MediaType}, nil
}

// tarImage is an image manifest stored in an archive; partial turns it into
// a v1.Image whose layers follow the manifest's order.
type tarImage struct {
	t        blobSource
	raw      []byte
	manifest *v1.Manifest
	mt       types.MediaType

	once     sync.Once
	byDigest map[v1.Hash]int
	diffIDs  []v1.Hash // the config's, when as many as the layers
}

var _ partial.CompressedImageCore = (*tarImage)(nil)

func (i *tarImage) RawConfigFile() ([]byte, error) {
	return blobBytes(i.t, i.manifest.Config.Digest, i.manifest.Config.Size, "config")
}

func (i *tarImage) MediaType() (types.MediaType, error) { return i.mt, nil }

func (i *tarImage) RawManifest() ([]byte, error) { return i.raw, nil }

// index maps the layers' digests to their places once (looking each up
// in the manifest made reading n layers cost n squared), and learns their
// diff_ids from the config.
func (i *tarImage) index() {
	i.once.Do(func() {
		i.byDigest = make(map[v1.Hash]int, len(i.manifest.Layers))
		for k, d := range i.manifest.Layers {
			if _, ok := i.byDigest[d.Digest]; !ok {
				i.byDigest[d.Digest] = k
			}
		}
		raw, err := i.RawConfigFile()
		if err != nil {
			return // reported by whoever reads the config
		}
		cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
		if err == nil && len(cfg.RootFS.DiffIDs) == len(i.manifest.Layers) {
			i.diffIDs = cfg.RootFS.DiffIDs
		}
	})
}

func (i *tarImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == i.manifest.Config.Digest {
		return &tarLayer{t: i.t, desc: i.manifest.Config}, nil
	}
	i.index()
	k, ok := i.byDigest[h]
	if !ok {
		return nil, fmt.Errorf("blob %s is not in the manifest", h)
	}
	l := &tarLayer{t: i.t, desc: i.manifest.Layers[k]}
	if i.diffIDs != nil {
		return &tarLayerDiffID{tarLayer: l, diffID: i.diffIDs[k]}, nil
	}
	return l, nil
}

// tarLayer is a layer blob stored in an archive or a layout.
type tarLayer struct {
	t    blobSource
	desc v1.Descriptor
}

var _ partial.CompressedLayer = (*tarLayer)(nil)

func (l *tarLayer) Digest() (v1.Hash, error) { return l.desc.Digest, nil }

func (l *tarLayer) Compressed() (io.ReadCloser, error) {
	if !l.t.checksLayers() {
		if h := l.desc.Digest; h.Algorithm != "sha256" || !isHex64(h.Hex) {
			return nil, fmt.Errorf("blob %s: unsupported digest algorithm", h)
		}
		rc, size, err := l.t.open(blobName(l.desc.Digest))
		if err == nil && size != l.desc.Size {
			rc.Close()
			return nil, fmt.Errorf("blob %s: the layout holds %d bytes, the manifest says %d", l.desc.Digest, size, l.desc.Size)
		}
		return rc, err
	}
	rc, _, err := blob(l.t, l.desc.Digest, l.desc.Size)
	return rc, err
}

func (l *tarLayer) Size() (int64, error) { return l.desc.Size, nil }

func (l *tarLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

// Descriptor lets partial keep annotations and URLs of the manifest entry.
func (l *tarLayer) Descriptor() (*v1.Descriptor, error) { d := l.desc; return &d, nil }

// tarLayerDiffID is a layer whose diff_id the config gives (as a
// registry's or go-containerregistry's layout's do), so that asking for
// it neither decompresses the layer nor parses the manifest and the
// config again (partial.BlobToDiffID), which for every layer would cost n
// squared.
type tarLayerDiffID struct {
	*tarLayer
	diffID v1.Hash
}

func (l *tarLayerDiffID) DiffID() (v1.Hash, error) { return l.diffID, nil }

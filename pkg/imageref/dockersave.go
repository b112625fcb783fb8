package imageref

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/pkg/layer"
)

// This file reads the image of a `docker save` archive (manifest.json) in
// place, through the archive's index: every file is found in constant time
// and the config is parsed once. go-containerregistry's tarball package,
// which it replaces for reading, scans the archive from its start for each
// file it opens and parses the config again for each layer, so that an
// image of n layers cost time in n squared (2000 layers: 59 s). The images
// made here behave as tarball's do: plain .tar layers are
// partial.UncompressedToLayer layers (layer.NativelyUncompressed), and
// compressed ones have their digests computed once, when the manifest is
// first asked for.

// loadSaveManifest reads and parses manifest.json.
func loadSaveManifest(t *tarFile) (tarball.Manifest, error) {
	raw, err := t.readSmall("manifest.json", "manifest")
	if err != nil {
		return nil, err
	}
	var m tarball.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// pickSaved returns the descriptor of the image tagged tag (nil: the only
// image), or an error naming the images there are.
func pickSaved(m tarball.Manifest, tag string) (*tarball.Descriptor, error) {
	var all []string
	for i, d := range m {
		if len(d.RepoTags) == 0 {
			all = append(all, fmt.Sprintf("#%d (untagged, config %s)", i, d.Config))
		}
		all = append(all, d.RepoTags...)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%w: manifest.json lists no images", ErrNotFound)
	}
	if tag == "" {
		if len(m) > 1 {
			return nil, &AmbiguousError{Images: all}
		}
		return &m[0], nil
	}
	want, err := name.NewTag(tag)
	if err != nil {
		return nil, err
	}
	for i, d := range m {
		for _, rt := range d.RepoTags {
			if have, err := name.NewTag(rt); err == nil && have.Name() == want.Name() {
				return &m[i], nil
			}
		}
	}
	return nil, fmt.Errorf("%w: no image tagged %q (available: %s)", ErrNotFound, tag, strings.Join(all, ", "))
}

// savedImage opens the image d of a `docker save` archive.
func savedImage(t *tarFile, d *tarball.Descriptor) (v1.Image, error) {
	cfgName, err := cleanEntryName(d.Config)
	if err != nil {
		return nil, err
	}
	raw, err := t.readSmall(cfgName, "config")
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return nil, err // it names the config
	}
	if err != nil {
		return nil, fmt.Errorf("reading config %s: %w", d.Config, err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing config %s: %w", d.Config, err)
	}
	s := &saved{t: t, desc: d, config: raw, diffIDs: cfg.RootFS.DiffIDs, byDiffID: map[v1.Hash]int{}}
	for _, p := range d.Layers {
		n, err := cleanEntryName(p)
		if err != nil {
			return nil, err
		}
		if !t.has(n) {
			return nil, fmt.Errorf("layer %s is not in the archive", p)
		}
		s.layers = append(s.layers, n)
	}
	if len(s.diffIDs) != len(s.layers) {
		return nil, &layer.CountError{DiffIDs: len(s.diffIDs), Layers: len(s.layers)}
	}
	for i, h := range s.diffIDs {
		if _, ok := s.byDiffID[h]; !ok {
			s.byDiffID[h] = i // equal diff_ids name equal content
		}
	}
	if len(s.layers) > 0 {
		compressed, err := s.compressed()
		if err != nil {
			return nil, err
		}
		if compressed {
			return partial.CompressedToImage(&savedCompressed{saved: s})
		}
	}
	return partial.UncompressedToImage(&savedUncompressed{saved: s})
}

// saved is what the uncompressed and the compressed forms share.
type saved struct {
	t        *tarFile
	desc     *tarball.Descriptor
	config   []byte
	diffIDs  []v1.Hash
	layers   []string // cleaned names in the archive, in order
	byDiffID map[v1.Hash]int
}

func (s *saved) RawConfigFile() ([]byte, error) { return s.config, nil }

func (s *saved) MediaType() (types.MediaType, error) { return types.DockerManifestSchema2, nil }

// compressed reports whether the first layer is gzip or zstd, as tarball
// decides for the whole image.
func (s *saved) compressed() (bool, error) {
	rc, _, err := s.t.open(s.layers[0])
	if err != nil {
		return false, err
	}
	defer rc.Close()
	head := make([]byte, 4)
	n, err := io.ReadFull(rc, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, fmt.Errorf("reading layer %s: %w", s.desc.Layers[0], err)
	}
	head = head[:n]
	return bytes.HasPrefix(head, gzipMagic) || bytes.HasPrefix(head, zstdMagic), nil
}

func (s *saved) open(i int) (io.ReadCloser, error) {
	rc, _, err := s.t.open(s.layers[i])
	return rc, err
}

// savedUncompressed is an image of plain .tar layers.
type savedUncompressed struct{ *saved }

var _ partial.UncompressedImageCore = (*savedUncompressed)(nil)

func (s *savedUncompressed) LayerByDiffID(h v1.Hash) (partial.UncompressedLayer, error) {
	i, ok := s.byDiffID[h]
	if !ok {
		return nil, fmt.Errorf("diff_id %s is not in the config", h)
	}
	l := &savedLayer{s: s.saved, i: i, mt: types.DockerLayer}
	if bd, ok := s.desc.LayerSources[h]; ok &&
		bd.MediaType != types.DockerUncompressedLayer && bd.MediaType != types.OCIUncompressedLayer {
		// A foreign layer keeps its descriptor (URLs) and media type.
		l.mt = bd.MediaType
		return &foreignSavedLayer{savedLayer: l, desc: bd}, nil
	}
	return l, nil
}

// savedLayer is a plain .tar layer.
type savedLayer struct {
	s  *saved
	i  int
	mt types.MediaType
}

var _ partial.UncompressedLayer = (*savedLayer)(nil)

func (l *savedLayer) DiffID() (v1.Hash, error) { return l.s.diffIDs[l.i], nil }

func (l *savedLayer) Uncompressed() (io.ReadCloser, error) { return l.s.open(l.i) }

func (l *savedLayer) MediaType() (types.MediaType, error) { return l.mt, nil }

type foreignSavedLayer struct {
	*savedLayer
	desc v1.Descriptor
}

func (l *foreignSavedLayer) Descriptor() (*v1.Descriptor, error) { d := l.desc; return &d, nil }

// savedCompressed is an image of gzip or zstd layers: their digests are
// computed once, reading each layer, when the manifest is first needed.
type savedCompressed struct {
	*saved
	once     sync.Once
	manifest []byte
	byDigest map[v1.Hash]int
	descs    []v1.Descriptor
	err      error
}

var _ partial.CompressedImageCore = (*savedCompressed)(nil)

func (s *savedCompressed) build() {
	s.once.Do(func() {
		h, size, err := v1.SHA256(bytes.NewReader(s.config))
		if err != nil {
			s.err = err
			return
		}
		m := &v1.Manifest{
			SchemaVersion: 2,
			MediaType:     types.DockerManifestSchema2,
			Config:        v1.Descriptor{MediaType: types.DockerConfigJSON, Size: size, Digest: h},
		}
		s.byDigest = map[v1.Hash]int{}
		for i := range s.layers {
			d, ok := s.desc.LayerSources[s.diffIDs[i]]
			if !ok {
				rc, err := s.open(i)
				if err != nil {
					s.err = err
					return
				}
				h, size, err := v1.SHA256(rc)
				rc.Close()
				if err != nil {
					s.err = fmt.Errorf("reading layer %s: %w", s.desc.Layers[i], err)
					return
				}
				d = v1.Descriptor{MediaType: types.DockerLayer, Size: size, Digest: h}
			}
			m.Layers = append(m.Layers, d)
			if _, ok := s.byDigest[d.Digest]; !ok {
				s.byDigest[d.Digest] = i
			}
		}
		s.descs = m.Layers
		s.manifest, s.err = json.Marshal(m)
	})
}

func (s *savedCompressed) RawManifest() ([]byte, error) {
	s.build()
	return s.manifest, s.err
}

func (s *savedCompressed) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	s.build()
	if s.err != nil {
		return nil, s.err
	}
	i, ok := s.byDigest[h]
	if !ok {
		return nil, fmt.Errorf("blob %s is not in the manifest", h)
	}
	return &savedBlob{s: s.saved, i: i, desc: s.descs[i]}, nil
}

// savedBlob is a compressed layer. It knows its diff_id from the config,
// so that nothing decompresses it just to answer DiffID.
type savedBlob struct {
	s    *saved
	i    int
	desc v1.Descriptor
}

var _ partial.CompressedLayer = (*savedBlob)(nil)

func (l *savedBlob) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *savedBlob) DiffID() (v1.Hash, error)            { return l.s.diffIDs[l.i], nil }
func (l *savedBlob) Compressed() (io.ReadCloser, error)  { return l.s.open(l.i) }
func (l *savedBlob) Size() (int64, error)                { return l.desc.Size, nil }
func (l *savedBlob) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

// SavedLayerPaths returns the paths of the image's layers as the
// manifest.json of a `docker save` archive names them ("<id>/layer.tar" in
// the legacy format, "blobs/sha256/<hex>" in Docker Engine 25's), for the
// image r picks (its tag, or the only image). ok is false when r is not a
// docker-archive: with a manifest.json (an OCI layout packed in a tar, a
// registry, an engine). opts are those Image takes (its limits apply).
func (r Ref) SavedLayerPaths(ctx context.Context, opts ...Option) (paths []string, ok bool, err error) {
	if r.kind != Archive {
		return nil, false, nil
	}
	o, err := makeOptions(opts)
	if err != nil {
		return nil, false, err
	}
	t, err := indexTar(ctx, r.path)
	if err != nil {
		return nil, false, err
	}
	t.lim = o.limits
	if !t.has("manifest.json") {
		return nil, false, nil
	}
	m, err := loadSaveManifest(t)
	if err != nil {
		return nil, false, fmt.Errorf("reading manifest.json: %w", err)
	}
	d, err := pickSaved(m, r.tag)
	if err != nil {
		return nil, false, err
	}
	return d.Layers, true, nil
}

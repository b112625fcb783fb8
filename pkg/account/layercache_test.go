package account

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/layer"
	"github.com/whittle/whittle/pkg/layercache"
)

// byteCounter counts the bytes read of a layer's content, compressed or
// not.
type byteCounter struct {
	v1.Layer
	n *atomic.Int64
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}

func (l byteCounter) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	return countingReader{rc, l.n}, err
}

func (l byteCounter) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Uncompressed()
	return countingReader{rc, l.n}, err
}

// countingImage is img whose layers count the bytes read of them.
type countingImage struct {
	v1.Image
	n *atomic.Int64
}

func (im countingImage) Layers() ([]v1.Layer, error) {
	ls, err := im.Image.Layers()
	for k, l := range ls {
		ls[k] = byteCounter{l, im.n}
	}
	return ls, err
}

// plainImage serves an image's layers as plain tars, the way a
// docker-save archive of uncompressed layers does
// (partial.UncompressedToImage: layer.NativelyUncompressed), counting the
// bytes read of them.
type plainImage struct {
	cfg    []byte
	layers map[v1.Hash][]byte
	n      *atomic.Int64
}

type plainLayer struct {
	diffID v1.Hash
	raw    []byte
	n      *atomic.Int64
}

func (l plainLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l plainLayer) Uncompressed() (io.ReadCloser, error) {
	return countingReader{io.NopCloser(bytes.NewReader(l.raw)), l.n}, nil
}
func (l plainLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

func (im plainImage) RawConfigFile() ([]byte, error)      { return im.cfg, nil }
func (im plainImage) MediaType() (types.MediaType, error) { return types.DockerManifestSchema2, nil }
func (im plainImage) LayerByDiffID(h v1.Hash) (partial.UncompressedLayer, error) {
	return plainLayer{h, im.layers[h], im.n}, nil
}

func plainOf(t *testing.T, img v1.Image, n *atomic.Int64) v1.Image {
	t.Helper()
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	p := plainImage{cfg: cfg, layers: map[v1.Hash][]byte{}, n: n}
	ls, _ := img.Layers()
	for _, l := range ls {
		d, _ := l.DiffID()
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		p.layers[d], _ = io.ReadAll(rc)
		rc.Close()
	}
	out, err := partial.UncompressedToImage(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reportJSON is the report as --format json would hold it, with what that
// leaves out (see fullJSON).
func reportJSON(t *testing.T, img v1.Image, opts ...Option) string {
	t.Helper()
	rep, err := Analyze(context.Background(), img, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return fullJSON(t, rep)
}

// fullJSON is the report's JSON with the fields --format json leaves out
// (captured content, visible paths), visible paths sorted.
func fullJSON(t *testing.T, rep *Report) string {
	t.Helper()
	sortVisible(rep)
	b, err := json.Marshal(struct {
		*Report
		Captured      []CapturedFile
		VisibleFiles  []VisibleFile
		VisibleOthers []VisibleOther
	}{rep, rep.Captured, rep.VisibleFiles, rep.VisibleOthers})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func openCache(t *testing.T, dir string) *layercache.Cache {
	t.Helper()
	c, err := layercache.Open(dir, layercache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cacheImages are synthetic images of every kind of entry and blob.
func cacheImages(t *testing.T) map[string]v1.Image {
	t.Helper()
	dpkg := "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\nVersion: 2\n"
	base := synth.Layer{Entries: []synth.Entry{
		synth.Dir("etc"), synth.File("etc/a", "aaaa"), synth.Symlink("etc/l", "a"),
		synth.File("var/lib/dpkg/status", dpkg), synth.File("var/lib/dpkg/info/a.list", "/etc/a\n"),
		{Kind: synth.KindFile, Path: "usr/bin/big", Size: 300000, Seed: 1},
		{Kind: synth.KindFile, Path: "usr/bin/copy", Size: 300000, Seed: 1},
		{Kind: synth.KindFile, Path: "usr/lib/mode", Content: []byte("m"), Mode: 0o4755},
		synth.File("var/lib/dpkg/empty", ""),
		synth.Dir("tmp"), synth.File("tmp/x", "tmp"), synth.Dir("opt/o"), synth.File("opt/o/a", "o"),
	}}
	mid := synth.Layer{Entries: []synth.Entry{
		synth.Whiteout("tmp/x"), synth.Opaque("opt/o"), synth.File("opt/o/b", "new"),
		synth.Hardlink("etc/h", "etc/a"), {Kind: synth.KindFifo, Path: "run/p"},
		synth.File("var/lib/dpkg/status", dpkg+"\nPackage: c\nStatus: install ok installed\nVersion: 3\n"),
	}, Compression: "zstd"}
	top := synth.Layer{Entries: []synth.Entry{synth.File("app/main", "main"), synth.File("etc/a", "over")}, Compression: "none"}
	build := func(spec synth.Image) v1.Image {
		img, err := synth.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	// Entries with owners, which synth does not write.
	var owned bytes.Buffer
	tw := tar.NewWriter(&owned)
	for k, name := range []string{"home/u/", "home/u/f", "home/u/s"} {
		h := &tar.Header{Name: name, Uid: 1000 + k, Gid: 50 + k, Mode: 0o750, Typeflag: tar.TypeReg, Size: 3}
		switch k {
		case 0:
			h.Typeflag, h.Size = tar.TypeDir, 0
		case 2:
			h.Typeflag, h.Size, h.Linkname = tar.TypeSymlink, 0, "f"
		}
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte("own"))
		}
	}
	tw.Close()
	ownedLayer, err := synth.CompressedLayer(owned.Bytes(), "gzip", false)
	if err != nil {
		t.Fatal(err)
	}
	docker, err := mutate.AppendLayers(build(synth.Image{Layers: []synth.Layer{base, mid, top}}), ownedLayer)
	if err != nil {
		t.Fatal(err)
	}
	imgs := map[string]v1.Image{
		"docker":    docker,
		"oci":       build(synth.Image{Layers: []synth.Layer{base, mid, top}, OCI: true}),
		"same-base": build(synth.Image{Layers: []synth.Layer{base, {Entries: []synth.Entry{synth.File("other", "x")}}}}),
	}
	p, err := synth.Large(context.Background(), t.TempDir(), synth.LargeSpec{Layers: 3, Files: 1200, Bytes: 1 << 20, Seed: 3, Packages: 20})
	if err != nil {
		t.Fatal(err)
	}
	lp, err := layout.FromPath(p)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := lp.ImageIndex()
	m, _ := idx.IndexManifest()
	if imgs["large"], err = idx.Image(m.Manifests[0].Digest); err != nil {
		t.Fatal(err)
	}
	return imgs
}

// cacheOptions are those of whittle analyze with package attribution and
// those of whittle diff.
var cacheOptions = []Option{WithCapture([]string{"/var/lib/dpkg", "/lib/apk/db"}), WithVisiblePaths(true), WithJobs(2)}

// TestLayerCacheFigures: the account is the same without a cache, with a
// cold one and with a warm one; the warm analysis reads no byte of any
// layer, a new process sharing the directory neither.
func TestLayerCacheFigures(t *testing.T) {
	imgs := cacheImages(t)
	for _, name := range []string{"docker", "oci", "large"} {
		t.Run(name, func(t *testing.T) {
			img := imgs[name]
			want := reportJSON(t, img, cacheOptions...)
			dir := t.TempDir()
			var read atomic.Int64
			counted := countingImage{img, &read}
			c := openCache(t, dir)
			if got := reportJSON(t, counted, append(cacheOptions, WithLayerCache(c))...); got != want {
				t.Fatalf("cold cache: the report differs\n got %s\nwant %s", got, want)
			}
			if read.Load() == 0 {
				t.Fatal("the cold analysis read nothing")
			}
			n, _ := img.Layers()
			if s := c.Stats(); s.Written != int64(len(n)) || s.Found != 0 {
				t.Errorf("cold stats %+v", s)
			}
			read.Store(0)
			c = openCache(t, dir) // another run
			if got := reportJSON(t, counted, append(cacheOptions, WithLayerCache(c))...); got != want {
				t.Fatalf("warm cache: the report differs\n got %s\nwant %s", got, want)
			}
			if read.Load() != 0 {
				t.Errorf("the warm analysis read %d bytes of layers", read.Load())
			}
			if s := c.Stats(); s.Found != int64(len(n)) || s.Written != 0 {
				t.Errorf("warm stats %+v", s)
			}
			// Options that keep less are served from the same entries.
			less := []Option{WithDuplicates(false), WithVisibleFiles(true)}
			want = reportJSON(t, img, less...)
			if got := reportJSON(t, counted, append(less, WithLayerCache(c))...); got != want || read.Load() != 0 {
				t.Errorf("warm cache without duplicates: read %d bytes; equal report %v", read.Load(), got == want)
			}
			// Another capture is read once, then served too.
			other := []Option{WithCapture([]string{"/etc"}), WithCaptureLimits(3, 100)}
			want = reportJSON(t, img, other...)
			for run := 0; run < 2; run++ {
				read.Store(0)
				if got := reportJSON(t, counted, append(other, WithLayerCache(c))...); got != want {
					t.Errorf("run %d with another capture: the report differs", run)
				}
				if (read.Load() == 0) != (run == 1) {
					t.Errorf("run %d with another capture read %d bytes", run, read.Load())
				}
			}
			// With blob digests, the blobs are read (not decompressed) and
			// checked, and the report is the same.
			read.Store(0)
			want = reportJSON(t, img, append(cacheOptions, WithBlobDigests(true))...)
			if got := reportJSON(t, counted, append(cacheOptions, WithBlobDigests(true), WithLayerCache(c))...); got != want {
				t.Error("warm cache with blob digests: the report differs")
			}
			var blobs int64
			for _, l := range n {
				s, _ := l.Size()
				blobs += s
			}
			if read.Load() != blobs {
				t.Errorf("with blob digests, read %d bytes, the blobs hold %d", read.Load(), blobs)
			}
		})
	}
}

// TestLayerCachePlainTars: a docker-save archive's plain tar layers, whose
// blob is the tar itself, are served from the cache too.
func TestLayerCachePlainTars(t *testing.T) {
	var read atomic.Int64
	img := plainOf(t, cacheImages(t)["docker"], &read)
	want := reportJSON(t, img, cacheOptions...)
	dir := t.TempDir()
	for run := 0; run < 2; run++ {
		read.Store(0)
		if got := reportJSON(t, img, append(cacheOptions, WithLayerCache(openCache(t, dir)))...); got != want {
			t.Fatalf("run %d: the report differs\n got %s\nwant %s", run, got, want)
		}
		if (read.Load() == 0) != (run == 1) {
			t.Errorf("run %d read %d bytes", run, read.Load())
		}
	}
}

// TestLayerCacheSharedBase: another image holding a cached layer reads
// only its own.
func TestLayerCacheSharedBase(t *testing.T) {
	imgs := cacheImages(t)
	dir := t.TempDir()
	reportJSON(t, imgs["docker"], append(cacheOptions, WithLayerCache(openCache(t, dir)))...)
	var read atomic.Int64
	other := imgs["same-base"]
	want := reportJSON(t, other, cacheOptions...)
	if got := reportJSON(t, countingImage{other, &read}, append(cacheOptions, WithLayerCache(openCache(t, dir)))...); got != want {
		t.Fatal("the report differs")
	}
	ls, _ := other.Layers()
	top, _ := ls[1].Size()
	if read.Load() != top {
		t.Errorf("read %d bytes, the image's own layer is %d", read.Load(), top)
	}
}

// TestLayerCacheInvalid: a corrupt or truncated entry is ignored and
// rewritten; the account is the same.
func TestLayerCacheInvalid(t *testing.T) {
	img := cacheImages(t)["docker"]
	want := reportJSON(t, img, cacheOptions...)
	dir := t.TempDir()
	reportJSON(t, img, append(cacheOptions, WithLayerCache(openCache(t, dir)))...)
	entries, _ := filepath.Glob(filepath.Join(dir, "*.layer"))
	if len(entries) != 4 {
		t.Fatalf("entries %v", entries)
	}
	b, _ := os.ReadFile(entries[0])
	b[len(b)/2] ^= 1
	os.WriteFile(entries[0], b, 0o644)
	os.Truncate(entries[1], 100)
	var read atomic.Int64
	c := openCache(t, dir)
	if got := reportJSON(t, countingImage{img, &read}, append(cacheOptions, WithLayerCache(c))...); got != want {
		t.Fatal("the report differs")
	}
	if s := c.Stats(); s.Invalid != 2 || s.Found != 2 || s.Written != 2 || read.Load() == 0 {
		t.Errorf("stats %+v, read %d", s, read.Load())
	}
	read.Store(0)
	c = openCache(t, dir)
	reportJSON(t, countingImage{img, &read}, append(cacheOptions, WithLayerCache(c))...)
	if s := c.Stats(); s.Found != 4 || read.Load() != 0 {
		t.Errorf("after rewriting: stats %+v, read %d", s, read.Load())
	}
}

// TestLayerCacheConcurrent: analyses sharing one cache directory at once
// all succeed with the same account.
func TestLayerCacheConcurrent(t *testing.T) {
	imgs := cacheImages(t)
	dir := t.TempDir()
	var wg sync.WaitGroup
	for k := 0; k < 6; k++ {
		name := []string{"docker", "oci", "same-base"}[k%3]
		want := reportJSON(t, imgs[name], cacheOptions...)
		wg.Go(func() {
			for run := 0; run < 2; run++ {
				rep, err := Analyze(context.Background(), imgs[name], append(cacheOptions, WithLayerCache(openCache(t, dir)))...)
				if err != nil {
					t.Error(err)
					return
				}
				if fullJSON(t, rep) != want {
					t.Errorf("%s: the report differs", name)
				}
			}
		})
	}
	wg.Wait()
}

// TestLayerCacheLimits: a layer cached under some limits is read again
// under stricter ones, which refuse it as they would without a cache.
func TestLayerCacheLimits(t *testing.T) {
	img := cacheImages(t)["docker"]
	dir := t.TempDir()
	reportJSON(t, img, WithLayerCache(openCache(t, dir)))
	strict := WithLayerLimits(layerLimitsEntry(1000))
	_, want := Analyze(context.Background(), img, strict)
	_, got := Analyze(context.Background(), img, strict, WithLayerCache(openCache(t, dir)))
	if want == nil || got == nil || want.Error() != got.Error() {
		t.Errorf("stricter limits: %v, want %v", got, want)
	}
}

func layerLimitsEntry(n int64) layer.Limits {
	l := layer.DefaultLimits()
	l.MaxEntryBytes = n
	return l
}

// TestLayerCacheHashes: entries written without content hashes serve
// analyses that need none; one that needs them reads the layers once and
// stores them with hashes.
func TestLayerCacheHashes(t *testing.T) {
	img := cacheImages(t)["oci"]
	dir := t.TempDir()
	var read atomic.Int64
	counted := countingImage{img, &read}
	reportJSON(t, counted, append(cacheOptions, WithDuplicates(false), WithLayerCache(openCache(t, dir)))...)
	want := reportJSON(t, img, cacheOptions...)
	for run := 0; run < 2; run++ {
		read.Store(0)
		if got := reportJSON(t, counted, append(cacheOptions, WithLayerCache(openCache(t, dir)))...); got != want {
			t.Fatalf("run %d: the report differs", run)
		}
		if (read.Load() == 0) != (run == 1) {
			t.Errorf("run %d read %d bytes", run, read.Load())
		}
	}
}

// TestLayerCacheDiveImages: dive's test images, built by Docker and
// kaniko (plain tar layers, whiteouts, opaque directories), give the same
// report with no cache, a cold one and a warm one, which stores nothing.
func TestLayerCacheDiveImages(t *testing.T) {
	for _, name := range []string{"test-docker-image.tar", "test-kaniko-image.tar"} {
		t.Run(name, func(t *testing.T) {
			img, err := tarball.ImageFromPath(diveImagePath(name), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := reportJSON(t, img, cacheOptions...)
			dir := t.TempDir()
			for run := 0; run < 2; run++ {
				c := openCache(t, dir)
				if got := reportJSON(t, img, append(cacheOptions, WithLayerCache(c))...); got != want {
					t.Fatalf("run %d: the report differs", run)
				}
				if s := c.Stats(); run == 1 && (s.Written != 0 || s.Found == 0 || s.Missing != 0) {
					t.Errorf("warm run: %+v", s)
				}
			}
		})
	}
}

// blobGets counts the blob downloads a registry serves.
type blobGets struct {
	next http.Handler
	n    atomic.Int64
}

func (b *blobGets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
		b.n.Add(1)
	}
	b.next.ServeHTTP(w, r)
}

// TestLayerCacheRemote: a registry's cached layers are not downloaded
// (only the config is); with blob digests they are, and checked.
func TestLayerCacheRemote(t *testing.T) {
	h := &blobGets{next: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(h)
	defer srv.Close()
	img := cacheImages(t)["oci"]
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/test/img:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	want := reportJSON(t, img, cacheOptions...)
	dir := t.TempDir()
	ls, _ := img.Layers()
	for run, c := range []struct {
		opts  []Option
		blobs int64 // downloads: the config, and the layers read
	}{{nil, 1 + int64(len(ls))}, {nil, 1}, {[]Option{WithBlobDigests(true)}, 1 + int64(len(ls))}} {
		rimg, err := remote.Image(ref)
		if err != nil {
			t.Fatal(err)
		}
		h.n.Store(0)
		opts := append(append(cacheOptions, c.opts...), WithLayerCache(openCache(t, dir)))
		got := reportJSON(t, rimg, opts...)
		// The registry's image is the same image: only its reference
		// differs (none here), so the reports are equal.
		if got != want {
			t.Errorf("run %d: the report differs", run)
		}
		if h.n.Load() != c.blobs {
			t.Errorf("run %d downloaded %d blobs, want %d", run, h.n.Load(), c.blobs)
		}
	}
}

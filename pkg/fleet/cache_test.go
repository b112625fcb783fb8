package fleet

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/layercache"
)

// countedLayer counts the bytes read of a layer's content.
type countedLayer struct {
	v1.Layer
	n *atomic.Int64
}

type countedReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r countedReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}

func (l countedLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	return countedReader{rc, l.n}, err
}

func (l countedLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Uncompressed()
	return countedReader{rc, l.n}, err
}

// countedImage counts the bytes read of its first base layers in base,
// of the others in own.
type countedImage struct {
	v1.Image
	bases     int
	base, own *atomic.Int64
}

func (im countedImage) Layers() ([]v1.Layer, error) {
	ls, err := im.Image.Layers()
	for k, l := range ls {
		n := im.own
		if k < im.bases {
			n = im.base
		}
		ls[k] = countedLayer{l, n}
	}
	return ls, err
}

// TestLayerCache: a fleet of 50 images on one base reads the base once
// over two runs sharing a cache, the second run reads nothing, and the
// report is the one without a cache; entries whittle analyze stored serve
// the fleet too.
func TestLayerCache(t *testing.T) {
	var base, own atomic.Int64
	var images []Image
	for k := range 50 {
		app := synth.Layer{Entries: []synth.Entry{synth.File(fmt.Sprintf("app/%d", k), string(synth.Pattern(int64(100+k), uint64(k))))}}
		im := image(t, fmt.Sprintf("svc-%d", k), base0, base1, app)
		im.Image = countedImage{im.Image, 2, &base, &own}
		images = append(images, im)
	}
	want, err := Analyze(context.Background(), images)
	if err != nil {
		t.Fatal(err)
	}
	baseBlobs := blobBytes(t, base0) + blobBytes(t, base1)
	if base.Load() != baseBlobs {
		t.Fatalf("without a cache, read %d bytes of the base, its blobs hold %d", base.Load(), baseBlobs)
	}
	dir := t.TempDir()
	base.Store(0)
	for run := 0; run < 2; run++ {
		own.Store(0)
		c, err := layercache.Open(dir, layercache.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Analyze(context.Background(), images, WithLayerCache(c), WithJobs(2))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d: the report differs from the one without a cache", run)
		}
		if run == 1 && own.Load() != 0 {
			t.Errorf("the second run read %d bytes of the images' own layers", own.Load())
		}
		if s := c.Stats(); run == 1 && (s.Found != 52 || s.Written != 0) {
			t.Errorf("second run: %+v", s)
		}
	}
	if base.Load() != baseBlobs {
		t.Errorf("two runs read %d bytes of the base, its blobs hold %d", base.Load(), baseBlobs)
	}

	// whittle analyze's entries serve the fleet.
	dir = t.TempDir()
	c, _ := layercache.Open(dir, layercache.Options{})
	if _, err := account.Analyze(context.Background(), images[0].Image, account.WithLayerCache(c)); err != nil {
		t.Fatal(err)
	}
	base.Store(0)
	one := []Image{images[0], images[1]}
	want, _ = Analyze(context.Background(), one)
	base.Store(0)
	own.Store(0)
	got, err := Analyze(context.Background(), one, WithLayerCache(c))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("the report differs: %v", err)
	}
	if base.Load() != 0 || own.Load() != blobBytes(t, synth.Layer{Entries: []synth.Entry{synth.File("app/1", string(synth.Pattern(101, 1)))}}) {
		t.Errorf("read %d bytes of the base and %d of svc-1's own layer", base.Load(), own.Load())
	}
}

// TestPackagesReadOnce: with WithPackages, a fleet of 10 images on one
// base still reads each blob once (the analyses share the base, and the
// fleet's figures come from them), and the fleet's figures are those
// without packages.
func TestPackagesReadOnce(t *testing.T) {
	var base, own atomic.Int64
	var images []Image
	var ownBlobs int64
	for k := range 10 {
		app := synth.Layer{Entries: []synth.Entry{synth.File(fmt.Sprintf("app/%d", k), string(synth.Pattern(int64(100+k), uint64(k))))}}
		ownBlobs += blobBytes(t, app)
		im := image(t, fmt.Sprintf("svc-%d", k), base0, base1, app)
		im.Image = countedImage{im.Image, 2, &base, &own}
		images = append(images, im)
	}
	images = append(images, images[3]) // given again: counted once
	want, err := Analyze(context.Background(), images)
	if err != nil {
		t.Fatal(err)
	}
	base.Store(0)
	own.Store(0)
	got, err := Analyze(context.Background(), images, WithPackages(true), WithJobs(2))
	if err != nil {
		t.Fatal(err)
	}
	if baseBlobs := blobBytes(t, base0) + blobBytes(t, base1); base.Load() != baseBlobs || own.Load() != ownBlobs {
		t.Errorf("read %d bytes of the base (its blobs hold %d) and %d of the images' own layers (%d)", base.Load(), baseBlobs, own.Load(), ownBlobs)
	}
	if got.Packages == nil || len(got.Packages.Images) != 10 {
		t.Fatalf("packages %+v", got.Packages)
	}
	got.Packages = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the fleet's figures differ with packages:\n%+v\nwant\n%+v", got, want)
	}
}

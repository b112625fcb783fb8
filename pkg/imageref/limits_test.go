package imageref

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle/whittle/pkg/layer"
)

// A config or manifest larger than its limit is refused before it is
// read, from every source: docker save and OCI archives, layouts and
// registries (*TooLargeError); the defaults read every image of the tests.
func TestMetadataLimits(t *testing.T) {
	img := smallImage(t, 2, "")
	dir := t.TempDir()
	save := filepath.Join(dir, "save.tar")
	if err := tarball.WriteToFile(save, name.MustParseReference("app:v1"), img); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.tar")
	writeLegacySave(t, plain, img)
	ld := filepath.Join(dir, "layout")
	if _, err := layout.Write(ld, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		t.Fatal(err)
	}
	oci := filepath.Join(dir, "oci.tar")
	tarDir(t, ld, oci, "")
	host := newRegistry(t)
	tag, err := name.NewTag(host+"/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"docker-archive:" + save, "docker-archive:" + plain, "oci:" + ld, "oci-archive:" + oci, host + "/app:v1"} {
		r, err := Parse(ref)
		if err != nil {
			t.Fatal(err)
		}
		open := func(l Limits) error {
			img, err := r.Image(context.Background(), WithLimits(l), WithInsecure(true))
			if err == nil {
				_, _, err = layer.Layers(img)
			}
			return err
		}
		if err := open(DefaultLimits()); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
		for _, tc := range []struct {
			what string
			l    Limits
		}{
			{"config", Limits{MaxConfigBytes: 10}},
			{"manifest", Limits{MaxManifestBytes: 10}},
		} {
			err := open(tc.l)
			var tl *TooLargeError
			if !errors.As(err, &tl) || (tl.What != tc.what && !(tc.what == "manifest" && tl.What == "index")) || tl.Limit != 10 {
				t.Errorf("%s, %s limit: err = %v", ref, tc.what, err)
			}
		}
	}
	if _, err := makeOptions([]Option{WithLimits(Limits{MaxConfigBytes: -1})}); err == nil {
		t.Error("a negative limit is accepted")
	}
}

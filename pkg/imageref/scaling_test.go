package imageref

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/testenv"
	"github.com/whittle/whittle/pkg/layer"
)

// writeLegacySave writes img as `docker save` did before Docker 25: one
// directory per layer holding an uncompressed layer.tar, the config, and
// manifest.json.
func writeLegacySave(t testing.TB, p string, img v1.Image) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(n string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	desc := tarball.Descriptor{Config: "config.json", RepoTags: []string{"app:v1"}}
	for i, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		n := fmt.Sprintf("%d/layer.tar", i)
		add(n, b)
		desc.Layers = append(desc.Layers, n)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	add("config.json", cfg)
	m, err := json.Marshal(tarball.Manifest{desc})
	if err != nil {
		t.Fatal(err)
	}
	add("manifest.json", m)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readAll reads every layer of the image ref names the way analyze does:
// its diff_id, its digest unless the layer is a plain tar, and its bytes.
func readAll(t *testing.T, ref string) int {
	t.Helper()
	r, err := Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := r.Image(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ls, _, err := layer.Layers(img)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if _, err := l.DiffID(); err != nil {
			t.Fatal(err)
		}
		open := l.Uncompressed
		if !layer.NativelyUncompressed(l) {
			if _, err := l.Digest(); err != nil {
				t.Fatal(err)
			}
			open = l.Compressed
		}
		rc, err := open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	return len(ls)
}

// Reading an image of n layers is linear in n, whatever holds it (issue
// 11: go-containerregistry's tarball scanned the whole archive for every
// layer and parsed the config again for each; its layout parses the
// manifest again for each; 2000 layers took 59 s in a docker save
// archive).
func TestSourcesLinearInLayers(t *testing.T) {
	build := func(n int) v1.Image {
		img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		adds := make([]mutate.Addendum, n)
		for i := range n {
			adds[i] = mutate.Addendum{Layer: layerOf(t, fmt.Sprintf("f%d", i), fmt.Sprint(i))}
		}
		img, err := mutate.Append(img, adds...)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	for _, tc := range []struct {
		name  string
		write func(dir string, img v1.Image) string
	}{
		{"docker save, plain layers", func(dir string, img v1.Image) string {
			p := filepath.Join(dir, "save.tar")
			writeLegacySave(t, p, img)
			return "docker-archive:" + p
		}},
		{"docker save, gzip layers", func(dir string, img v1.Image) string {
			p := filepath.Join(dir, "save.tar")
			if err := tarball.WriteToFile(p, name.MustParseReference("app:v1"), img); err != nil {
				t.Fatal(err)
			}
			return "docker-archive:" + p
		}},
		{"OCI layout", func(dir string, img v1.Image) string {
			p := filepath.Join(dir, "layout")
			if _, err := layout.Write(p, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
				t.Fatal(err)
			}
			return "oci:" + p
		}},
		{"OCI archive", func(dir string, img v1.Image) string {
			ld := filepath.Join(dir, "layout")
			if _, err := layout.Write(ld, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "oci.tar")
			tarDir(t, ld, p, "")
			return "oci-archive:" + p
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testenv.Linear(t, "reading "+tc.name, 10, func(n int) float64 {
				ref := tc.write(t.TempDir(), build(n))
				var got int
				b := testenv.AllocBytes(func() { got = readAll(t, ref) })
				if got != n {
					t.Fatalf("%d layers read, want %d", got, n)
				}
				return b
			})
		})
	}
}

// A config whose rootfs.diff_ids is shorter or longer than the layer list
// is refused, never read with layers dropped (issue 11).
func TestArchiveDiffIDCount(t *testing.T) {
	img := smallImage(t, 3, "")
	for _, keep := range []int{2, 4} {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		ids := cf.RootFS.DiffIDs
		if keep < len(ids) {
			cf.RootFS.DiffIDs = ids[:keep]
		} else {
			cf.RootFS.DiffIDs = append(ids, ids[0])
		}
		bad, err := mutate.ConfigFile(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		plain := filepath.Join(dir, "plain.tar")
		writeLegacySave(t, plain, bad)
		gz := filepath.Join(dir, "gzip.tar")
		if err := tarball.WriteToFile(gz, name.MustParseReference("app:v1"), bad); err != nil {
			t.Fatal(err)
		}
		ld := filepath.Join(dir, "layout")
		if _, err := layout.Write(ld, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: bad})); err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{"docker-archive:" + plain, "docker-archive:" + gz, "oci:" + ld} {
			r, err := Parse(ref)
			if err != nil {
				t.Fatal(err)
			}
			var ce *layer.CountError
			img, err := r.Image(context.Background())
			if err == nil {
				_, _, err = layer.Layers(img)
			}
			if !errors.As(err, &ce) || ce.DiffIDs != keep || ce.Layers != 3 {
				t.Errorf("%s with %d diff_ids: err = %v", ref, keep, err)
			}
		}
	}
}

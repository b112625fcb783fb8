package imageref

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// untar extracts the regular files of the tar at p into dir and returns
// the entry names in order.
func untar(t *testing.T, p, dir string) []string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		dst := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if hdr.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteOCIArchive(t *testing.T) {
	dir := t.TempDir()
	oci := smallImage(t, 3, "")
	docker := randomImage(t, 2) // Docker media types: stored in their OCI form
	dockerAsOCI, err := asOCI(docker)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		img  v1.Image
		opts []Option
		tag  string
		want v1.Image
	}{
		{ref: "oci-archive:" + dir + "/a.tar:v1", img: oci, tag: "v1", want: oci},
		{ref: "oci-archive:" + dir + "/b.tar", img: docker, opts: []Option{WithTag("app:slim")}, tag: "app:slim", want: dockerAsOCI},
		{ref: "oci-archive:" + dir + "/c.tar", img: oci, want: oci},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			r, err := Parse(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.CheckWrite(context.Background(), tt.opts...); err != nil {
				t.Fatal(err)
			}
			if err := r.Write(context.Background(), tt.img, tt.opts...); err != nil {
				t.Fatal(err)
			}
			// The layout in the tar, as ggcr's layout package reads it.
			ld := filepath.Join(t.TempDir(), "layout")
			names := untar(t, r.Path(), ld)
			if !slices.Contains(names, "oci-layout") || names[len(names)-2] != "index.json" {
				t.Errorf("entries %v: want blobs, index.json, oci-layout", names)
			}
			ix, err := layout.ImageIndexFromPath(ld)
			if err != nil {
				t.Fatal(err)
			}
			im, err := ix.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			if len(im.Manifests) != 1 || im.Manifests[0].Annotations[annotationRefName] != tt.tag {
				t.Fatalf("index.json lists %+v, want one image tagged %q", im.Manifests, tt.tag)
			}
			if im.Manifests[0].MediaType != types.OCIManifestSchema1 {
				t.Errorf("manifest media type %s, want OCI", im.Manifests[0].MediaType)
			}
			img, err := ix.Image(im.Manifests[0].Digest)
			if err != nil {
				t.Fatal(err)
			}
			sameImage(t, img, tt.want)
			// And as whittle reads it: oci-archive:, docker-archive: and
			// a bare path.
			for _, s := range []string{r.String(), "docker-archive:" + r.Path(), r.Path()} {
				got, err := openRef(t, s)
				if err != nil {
					t.Fatalf("%s: %v", s, err)
				}
				sameImage(t, got, tt.want)
			}
			if tt.tag != "" {
				got, err := openRef(t, "oci-archive:"+r.Path()+":"+tt.tag)
				if err != nil {
					t.Fatal(err)
				}
				sameImage(t, got, tt.want)
				if _, err := openRef(t, "oci-archive:"+r.Path()+":other"); !errors.Is(err, ErrNotFound) {
					t.Errorf("another tag: %v, want ErrNotFound", err)
				}
			}
		})
	}
	noTempFiles(t, dir)

	// Reproducible: the same image gives the same bytes.
	for _, p := range []string{"r1.tar", "r2.tar"} {
		if err := write(t, "oci-archive:"+filepath.Join(dir, p)+":v1", oci); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := os.ReadFile(filepath.Join(dir, "r1.tar"))
	b, _ := os.ReadFile(filepath.Join(dir, "r2.tar"))
	if !bytes.Equal(a, b) {
		t.Error("two writes of one image differ")
	}

	// An existing archive is replaced only when asked; the new one holds
	// the new image alone.
	p := filepath.Join(dir, "r1.tar")
	if err := write(t, "oci-archive:"+p+":v2", docker); !errors.Is(err, ErrExists) {
		t.Fatalf("writing over %s: %v, want ErrExists", p, err)
	}
	if err := write(t, "oci-archive:"+p+":v2", docker, WithReplace(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := openRef(t, "oci-archive:"+p+":v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the replaced archive still holds v1: %v", err)
	}
	got, err := openRef(t, "oci-archive:"+p)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, dockerAsOCI)
}

// TestWriteOCIArchiveChecksBlobs: a layer whose content does not match its
// digest fails the write, and nothing is left.
func TestWriteOCIArchiveChecksBlobs(t *testing.T) {
	dir := t.TempDir()
	good := layerOf(t, "f", "content")
	img, err := mutate.AppendLayers(smallImage(t, 1, ""), lyingLayer{Layer: good})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "out.tar")
	err = write(t, "oci-archive:"+p, img)
	if err == nil || !strings.Contains(err.Error(), "content has digest") {
		t.Fatalf("error %v, want a digest mismatch", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed write left %s (%v)", p, err)
	}
	noTempFiles(t, dir)
}

// lyingLayer serves other bytes than its digest names, of the same length.
type lyingLayer struct{ v1.Layer }

func (l lyingLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	b[len(b)-1] ^= 0xff
	return io.NopCloser(bytes.NewReader(b)), nil
}

func TestOCIArchiveSourceNeedsIndex(t *testing.T) {
	p := filepath.Join(t.TempDir(), "save.tar")
	if err := write(t, "docker-archive:"+p, smallImage(t, 1, "")); err != nil {
		t.Fatal(err)
	}
	_, err := openRef(t, "oci-archive:"+p)
	if err == nil || !strings.Contains(err.Error(), "no index.json at its root, so it is not an OCI archive (a docker save tar? use docker-archive:PATH)") {
		t.Errorf("a docker save tar read as oci-archive: %v", err)
	}
	if _, err := openRef(t, "oci-archive:"+filepath.Dir(p)); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory read as oci-archive: %v", err)
	}
}

package account

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// untar extracts a small trusted test archive (an OCI layout) into dir.
func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir) {
			t.Fatalf("unsafe name %q", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// dive's OCI test images: one layer holding one 11189-byte README.md, in
// every compression (gzip, estargz, zstd, none).
func TestDiveOCIImages(t *testing.T) {
	for _, v := range []string{"uncompressed", "gzip", "estargz", "zstd"} {
		t.Run(v, func(t *testing.T) {
			dir := t.TempDir()
			untar(t, diveImagePath("test-oci-"+v+"-image.tar"), dir)
			lp, err := layout.FromPath(dir)
			if err != nil {
				t.Fatal(err)
			}
			idx, _ := lp.ImageIndex()
			m, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			img, err := idx.Image(m.Manifests[0].Digest)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Analyze(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: image %+v dive %+v layer %+v", v, rep.Image, rep.Dive, rep.Layers[0])
			if len(rep.Layers) != 1 || rep.Image.WastedBytes != 0 || rep.Dive.Efficiency != 1 || rep.Dive.WastedBytes != 0 {
				t.Errorf("layers %d wasted %d dive %+v", len(rep.Layers), rep.Image.WastedBytes, rep.Dive)
			}
			if rep.Image.SizeBytes != 11189 || rep.Image.Files != 1 || rep.Dive.SizeBytes != 11189 {
				t.Errorf("size %d files %d dive size %d; want 11189, 1, 11189", rep.Image.SizeBytes, rep.Image.Files, rep.Dive.SizeBytes)
			}
		})
	}
}

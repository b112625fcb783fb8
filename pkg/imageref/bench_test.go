package imageref

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// benchArchive writes an OCI archive tar of layers random layers of size
// bytes each, and returns its path.
func benchArchive(b *testing.B, layers int64, size int64) string {
	b.Helper()
	img, err := random.Image(size, layers)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	ld := filepath.Join(dir, "layout")
	if _, err := layout.Write(ld, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, "oci.tar")
	t := &testing.T{}
	tarDir(t, ld, p, "")
	if t.Failed() {
		b.Fatal("packing the layout failed")
	}
	return p
}

func readAllLayers(b *testing.B, img v1.Image) int64 {
	ls, err := img.Layers()
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, l := range ls {
		rc, err := l.Compressed()
		if err != nil {
			b.Fatal(err)
		}
		k, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
		n += k
	}
	return n
}

// extractTar is the baseline: unpack the archive to a directory first.
func extractTar(b *testing.B, src, dst string) {
	f, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dst, filepath.FromSlash(hdr.Name))
		if hdr.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			b.Fatal(err)
		}
		out.Close()
	}
}

// BenchmarkOCIArchive reads every layer of a 32-layer, 32 MiB OCI archive:
// in place through the header index, against extracting it first.
func BenchmarkOCIArchive(b *testing.B) {
	p := benchArchive(b, 32, 1<<20)
	b.Run("indexed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := Parse("docker-archive:" + p)
			if err != nil {
				b.Fatal(err)
			}
			img, err := r.Image(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(readAllLayers(b, img))
		}
	})
	b.Run("open-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := Parse("docker-archive:" + p)
			if err != nil {
				b.Fatal(err)
			}
			img, err := r.Image(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := img.Layers(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-extract", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dst := filepath.Join(b.TempDir(), "x")
			extractTar(b, p, dst)
			ix, err := layout.ImageIndexFromPath(dst)
			if err != nil {
				b.Fatal(err)
			}
			img, err := imageFromLayoutIndex(ix, "", &options{platform: hostPlatform()})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(readAllLayers(b, img))
			os.RemoveAll(dst)
		}
	})
}

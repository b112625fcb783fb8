package imageref

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// diveFixtures is where the shared copy of dive's test images lives.
const diveFixtures = "/work/shared/compat/dive"

func TestDiveFixtures(t *testing.T) {
	if _, err := os.Stat(diveFixtures); err != nil {
		t.Skipf("dive fixtures not present: %v", err)
	}
	tests := []struct {
		file   string
		layers int
	}{
		{"test-oci-gzip-image.tar", 1},
		{"test-oci-zstd-image.tar", 1},
		{"test-oci-uncompressed-image.tar", 1},
		{"test-docker-image.tar", 14},
		{"test-kaniko-image.tar", 14},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ref, err := Parse(filepath.Join(diveFixtures, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if ref.Kind() != Archive {
				t.Fatalf("kind = %v, want docker-archive", ref.Kind())
			}
			img, err := ref.Image(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			layers, err := img.Layers()
			if err != nil {
				t.Fatal(err)
			}
			if len(layers) != tt.layers {
				t.Errorf("%d layers, want %d", len(layers), tt.layers)
			}
			for _, l := range layers {
				rc, err := l.Uncompressed()
				if err != nil {
					t.Fatal(err)
				}
				n, err := io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				_ = n
			}
		})
	}
}

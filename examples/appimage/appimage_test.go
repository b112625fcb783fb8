package appimage

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestCommittedArchiveIsReproduced proves that examples/app.tar is exactly
// what the generator makes, so that the committed file can be trusted and
// regenerated.
func TestCommittedArchiveIsReproduced(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		var got bytes.Buffer
		if err := Build(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("run %d: generated archive (sha256 %x, %d bytes) differs from examples/app.tar (sha256 %x, %d bytes); run `go run ./examples/gen`",
				run, sha256.Sum256(got.Bytes()), got.Len(), sha256.Sum256(want), len(want))
		}
	}
	if n := len(want); n < 100<<10 || n > 300<<10 {
		t.Errorf("examples/app.tar is %d bytes, want 100-300 KiB", n)
	}
}

// TestArchiveIsValidImage reads the committed archive back with
// go-containerregistry and validates every digest, diff_id and size.
func TestArchiveIsValidImage(t *testing.T) {
	img, err := tarball.ImageFromPath(filepath.Join("..", "app.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var withLayer, empty int
	for _, h := range cfg.History {
		if h.EmptyLayer {
			empty++
		} else {
			withLayer++
		}
	}
	if withLayer != len(layers) || empty == 0 {
		t.Errorf("history has %d layer entries and %d empty ones for %d layers", withLayer, empty, len(layers))
	}
	if len(layers) != 7 {
		t.Errorf("layers = %d, want 7", len(layers))
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle/whittle/examples/appimage"
)

// TestWriteFileIsAtomic checks that writeFile replaces the target in one
// rename, leaves no temporary file behind, and writes the committed bytes.
func TestWriteFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.tar")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(p, appimage.Build); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries after writeFile, want 1", len(ents))
	}
	got, _ := os.ReadFile(p)
	want, _ := os.ReadFile(filepath.Join("..", "app.tar"))
	if !bytes.Equal(got, want) {
		t.Error("writeFile wrote different bytes from the committed archive")
	}
}

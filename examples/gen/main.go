// Command gen writes examples/app.tar, the small example image that the
// README's first command analyzes. Run it from the repository root:
//
//	go run ./examples/gen
//
// The archive is byte-identical on every run (see package appimage, which
// describes the image).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/whittle/whittle/examples/appimage"
)

func main() {
	out := flag.String("o", filepath.Join("examples", "app.tar"), "output path")
	flag.Parse()
	if err := writeFile(*out); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

// writeFile writes the archive to a temporary file beside path and renames
// it into place, so that a failed run leaves the old file untouched.
func writeFile(path string) error {
	var buf bytes.Buffer
	if err := appimage.Build(&buf); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".app-*.tar")
	if err != nil {
		return fmt.Errorf("creating temporary file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("setting mode of %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming into %s: %w", path, err)
	}
	return nil
}

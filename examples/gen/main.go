// Command gen writes examples/app.tar, the small example image that the
// README's first command analyzes. Run it from the repository root:
//
//	go run ./examples/gen
//
// The archive is byte-identical on every run (see package appimage, which
// describes the image). With -next it writes the next release of the
// example instead (app-1.1.tar unless -o says otherwise), which is not
// committed: `whittle diff examples/app.tar app-1.1.tar` compares them.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/whittle/whittle/examples/appimage"
)

func main() {
	out := flag.String("o", "", "output path (default examples/app.tar, or app-1.1.tar with -next)")
	next := flag.Bool("next", false, "write the next release of the example (for whittle diff)")
	flag.Parse()
	build, path := appimage.Build, filepath.Join("examples", "app.tar")
	if *next {
		build, path = appimage.BuildNext, "app-1.1.tar"
	}
	if *out != "" {
		path = *out
	}
	if err := writeFile(path, build); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

// writeFile writes the archive build makes to a temporary file beside
// path and renames it into place, so that a failed run leaves the old file
// untouched.
func writeFile(path string, build func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := build(&buf); err != nil {
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

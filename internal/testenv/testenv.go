// Package testenv finds the test data that lives outside the repository:
// the real Dockerfiles of shared/corpus and the peers' test data of
// shared/compat (hadolint's cases, PARFUM's Dockerfiles), whose licences do
// not let the repository carry a copy. It also holds the scaling check
// (Linear) that tests use to prove work grows linearly with input, by
// counting work rather than timing it.
//
// Only the shared test tier reads the data: test files that do are built with
// -tags shared, and go test ./... alone reads nothing outside the
// repository (docs/testing.md).
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// SharedDir returns the shared test-data directory: $WHITTLE_SHARED when
// set (an absolute path), else the directory "shared" beside the
// repository root (the directory holding go.mod, found from the working
// directory upwards). It fails the test when the data is not there, and
// when the test was not built with -tags shared: these checks are part of
// the shared tier and are never skipped, and no other test may read data
// outside the repository.
func SharedDir(t testing.TB) string {
	t.Helper()
	if !SharedTier {
		t.Fatal("this test reads the shared test data outside the repository: its file must be built only with -tags shared (docs/testing.md)")
		return ""
	}
	if d := os.Getenv("WHITTLE_SHARED"); d != "" {
		if !filepath.IsAbs(d) {
			t.Fatalf("WHITTLE_SHARED=%q is not an absolute path (each package's tests run in their own directory)", d)
			return ""
		}
		if !isDir(d) {
			t.Fatalf("WHITTLE_SHARED=%s is not a directory", d)
			return ""
		}
		return d
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("finding the repository root: %v", err)
		return ""
	}
	d := filepath.Join(filepath.Dir(root), "shared")
	if !isDir(d) {
		t.Fatalf("shared test data not found: %s does not exist and WHITTLE_SHARED is not set; put the data there or set WHITTLE_SHARED to its directory (docs/testing.md)", d)
		return ""
	}
	return d
}

// Shared joins elem to SharedDir, and fails the test when that path does
// not exist.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	d := SharedDir(t)
	if d == "" {
		return ""
	}
	p := filepath.Join(append([]string{d}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data missing: %v", err)
		return ""
	}
	return p
}

// moduleRoot returns the nearest directory holding go.mod, from the
// working directory upwards.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod in %s or above it", wd)
		}
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

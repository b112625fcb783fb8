// Package testenv finds the test data that lives beside the repository:
// shared/corpus (real Dockerfiles) and shared/compat (peers' test data).
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedDir returns the shared test-data directory: $WHITTLE_SHARED when
// set, else the "shared" directory beside the repository root (the module
// directory holding go.mod, found from the working directory upwards), else
// /work/shared. It fails the test when none exists: these checks are part of
// the suite and must never be skipped silently.
func SharedDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("WHITTLE_SHARED"); d != "" {
		if isDir(d) {
			return d
		}
		t.Fatalf("WHITTLE_SHARED=%s is not a directory", d)
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				if s := filepath.Join(filepath.Dir(d), "shared"); isDir(s) {
					return s
				}
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if isDir("/work/shared") {
		return "/work/shared"
	}
	t.Fatal("shared test data not found: put it beside the repository as ../shared or set WHITTLE_SHARED")
	return ""
}

// Shared joins elem to SharedDir.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{SharedDir(t)}, elem...)...)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

//go:build shared

package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSharedDir checks the one way to find the shared data: WHITTLE_SHARED,
// else shared beside the repository root; anything else fails the test.
func TestSharedDir(t *testing.T) {
	tmp := t.TempDir()
	repo, shared := filepath.Join(tmp, "repo"), filepath.Join(tmp, "shared")
	for _, d := range []string{filepath.Join(repo, "pkg", "x"), filepath.Join(shared, "corpus")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(repo, "pkg", "x"))
	other := t.TempDir()

	tests := []struct {
		name, env string
		elem      []string
		want      string // the directory, or "" for a failure
		failure   string // a part of the failure message
	}{
		{name: "beside the repository", want: shared},
		{name: "beside, a subdirectory", elem: []string{"corpus"}, want: filepath.Join(shared, "corpus")},
		{name: "beside, a missing subdirectory", elem: []string{"compat"}, failure: "shared test data missing"},
		{name: "WHITTLE_SHARED first", env: other, want: other},
		{name: "WHITTLE_SHARED relative", env: "shared", failure: "not an absolute path"},
		{name: "WHITTLE_SHARED missing", env: filepath.Join(other, "nope"), failure: "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WHITTLE_SHARED", tt.env)
			r := &recorder{TB: t}
			got := Shared(r, tt.elem...)
			if got != tt.want || !strings.Contains(r.failure, tt.failure) || (tt.failure == "") != (r.failure == "") {
				t.Errorf("Shared = %q, failure %q; want %q, failure containing %q", got, r.failure, tt.want, tt.failure)
			}
		})
	}

	// Nothing beside the repository and no WHITTLE_SHARED: the failure
	// names where the data was looked for.
	if err := os.Rename(shared, shared+".away"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WHITTLE_SHARED", "")
	r := &recorder{TB: t}
	if got := SharedDir(r); got != "" || !strings.Contains(r.failure, shared+" does not exist") {
		t.Errorf("SharedDir = %q, failure %q; want a failure naming %s", got, r.failure, shared)
	}
}

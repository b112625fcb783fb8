package cli

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/whittle/whittle/pkg/rules"
)

// TestFindHadolintConfig checks hadolint's search order: the working
// directory, $XDG_CONFIG_HOME (default ~/.config), ~/.hadolint/, then the
// home directory; the first file found wins.
func TestFindHadolintConfig(t *testing.T) {
	root := t.TempDir()
	wd := filepath.Join(root, "wd")
	home := filepath.Join(root, "home")
	xdg := filepath.Join(root, "xdg")
	// From last to first in hadolint's order: each file added must win.
	files := []string{
		filepath.Join(home, ".hadolint.yml"),
		filepath.Join(home, ".hadolint.yaml"),
		filepath.Join(home, ".hadolint", "config.yml"),
		filepath.Join(home, ".hadolint", "config.yaml"),
		filepath.Join(home, ".hadolint", "hadolint.yml"),
		filepath.Join(home, ".hadolint", "hadolint.yaml"),
		filepath.Join(home, ".config", "hadolint.yml"),
		filepath.Join(home, ".config", "hadolint.yaml"),
		filepath.Join(wd, ".hadolint.yml"),
		filepath.Join(wd, ".hadolint.yaml"),
	}
	if err := os.MkdirAll(wd, 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": home}
	getenv := func(k string) string { return env[k] }
	if got, err := findHadolintConfig(wd, getenv); got != "" || err != nil {
		t.Fatalf("nothing there: %q, %v", got, err)
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := findHadolintConfig(wd, getenv); got != f || err != nil {
			t.Errorf("with %s: found %q, %v", f, got, err)
		}
	}
	// XDG_CONFIG_HOME replaces ~/.config.
	if err := os.MkdirAll(xdg, 0o755); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(xdg, "hadolint.yaml")
	if err := os.WriteFile(want, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range files[8:] {
		os.Remove(f)
	}
	env["XDG_CONFIG_HOME"] = xdg
	if got, _ := findHadolintConfig(wd, getenv); got != want {
		t.Errorf("with XDG_CONFIG_HOME: found %q, want %q", got, want)
	}
	// A directory of that name is not a configuration file; no HOME is fine.
	if got, _ := findHadolintConfig(wd, func(string) string { return "" }); got != "" {
		t.Errorf("without HOME: found %q", got)
	}
	if err := os.Mkdir(filepath.Join(wd, ".hadolint.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := findHadolintConfig(wd, func(string) string { return "" }); got != "" {
		t.Errorf("a directory: found %q", got)
	}
}

func TestHadolintFailLevel(t *testing.T) {
	for in, want := range map[string]rules.Severity{
		"error": rules.Error, "warning": rules.Warning, "info": rules.Info,
		"style": rules.Info, "ignore": rules.Info, "none": rules.Info, " Error ": rules.Error,
	} {
		if got, err := hadolintFailLevel(in); got != want || err != nil {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := hadolintFailLevel("never"); err == nil {
		t.Error("never: no error")
	}
}

func TestKnownRuleIDs(t *testing.T) {
	got, err := knownRuleIDs([]string{"DL3009", "WH202", "dl3008", "SC2086", "DL3042"})
	if err != nil || !slices.Equal(got, []string{"DL3009", "WH202", "DL3042"}) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"WH999", "DLX", "bogus"} {
		if _, err := knownRuleIDs([]string{bad}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestHadolintEnvNoFail: HADOLINT_NOFAIL is true for hadolint's truthy words
// in any case, false for any other value, and unset when absent or empty.
func TestHadolintEnvNoFail(t *testing.T) {
	for _, tc := range []struct {
		value string
		set   bool
		want  *bool
	}{
		{"1", true, ptr(true)}, {"y", true, ptr(true)}, {"ON", true, ptr(true)},
		{"True", true, ptr(true)}, {"yes", true, ptr(true)},
		{"0", true, ptr(false)}, {"no", true, ptr(false)}, {"2", true, ptr(false)},
		{"", true, nil}, {"", false, nil},
	} {
		lookup := func(k string) (string, bool) {
			if k == "HADOLINT_NOFAIL" {
				return tc.value, tc.set
			}
			return "", false
		}
		env, opts, err := hadolintEnv(lookup)
		if err != nil || len(opts) != 0 {
			t.Fatalf("HADOLINT_NOFAIL=%q: %d options, %v", tc.value, len(opts), err)
		}
		switch {
		case tc.want == nil && env.NoFail != nil:
			t.Errorf("HADOLINT_NOFAIL=%q (set %t): %t, want unset", tc.value, tc.set, *env.NoFail)
		case tc.want != nil && (env.NoFail == nil || *env.NoFail != *tc.want):
			t.Errorf("HADOLINT_NOFAIL=%q: %v, want %t", tc.value, env.NoFail, *tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/whittle/whittle/internal/cli"
)

const regenerate = "go generate ./internal/cli"

// committedDir is docs/cli relative to this package's directory, where go
// test runs.
var committedDir = filepath.Join("..", "..", "..", "docs", "cli")

// pages reads the pages isPage owns in dir, by name.
func pages(t *testing.T, root *cobra.Command, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	out := map[string]string{}
	for _, e := range ents {
		if !e.Type().IsRegular() || !isPage(root, e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("reading %s: %v", e.Name(), err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// drift lists how the pages in got differ from want: missing, extra and
// changed pages.
func drift(want, got map[string]string) []string {
	var d []string
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			d = append(d, "missing "+name)
		case g != w:
			d = append(d, "out of date "+name+": first difference at line "+firstDiffLine(w, g))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			d = append(d, "stale "+name+" (no such command)")
		}
	}
	slices.Sort(d)
	return d
}

func firstDiffLine(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("%d: want %q, have %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d (one page is longer)", min(len(al), len(bl))+1)
}

// TestCommittedReferenceIsCurrent fails when docs/cli is not what the
// command tree produces today.
func TestCommittedReferenceIsCurrent(t *testing.T) {
	root := cli.NewRootCmd()
	tmp := t.TempDir()
	if err := generate(root, tmp); err != nil {
		t.Fatal(err)
	}
	want := pages(t, root, tmp)
	if len(want) == 0 {
		t.Fatal("generator wrote no pages")
	}
	got := pages(t, root, committedDir)
	if d := drift(want, got); len(d) > 0 {
		t.Errorf("docs/cli does not match the command tree; run `%s` and commit docs/cli:\n  %s",
			regenerate, strings.Join(d, "\n  "))
	}
}

// wantPages walks the command tree on its own and names the page each
// visible command should have, with the flags it should list.
func wantPages(c *cobra.Command, out map[string][]string) {
	if c.Hidden || c.Deprecated != "" || c.Name() == "help" {
		return
	}
	var flags []string
	c.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			flags = append(flags, "--"+f.Name)
		}
	})
	out[strings.ReplaceAll(c.CommandPath(), " ", "_")+".md"] = append(flags, "## "+c.CommandPath()+"\n")
	for _, sub := range c.Commands() {
		wantPages(sub, out)
	}
}

// TestEveryCommandHasAPage checks the generated pages against an
// independent walk of the command tree: one page per visible command
// (completion included, as the binary has it), headed by the command path,
// listing every visible flag.
func TestEveryCommandHasAPage(t *testing.T) {
	root := cli.NewRootCmd()
	tmp := t.TempDir()
	if err := generate(root, tmp); err != nil {
		t.Fatal(err)
	}
	got := pages(t, root, tmp)

	oracle := cli.NewRootCmd()
	oracle.InitDefaultCompletionCmd()
	want := map[string][]string{}
	wantPages(oracle, want)

	for _, name := range []string{"whittle.md", "whittle_analyze.md", "whittle_lint.md",
		"whittle_fix.md", "whittle_squash.md", "whittle_completion.md", "whittle_completion_bash.md"} {
		if _, ok := want[name]; !ok {
			t.Errorf("oracle walk has no page %s", name)
		}
	}
	if len(got) != len(want) {
		t.Errorf("generated %d pages, command tree has %d visible commands", len(got), len(want))
	}
	for name, needles := range want {
		page, ok := got[name]
		if !ok {
			t.Errorf("no page %s", name)
			continue
		}
		if !strings.HasPrefix(page, needles[len(needles)-1]) {
			t.Errorf("%s does not start with %q", name, needles[len(needles)-1])
		}
		for _, f := range needles[:len(needles)-1] {
			if !strings.Contains(page, f) {
				t.Errorf("%s does not list %s", name, f)
			}
		}
		if strings.Contains(page, "Auto generated") {
			t.Errorf("%s has a date stamp; output would not be reproducible", name)
		}
	}
}

// TestGenerationIsReproducible generates twice from fresh trees and expects
// identical bytes.
func TestGenerationIsReproducible(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := generate(cli.NewRootCmd(), a); err != nil {
		t.Fatal(err)
	}
	if err := generate(cli.NewRootCmd(), b); err != nil {
		t.Fatal(err)
	}
	root := cli.NewRootCmd()
	if d := drift(pages(t, root, a), pages(t, root, b)); len(d) > 0 {
		t.Errorf("two runs differ:\n  %s", strings.Join(d, "\n  "))
	}
}

// TestWriteTree checks that writeTree replaces changed pages, removes pages
// of commands that no longer exist, leaves other files alone, and that the
// drift check reports each of these states.
func TestWriteTree(t *testing.T) {
	root := cli.NewRootCmd()
	ref := t.TempDir()
	if err := generate(root, ref); err != nil {
		t.Fatal(err)
	}
	want := pages(t, root, ref)

	tests := []struct {
		name      string
		prepare   func(dir string) error
		wantDrift string // substring of the drift report before writeTree
	}{
		{"empty directory", func(string) error { return nil }, "missing whittle.md"},
		{"changed page", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "whittle_lint.md"), []byte("## whittle lint\n\nold text\n"), 0o644)
		}, "out of date whittle_lint.md: first difference at line 3"},
		{"stale page", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "whittle_gone.md"), []byte("## whittle gone\n"), 0o644)
		}, "stale whittle_gone.md"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "docs", "cli")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			other := filepath.Join(dir, "README.txt")
			if err := os.WriteFile(other, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := tc.prepare(dir); err != nil {
				t.Fatal(err)
			}
			if d := strings.Join(drift(want, pages(t, root, dir)), "\n"); !strings.Contains(d, tc.wantDrift) {
				t.Errorf("drift before writing = %q, want it to contain %q", d, tc.wantDrift)
			}
			if err := writeTree(cli.NewRootCmd(), dir); err != nil {
				t.Fatal(err)
			}
			if d := drift(want, pages(t, root, dir)); len(d) > 0 {
				t.Errorf("after writeTree:\n  %s", strings.Join(d, "\n  "))
			}
			if b, err := os.ReadFile(other); err != nil || string(b) != "keep me" {
				t.Errorf("other file: %q, %v; want it untouched", b, err)
			}
			ents, err := os.ReadDir(filepath.Dir(dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(ents) != 1 {
				t.Errorf("temporary directory left beside the output: %v", ents)
			}
		})
	}
}

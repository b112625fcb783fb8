package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRuleDocs checks that every rule has its page, with the sections every
// page has, and an entry in the index.
func TestRuleDocs(t *testing.T) {
	root := filepath.Join("..", "..")
	index, err := os.ReadFile(filepath.Join(root, "docs", "rules", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range All() {
		m := r.Meta()
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(m.Doc)))
		if err != nil {
			t.Errorf("%s: %v", m.ID, err)
			continue
		}
		page := string(b)
		if !strings.HasPrefix(page, "# "+m.ID+": "+m.Name+"\n") {
			t.Errorf("%s: page title is not %q", m.Doc, "# "+m.ID+": "+m.Name)
		}
		for _, h := range []string{"## What", "## Why", "## Typical cost", "## Fix"} {
			if !strings.Contains(page, h) {
				t.Errorf("%s: no %q section", m.Doc, h)
			}
		}
		if !strings.Contains(string(index), "["+m.ID+"]("+m.ID+".md)") {
			t.Errorf("docs/rules/README.md does not list %s", m.ID)
		}
		for _, h := range m.Hadolint {
			if !strings.Contains(page, h) || !strings.Contains(string(index), "| "+h+" | ["+m.ID+"]") {
				t.Errorf("%s: hadolint mapping %s not documented", m.ID, h)
			}
		}
	}
}

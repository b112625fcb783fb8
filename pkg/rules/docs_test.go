package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docSections are the sections every rule page has: what it reports, why
// it matters, what it typically costs, the fix, when not to apply it, the
// hadolint mapping and what `whittle fix` does about it.
var docSections = []string{"## What", "## Why", "## Typical cost", "## Fix", "## When not to apply it", "## hadolint", "## Repair"}

// rulePages yields every registered rule with the text of its page; a
// missing page is an error.
func rulePages(t *testing.T) func(yield func(Meta, string) bool) {
	return func(yield func(Meta, string) bool) {
		for _, r := range All() {
			m := r.Meta()
			b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(m.Doc)))
			if err != nil {
				t.Errorf("%s: %v", m.ID, err)
				continue
			}
			if !yield(m, string(b)) {
				return
			}
		}
	}
}

// TestRuleDocs checks that every rule has its page, with the sections every
// page has, and an entry in the index.
func TestRuleDocs(t *testing.T) {
	root := filepath.Join("..", "..")
	index, err := os.ReadFile(filepath.Join(root, "docs", "rules", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for m, page := range rulePages(t) {
		if !strings.HasPrefix(page, "# "+m.ID+": "+m.Name+"\n") {
			t.Errorf("%s: page title is not %q", m.Doc, "# "+m.ID+": "+m.Name)
		}
		for _, h := range docSections {
			if !strings.Contains(page, "\n"+h+"\n") {
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

// TestRuleDocsRepair checks each page's Repair section against docs/fix.md:
// a rule with a "### WHnnn" section there has that text as its Repair
// section; a rule without one says it has no automatic repair, and why.
func TestRuleDocsRepair(t *testing.T) {
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, "docs", "fix.md"))
	if err != nil {
		t.Fatal(err)
	}
	fix := string(b)
	start, end := strings.Index(fix, "## Repairs, by rule"), strings.Index(fix, "## Not repaired")
	if start < 0 || end < start {
		t.Fatal("docs/fix.md has no \"Repairs, by rule\" section before \"Not repaired\"")
	}
	texts := map[string]string{}
	id := regexp.MustCompile(`WH[0-9]{3}`)
	for _, part := range strings.Split(fix[start:end], "\n### ")[1:] {
		head, body, _ := strings.Cut(part, "\n")
		for _, r := range id.FindAllString(head, -1) {
			texts[r] = strings.Join(strings.Fields(body), " ")
		}
	}
	if len(texts) < 20 {
		t.Fatalf("read only %d repair texts from docs/fix.md", len(texts))
	}
	for m, page := range rulePages(t) {
		i := strings.Index(page, "\n## Repair\n")
		if i < 0 {
			continue // reported by TestRuleDocs
		}
		sec := page[i+len("\n## Repair\n"):]
		if j := strings.Index(sec, "\n## "); j >= 0 {
			sec = sec[:j]
		}
		got := strings.Join(strings.Fields(sec), " ")
		want, ok := texts[m.ID]
		switch {
		case ok && !strings.Contains(got, want):
			t.Errorf("%s: Repair section is not the text of docs/fix.md:\n got: %s\nwant: %s", m.Doc, got, want)
		case !ok && (!strings.HasPrefix(got, "No automatic repair: ") || len(got) < len("No automatic repair: ")+20):
			t.Errorf("%s: no repair in docs/fix.md, and the page does not say \"No automatic repair: <why>\": %s", m.Doc, got)
		case !ok && m.ID != "WH000" && !strings.Contains(fix[end:], m.ID):
			// WH000 (a script that does not parse) is not a size rule and
			// docs/fix.md does not name it.
			t.Errorf("%s: not repaired, but docs/fix.md does not list it under \"Not repaired\"", m.ID)
		}
	}
}

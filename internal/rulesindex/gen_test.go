package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/rules"
)

// committed is docs/rules/README.md relative to this package's directory.
var committed = filepath.Join("..", "..", "docs", "rules", "README.md")

// TestIndexUpToDate fails when the committed index's tables are not what
// the rules' metadata says now.
func TestIndexUpToDate(t *testing.T) {
	old, fresh, err := regenerate(committed, rules.Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	if old != fresh {
		ol, fl := strings.Split(old, "\n"), strings.Split(fresh, "\n")
		for i := 0; i < len(ol) || i < len(fl); i++ {
			var o, f string
			if i < len(ol) {
				o = ol[i]
			}
			if i < len(fl) {
				f = fl[i]
			}
			if o != f {
				t.Fatalf("docs/rules/README.md is out of date (run go generate ./pkg/rules); line %d is\n  %s\nwant\n  %s", i+1, o, f)
			}
		}
	}
}

// TestTables checks the rendering: families in order under their
// headings, empty families left out, a rule's hadolint IDs and repair, and
// a pipe in a summary escaped.
func TestTables(t *testing.T) {
	metas := []rules.Meta{
		{ID: "WH201", Name: "apt-x", Severity: rules.Warning, Hadolint: []string{"DL3009", "DL3015"}, Repair: rules.Safe, Summary: "a | b"},
		{ID: "WH701", Name: "base", Severity: rules.Info, Summary: "heavy"},
	}
	got, err := tables(metas)
	if err != nil {
		t.Fatal(err)
	}
	want := "\n## apt\n\n| ID | name | severity | hadolint | repair | what |\n|---|---|---|---|---|---|\n" +
		"| [WH201](WH201.md) | apt-x | warning | DL3009, DL3015 | safe | a \\| b |\n" +
		"\n## Base images\n\n| ID | name | severity | hadolint | repair | what |\n|---|---|---|---|---|---|\n" +
		"| [WH701](WH701.md) | base | info | - | - | heavy |\n"
	if got != want {
		t.Errorf("tables:\n%s\nwant:\n%s", got, want)
	}
	if _, err := tables([]rules.Meta{{ID: "WH901"}}); err == nil || !strings.Contains(err.Error(), "WH901") {
		t.Errorf("a rule in no family: %v", err)
	}
	if _, err := tables([]rules.Meta{{ID: "DL3009"}}); err == nil {
		t.Error("a bad ID accepted")
	}
}

func TestSplice(t *testing.T) {
	doc := "# Index\n\nprose\n" + beginMarker + "\nold\n" + endMarker + "\nmore prose\n"
	got, err := splice(doc, "new\n")
	if err != nil || got != "# Index\n\nprose\n"+beginMarker+"\nnew\n\n"+endMarker+"\nmore prose\n" {
		t.Errorf("splice: %q, %v", got, err)
	}
	for _, bad := range []string{"no markers", endMarker + beginMarker, beginMarker + beginMarker + endMarker} {
		if _, err := splice(bad, "x"); err == nil {
			t.Errorf("splice(%q): no error", bad)
		}
	}
}

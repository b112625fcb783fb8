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

// rulePages yields every rule of the catalogue (the Dockerfile rules and
// the image rules) with the text of its page; a missing page is an error.
func rulePages(t *testing.T) func(yield func(Meta, string) bool) {
	return func(yield func(Meta, string) bool) {
		for _, m := range Catalogue() {
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
		if row := "| [" + m.ID + "](" + m.ID + ".md) | " + m.Name + " | " + m.Severity.String() + " |"; !strings.Contains(string(index), row) {
			t.Errorf("docs/rules/README.md: the row of %s does not start %q (name and default severity)", m.ID, row)
		}
		if got, want := severityLine(page), pageSeverity(m); got != want {
			t.Errorf("%s: the severity line is %q, want %q (the rule's default severity, rules.Meta.Severity)", m.Doc, got, want)
		}
		for _, h := range m.Hadolint {
			if !strings.Contains(page, h) || !strings.Contains(string(index), "| "+h+" | ["+m.ID+"]") {
				t.Errorf("%s: hadolint mapping %s not documented", m.ID, h)
			}
		}
	}
}

// pageSeverity is the severity line a rule page has for the rule's
// default severity: a Dockerfile rule above info is lowered to info in
// stages that do not reach the final image, which the line says; an
// image rule is about the final image only.
func pageSeverity(m Meta) string {
	if m.Severity == Info || IsImageRule(m.ID) {
		return "**Severity:** " + m.Severity.String()
	}
	return "**Severity:** " + m.Severity.String() + " (info in stages that do not reach the final image)"
}

// severityLine returns a page's line starting "**Severity:**", or "".
func severityLine(page string) string {
	for line := range strings.Lines(page) {
		if strings.HasPrefix(line, "**Severity:**") {
			return strings.TrimRight(line, "\n")
		}
	}
	return ""
}

// TestRuleDocsHadolintTable checks the hand-written table of hadolint's
// rules in docs/rules/README.md against the rules' metadata: a row for
// every mapping, naming the rule and its default severity, and no other.
func TestRuleDocsHadolintTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "rules", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "## hadolint mapping")
	if !ok {
		t.Fatal(`docs/rules/README.md has no "## hadolint mapping" section`)
	}
	row := regexp.MustCompile(`(?m)^\| (DL[0-9]{4}) \| \[(WH[0-9]{3})\]\(WH[0-9]{3}\.md\) \| [a-z]+ \| ([a-z]+) \|$`)
	rows := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		rows[m[1]] = [2]string{m[2], m[3]}
	}
	want := map[string][2]string{}
	for _, m := range Metas() {
		for _, h := range m.Hadolint {
			want[h] = [2]string{m.ID, m.Severity.String()}
		}
	}
	for h, w := range want {
		if got, ok := rows[h]; !ok || got != w {
			t.Errorf("docs/rules/README.md: the hadolint row of %s says %v, want %s with whittle severity %s", h, got, w[0], w[1])
		}
	}
	for h := range rows {
		if _, ok := want[h]; !ok {
			t.Errorf("docs/rules/README.md maps %s, which no rule implements", h)
		}
	}
}

// fixRepairTexts reads docs/fix.md: the text of each "### WHnnn" section
// under "Repairs, by rule" (a heading may name several rules, which share
// the text), whitespace collapsed, by rule ID; and the part of the file
// from "Not repaired" on.
func fixRepairTexts(t *testing.T) (map[string]string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "fix.md"))
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
	return texts, fix[end:]
}

// repairSection returns a rule page's Repair section, whitespace
// collapsed; false when the page has none.
func repairSection(page string) (string, bool) {
	i := strings.Index(page, "\n## Repair\n")
	if i < 0 {
		return "", false
	}
	sec := page[i+len("\n## Repair\n"):]
	if j := strings.Index(sec, "\n## "); j >= 0 {
		sec = sec[:j]
	}
	return strings.Join(strings.Fields(sec), " "), true
}

// TestRuleDocsRepair checks each page's Repair section against docs/fix.md:
// a rule with a "### WHnnn" section there has that text as its Repair
// section; a rule without one says it has no automatic repair, and why.
func TestRuleDocsRepair(t *testing.T) {
	texts, notRepaired := fixRepairTexts(t)
	for m, page := range rulePages(t) {
		got, ok := repairSection(page)
		if !ok {
			continue // reported by TestRuleDocs
		}
		want, ok := texts[m.ID]
		switch {
		case ok && !strings.Contains(got, want):
			t.Errorf("%s: Repair section is not the text of docs/fix.md:\n got: %s\nwant: %s", m.Doc, got, want)
		case !ok && (!strings.HasPrefix(got, "No automatic repair: ") || len(got) < len("No automatic repair: ")+20):
			t.Errorf("%s: no repair in docs/fix.md, and the page does not say \"No automatic repair: <why>\": %s", m.Doc, got)
		case !ok && m.ID != "WH000" && !IsImageRule(m.ID) && !strings.Contains(notRepaired, m.ID):
			// WH000 (a script that does not parse) is not a size rule,
			// and an image rule is about an image, not a Dockerfile:
			// docs/fix.md names neither.
			t.Errorf("%s: not repaired, but docs/fix.md does not list it under \"Not repaired\"", m.ID)
		}
	}
}

// applicabilityWord matches the applicabilities as the docs write them,
// in bold.
var applicabilityWord = regexp.MustCompile(`\*\*(Safe|Unsafe|Display-only)\*\*`)

// TestRuleDocsApplicability checks that the docs say how far each repair
// can be trusted, as the rules' metadata does: docs/fix.md has a "###"
// section for exactly the rules that have a repair (rules.Repairable);
// each such rule's Repair section (the text of that section) first names,
// in bold, the applicability of Meta.Repair ("**Safe**", "**Unsafe**"); an
// unsafe rule's section never calls it safe; and a rule whose repair a
// comment can hold back (Meta.Intent) says when it becomes
// "**Display-only**", naming the rule's subject words.
func TestRuleDocsApplicability(t *testing.T) {
	texts, _ := fixRepairTexts(t)
	metas := map[string]Meta{}
	for _, m := range Metas() {
		metas[m.ID] = m
	}
	for _, id := range Repairable() {
		if _, ok := texts[id]; !ok {
			t.Errorf("%s has a repair (rules.Repairable), but docs/fix.md has no \"### %s\" section under \"Repairs, by rule\"", id, id)
		}
	}
	for id := range texts {
		if m, ok := metas[id]; !ok || m.Repair == 0 {
			t.Errorf("docs/fix.md has a repair section for %s, which is not a rule with a repair", id)
		}
	}
	for m, page := range rulePages(t) {
		sec, ok := repairSection(page)
		if !ok || m.Repair == 0 {
			continue
		}
		word := strings.ToUpper(m.Repair.String()[:1]) + m.Repair.String()[1:]
		first := applicabilityWord.FindStringSubmatch(sec)
		if first == nil || first[1] != word {
			t.Errorf("%s: the Repair section does not start by stating the applicability \"**%s**\" (Meta.Repair is %v): %.120s", m.Doc, word, m.Repair, sec)
		}
		if m.Repair == Unsafe && strings.Contains(sec, "**Safe**") {
			t.Errorf("%s: the repair is unsafe (Meta.Repair), but its Repair section calls it **Safe**", m.Doc)
		}
		if len(m.Intent) == 0 {
			continue
		}
		if !strings.Contains(sec, "**Display-only**") {
			t.Errorf("%s: a comment can hold the repair back (Meta.Intent %q), but the Repair section does not say when it is **Display-only**", m.Doc, m.Intent)
		}
		low := strings.ToLower(sec)
		for _, w := range m.Intent {
			if !strings.Contains(low, strings.ToLower(strings.TrimSpace(w))) {
				t.Errorf("%s: the Repair section does not name %q, a subject word of Meta.Intent", m.Doc, strings.TrimSpace(w))
			}
		}
	}
}

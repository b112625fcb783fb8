package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/whittle/whittle/pkg/rules"
)

// The markers around the generated part of the index.
const (
	beginMarker = "<!-- BEGIN generated rule tables: `go generate ./pkg/rules` writes them from rules.Catalogue(); do not edit by hand -->"
	endMarker   = "<!-- END generated rule tables -->"
)

// families name the rule families by the first digit of the ID's number,
// in the order the index lists them.
var families = []struct{ digit, title string }{
	{"0", "Input"},
	{"1", "Layer technique"},
	{"2", "apt"},
	{"3", "apk"},
	{"4", "rpm family (yum, zypper, dnf)"},
	{"5", "Language package managers"},
	{"6", "Files"},
	{"7", "Base images"},
	{"8", "Built image (whittle analyze)"},
}

// tables renders one Markdown table per family of metas, each under its
// "## " heading, the rules in the order given. A rule outside every
// family is an error.
func tables(metas []rules.Meta) (string, error) {
	byFamily := map[string][]rules.Meta{}
	for _, m := range metas {
		if len(m.ID) != 5 || !strings.HasPrefix(m.ID, "WH") {
			return "", fmt.Errorf("rule ID %q is not WH and three digits", m.ID)
		}
		byFamily[m.ID[2:3]] = append(byFamily[m.ID[2:3]], m)
	}
	var b strings.Builder
	known := 0
	for _, fam := range families {
		ms := byFamily[fam.digit]
		if len(ms) == 0 {
			continue
		}
		known += len(ms)
		fmt.Fprintf(&b, "\n## %s\n\n", fam.title)
		b.WriteString("| ID | name | severity | hadolint | repair | what |\n|---|---|---|---|---|---|\n")
		for _, m := range ms {
			hadolint, repair := "-", "-"
			if len(m.Hadolint) > 0 {
				hadolint = strings.Join(m.Hadolint, ", ")
			}
			if m.Repair != 0 {
				repair = m.Repair.String()
			}
			fmt.Fprintf(&b, "| [%s](%s.md) | %s | %s | %s | %s | %s |\n", m.ID, m.ID, cell(m.Name), m.Severity, hadolint, repair, cell(m.Summary))
		}
	}
	if known != len(metas) {
		var lost []string
		for _, m := range metas {
			if !strings.ContainsAny(m.ID[2:3], "012345678") {
				lost = append(lost, m.ID)
			}
		}
		return "", fmt.Errorf("rules in no family: %s", strings.Join(lost, ", "))
	}
	return b.String(), nil
}

// cell escapes text for a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// splice returns doc with the part between the markers replaced by
// generated; the markers must appear once each, in order.
func splice(doc, generated string) (string, error) {
	if strings.Count(doc, beginMarker) != 1 || strings.Count(doc, endMarker) != 1 {
		return "", errors.New("want the begin and end markers of the generated rule tables once each")
	}
	i := strings.Index(doc, beginMarker) + len(beginMarker)
	j := strings.Index(doc, endMarker)
	if j < i {
		return "", errors.New("the end marker of the generated rule tables comes before the begin marker")
	}
	return doc[:i] + "\n" + generated + "\n" + doc[j:], nil
}

// regenerate returns the index at path with its tables written from metas.
func regenerate(path string, metas []rules.Meta) (old, fresh string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("reading the index: %w", err)
	}
	gen, err := tables(metas)
	if err != nil {
		return "", "", err
	}
	fresh, err = splice(string(b), gen)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	return string(b), fresh, nil
}

// writeAtomic replaces path with data through a temporary file beside it.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

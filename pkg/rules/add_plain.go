package rules

import "github.com/whittle/whittle/pkg/dockerfile"

// addPlain is WH603: ADD of something that is neither a local tar archive
// nor a URL.
type addPlain struct{}

func (addPlain) Meta() Meta {
	return Meta{
		ID:       "WH603",
		Name:     "add-not-archive",
		Summary:  "ADD of plain files (or zip files, which ADD does not extract) does what COPY does, less plainly.",
		Hadolint: []string{"DL3020"},
		Severity: Info,
		Doc:      "docs/rules/WH603.md",
		Repair:   Safe,
		Intent:   []string{"extract", "unpack"},
	}
}

// isTarArchive reports whether ADD extracts a local file of this name.
func isTarArchive(name string) bool {
	return isArchiveName(name) && !hasSuffixFold(name, ".zip") && !hasSuffixFold(name, ".7z")
}

func (addPlain) Check(p *Pass) []Finding {
	var out []Finding
	for in := range p.File.All() {
		if in.Kind != dockerfile.KindAdd || in.Copy == nil {
			continue
		}
		heredoc := map[string]bool{}
		for _, h := range in.Heredocs {
			heredoc[h.Name] = true
		}
		plain := false
		srcs, _ := copyWords(in)
		for _, s := range srcs {
			if isURL(s) || isGitURL(s) || isTarArchive(s) {
				continue
			}
			if heredoc[s] || (len(s) > 2 && s[:2] == "<<") {
				continue
			}
			plain = true
		}
		if !plain {
			continue
		}
		f := p.FindingAt(in.Range,
			"ADD copies plain files here (it only extracts local tar archives and fetches URLs)",
			"use COPY")
		f.Repair = p.addToCopyRepair(in)
		out = append(out, f)
	}
	return out
}

func isGitURL(s string) bool {
	return len(s) > 4 && (s[:4] == "git@" || hasSuffixFold(s, ".git") || (len(s) > 6 && s[:6] == "git://"))
}

func hasSuffixFold(s, suf string) bool {
	if len(s) < len(suf) {
		return false
	}
	a, b := s[len(s)-len(suf):], suf
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

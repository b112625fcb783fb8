package rules

import "strings"

// archiveLeft is WH602: an archive downloaded and extracted by a RUN but
// not deleted by it.
type archiveLeft struct{}

func (archiveLeft) Meta() Meta {
	return Meta{
		ID:       "WH602",
		Name:     "downloaded-archive-left",
		Summary:  "A RUN downloads an archive, extracts it and keeps it: the archive's bytes ship next to its extracted contents.",
		Severity: Warning,
		Doc:      "docs/rules/WH602.md",
	}
}

// leftArchives returns the downloaded archives that the RUN extracts (or
// installs from) and does not remove.
func leftArchives(ri *runInfo, facts []made, cwds []string) map[string]bool {
	left := map[string]bool{}
	for _, m := range facts {
		if !m.download || !isArchiveName(m.path) && !strings.HasSuffix(m.path, ".deb") && !strings.HasSuffix(m.path, ".rpm") {
			continue
		}
		extracted := false
		for j := m.at + 1; j < len(ri.cmds); j++ {
			if extracts(ri.cmds[j], cwds[j], m.path) {
				extracted = true
				break
			}
		}
		if extracted && !goneAfter(ri.cmds, cwds, m.at, m.path) {
			left[m.path] = true
		}
	}
	return left
}

func (archiveLeft) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		facts, cwds := fileFacts(ri)
		left := leftArchives(ri, facts, cwds)
		for _, m := range facts {
			if !left[m.path] || mountCovers(ri, m.path) {
				continue
			}
			delete(left, m.path)
			out = append(out, p.FindingAt(ri.rangeOf(ri.cmds[m.at]),
				"the archive "+m.path+" is extracted but not deleted: it ships next to its contents",
				"delete it in the same RUN after extracting (`rm "+m.path+"`), or stream it: `curl -fsSL URL | tar -xz -C DIR`"))
		}
	}
	return out
}

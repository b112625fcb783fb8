package rules

import (
	"path"
	"strings"
)

// archiveLeft is WH602: an archive downloaded and extracted but not deleted
// by the RUN that downloaded it.
type archiveLeft struct{}

func (archiveLeft) Meta() Meta {
	return Meta{
		ID:       "WH602",
		Name:     "downloaded-archive-left",
		Summary:  "A RUN downloads an archive, extracts it and keeps it: the archive's bytes ship next to its contents.",
		Severity: Warning,
		Doc:      "docs/rules/WH602.md",
		Repair:   Safe,
		Measure:  MeasurePaths,
		Intent:   []string{"keep the archive", "keep it", "needed later"},
	}
}

func isPackageArchive(p string) bool {
	return isArchiveName(p) || strings.HasSuffix(p, ".deb") || strings.HasSuffix(p, ".rpm") || strings.HasSuffix(p, ".apk")
}

// leftArchives returns the downloaded archives that the RUN extracts (or
// installs from) and does not remove.
func leftArchives(ri *runInfo, facts []made) map[string]bool {
	left := map[string]bool{}
	for _, m := range facts {
		if !m.download || !isPackageArchive(m.path) {
			continue
		}
		if extractedAfter(ri, m.at, m.path) && !goneAfter(ri, m.at, m.path) {
			left[m.path] = true
		}
	}
	return left
}

func (archiveLeft) Check(p *Pass) []Finding {
	var out []Finding
	runs := p.runs()
	for _, ri := range runs {
		facts := fileFacts(ri)
		left := leftArchives(ri, facts)
		for _, m := range facts {
			if !m.download || !isPackageArchive(m.path) || mountCovers(ri, m.path) {
				continue
			}
			if left[m.path] {
				delete(left, m.path)
				f := p.FindingAt(ri.rangeOf(ri.cmds[m.at]),
					"the archive "+m.path+" is extracted but not deleted: it ships next to its contents",
					"delete it in the same RUN after extracting (`rm "+m.path+"`), or stream it: `curl -fsSL URL | tar -xz -C DIR`")
				if path.IsAbs(m.path) {
					f.Paths = []string{m.path}
				}
				f.Repair = p.archiveRepair(ri, m)
				out = append(out, f)
			}
		}
	}
	return out
}

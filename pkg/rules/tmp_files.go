package rules

import (
	"path"
	"strings"
)

// tmpFiles is WH601: files a RUN creates under /tmp and leaves there.
type tmpFiles struct{}

func (tmpFiles) Meta() Meta {
	return Meta{
		ID:       "WH601",
		Name:     "tmp-files-left",
		Summary:  "Files a RUN creates under /tmp and does not remove are committed to the layer; removing them in a later RUN does not shrink the image.",
		Severity: Warning,
		Doc:      "docs/rules/WH601.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "tmp",
		Intent:   []string{"/tmp", "temporary", "scratch files"},
	}
}

func underTmp(p string) bool {
	p = path.Clean(p)
	return strings.HasPrefix(p, "/tmp/") || strings.HasPrefix(p, "/var/tmp/")
}

func (tmpFiles) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, "/tmp/x") {
			continue
		}
		facts := fileFacts(ri)
		left := leftArchives(ri, facts)
		var paths []string
		first := -1
		seen := map[string]bool{}
		// listed holds the paths listed so far, to ask whether one of
		// them is an ancestor of another made path.
		var listed pathsAfter
		for _, m := range facts {
			if !underTmp(m.path) || seen[m.path] || left[m.path] || mountCovers(ri, m.path) || goneAfter(ri, m.at, m.path) {
				continue
			}
			if listed.coversAfter(-1, m.path) {
				continue
			}
			seen[m.path] = true
			listed.add(m.path, 0)
			paths = append(paths, m.path)
			if first < 0 {
				first = m.at
			}
		}
		if len(paths) == 0 {
			continue
		}
		list := strings.Join(paths, ", ")
		if len(paths) > 3 {
			list = strings.Join(paths[:3], ", ") + " and more"
		}
		f := p.FindingAt(ri.rangeOf(ri.cmds[first]),
			"this RUN leaves "+list+" in the layer",
			"remove them at the end of the same RUN (`rm -rf "+paths[0]+"`), or mount a tmpfs on /tmp")
		f.Repair = p.tmpRepair(ri, paths)
		out = append(out, f)
	}
	return out
}

// tmpRepair removes the paths at the end of the RUN, when each is a plain
// absolute path (no variable, no glob) and no later instruction names the
// temporary directory they are in (it could read them).
func (p *Pass) tmpRepair(ri *runInfo, paths []string) *Repair {
	for _, q := range paths {
		if !path.IsAbs(q) || !pathText.MatchString(q) || strings.ContainsAny(q, "$*?[{}") {
			return nil
		}
		if tmpRoot(q) == "" || p.mentionedLater(ri.in, tmpRoot(q)) != nil {
			return nil
		}
	}
	return p.appendRepair(ri, "remove "+strings.Join(paths, " ")+" at the end of the RUN", "rm -rf "+strings.Join(paths, " "))
}

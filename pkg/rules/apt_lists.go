package rules

// aptLists is WH201: apt-get update without removing /var/lib/apt/lists in
// the same RUN.
type aptLists struct{}

func (aptLists) Meta() Meta {
	return Meta{
		ID:       "WH201",
		Name:     "apt-lists-not-removed",
		Summary:  "apt-get update downloads package lists that stay in the layer unless the same RUN removes /var/lib/apt/lists.",
		Hadolint: []string{"DL3009"},
		Severity: Warning,
		Doc:      "docs/rules/WH201.md",
	}
}

const aptListsDir = "/var/lib/apt/lists"

func (aptLists) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, aptListsDir) {
			continue
		}
		for i, c := range ri.cmds {
			if aptVerb(c) != "update" {
				continue
			}
			if removedAfter(ri.cmds, i, aptListsDir) || aptDistcleanAfter(ri.cmds, i) {
				break
			}
			out = append(out, p.FindingAt(ri.rangeOf(c),
				c.Name+" update leaves the package lists in /var/lib/apt/lists (tens of MB) in this layer",
				"end the same RUN with `rm -rf /var/lib/apt/lists/*`, or mount a cache on /var/lib/apt/lists"))
			break
		}
	}
	return out
}

// aptDistcleanAfter reports whether `apt-get distclean` (apt >= 2.7, which
// removes the lists) runs after index i.
func aptDistcleanAfter(cmds []command, i int) bool {
	for _, c := range cmds[i+1:] {
		if v := aptVerb(c); v == "distclean" || v == "dist-clean" {
			return true
		}
	}
	return false
}

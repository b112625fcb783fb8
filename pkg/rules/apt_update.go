package rules

// aptUpdateAlone is WH204: apt-get update in a RUN that installs nothing.
type aptUpdateAlone struct{}

func (aptUpdateAlone) Meta() Meta {
	return Meta{
		ID:       "WH204",
		Name:     "apt-update-alone",
		Summary:  "apt-get update in a RUN of its own commits the package lists to a layer that no later cleanup can shrink.",
		Severity: Warning,
		Doc:      "docs/rules/WH204.md",
	}
}

func (aptUpdateAlone) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, aptListsDir) {
			continue
		}
		upd := -1
		installs := false
		for i, c := range ri.cmds {
			v := aptVerb(c)
			if v == "update" && upd < 0 {
				upd = i
			}
			if aptInstallVerbs[v] {
				installs = true
			}
		}
		if upd < 0 || installs || removedAfter(ri.cmds, upd, aptListsDir) {
			continue
		}
		c := ri.cmds[upd]
		out = append(out, p.FindingAt(ri.rangeOf(c),
			c.Name+" update runs in a RUN that installs nothing: its package lists are committed in this layer, whatever later RUNs remove",
			"move `apt-get update` into the RUN that installs, as `apt-get update && apt-get install ... && rm -rf /var/lib/apt/lists/*`"))
	}
	return out
}

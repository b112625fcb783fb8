package rules

import "github.com/whittle/whittle/pkg/shellfacts"

// aptAutoremove is WH205: apt-get remove (or purge) of packages the same
// RUN installed, without --auto-remove: the packages that came in with
// them as dependencies stay.
type aptAutoremove struct{}

func (aptAutoremove) Meta() Meta {
	return Meta{
		ID:       "WH205",
		Name:     "apt-remove-keeps-dependencies",
		Summary:  "apt-get remove or purge of packages installed earlier in the same RUN, without --auto-remove, keeps every dependency they pulled in.",
		Severity: Warning,
		Doc:      "docs/rules/WH205.md",
		Repair:   Unsafe,
		Intent:   []string{"auto-remove", "autoremove", "dependenc"},
	}
}

func (aptAutoremove) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		installed := map[string]bool{}
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Apt)
			if pk == nil {
				continue
			}
			switch pk.Verb {
			case shellfacts.Install:
				for _, op := range pk.Packages {
					installed[layerPkgName(shellfacts.Apt, op)] = true
				}
				continue
			case shellfacts.Remove, shellfacts.Purge:
			default:
				continue
			}
			// aptitude removes the dependencies nothing needs by itself.
			if pk.AutoRemove || pk.Tool == "aptitude" || len(pk.Packages) == 0 || autoremoveAfter(ri.cmds, i) {
				continue
			}
			var mine []string
			for _, op := range pk.Packages {
				if installed[layerPkgName(shellfacts.Apt, op)] {
					mine = append(mine, layerPkgName(shellfacts.Apt, op))
				}
			}
			if len(mine) == 0 {
				continue
			}
			f := p.FindingAt(ri.rangeOf(c),
				c.Name+" "+pk.RawVerb+" of "+layerJoin(mine)+", which this RUN installed, keeps the packages they pulled in as dependencies",
				"remove them with `apt-get purge -y --auto-remove PACKAGES` (or run `apt-get autoremove -y` after), in the same RUN")
			f.Repair = p.autoremoveRepair(ri, c)
			out = append(out, f)
		}
	}
	return out
}

// autoremoveAfter reports whether apt-get autoremove runs after index i.
func autoremoveAfter(cmds []command, i int) bool {
	for _, c := range cmds[i+1:] {
		if pk := c.pkg(shellfacts.Apt); pk != nil && pk.Verb == shellfacts.Autoremove {
			return true
		}
	}
	return false
}

// autoremoveRepair adds --auto-remove to the removal. It is unsafe:
// --auto-remove also removes every package installed automatically that
// nothing needs any more, earlier RUNs' included.
func (p *Pass) autoremoveRepair(ri *runInfo, c command) *Repair {
	se := ri.shell()
	if se == nil || c.Pkg.Tool == "aptitude" {
		return nil
	}
	e, ok := se.flagAfterVerb(c.Command, "--auto-remove", aptValued...)
	if !ok {
		return nil
	}
	return newRepair(p.File, Unsafe, "add --auto-remove to "+c.Name+" "+c.Pkg.RawVerb,
		"--auto-remove also removes every package that was installed automatically and that nothing needs any more, those of earlier RUNs included", e)
}

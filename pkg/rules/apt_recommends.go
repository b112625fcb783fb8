package rules

import "strings"

// aptRecommends is WH202: apt-get install without --no-install-recommends.
type aptRecommends struct{}

func (aptRecommends) Meta() Meta {
	return Meta{
		ID:       "WH202",
		Name:     "apt-install-recommends",
		Summary:  "apt-get install without --no-install-recommends also installs every recommended package.",
		Hadolint: []string{"DL3015"},
		Severity: Warning,
		Doc:      "docs/rules/WH202.md",
	}
}

func (aptRecommends) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		configured := false
		for _, c := range ri.cmds {
			if configuresNoRecommends(c) {
				configured = true
			}
			if c.Name != "apt-get" && c.Name != "apt" && c.Name != "aptitude" {
				continue
			}
			verb := c.verb(aptValued...)
			if verb != "install" {
				continue
			}
			if c.hasFlag("no-install-recommends", "without-recommends") || (c.Name == "aptitude" && c.hasFlag("R")) {
				continue
			}
			if recommendsOff(c.Args) || configured || p.recommendsConfigured(ri) {
				continue
			}
			out = append(out, p.FindingAt(ri.rangeOf(c),
				c.Name+" install without --no-install-recommends also installs recommended packages, often more than the ones asked for",
				"add --no-install-recommends and name any recommended package you really need"))
		}
	}
	return out
}

// recommendsOff reports whether an -o option turns recommends off.
func recommendsOff(args []string) bool {
	for _, a := range args {
		l := strings.ToLower(a)
		if strings.Contains(l, "install-recommends=") {
			v := l[strings.Index(l, "install-recommends=")+len("install-recommends="):]
			v = strings.Trim(v, `"'`)
			if v == "false" || v == "0" || v == "no" || v == "off" {
				return true
			}
		}
	}
	return false
}

// configuresNoRecommends reports whether a command writes an apt
// configuration that turns recommends off (echo 'APT::Install-Recommends
// "false";' > /etc/apt/apt.conf.d/...).
func configuresNoRecommends(c command) bool {
	if c.Name != "echo" && c.Name != "printf" {
		return false
	}
	if len(c.Redirs) == 0 {
		return false
	}
	text := strings.ToLower(strings.Join(c.Args, " "))
	return strings.Contains(text, "install-recommends") &&
		(strings.Contains(text, "false") || strings.Contains(text, `"0"`) || strings.Contains(text, " 0"))
}

// recommendsConfigured reports whether an earlier RUN of the stage chain
// configured apt not to install recommends.
func (p *Pass) recommendsConfigured(ri *runInfo) bool {
	for _, prev := range p.runsBefore(ri.in) {
		for _, c := range prev.cmds {
			if configuresNoRecommends(c) {
				return true
			}
		}
	}
	return false
}

package rules

import (
	"strings"

	"github.com/whittle/whittle/pkg/shellfacts"
)

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
			// NoInstallRecommends covers --no-install-recommends,
			// aptitude -R/--without-recommends and
			// -o APT::Install-Recommends=false.
			pk := c.pkg(shellfacts.Apt)
			if pk == nil || pk.RawVerb != "install" || pk.NoInstallRecommends {
				continue
			}
			if c.hasFlag("without-recommends") || configured || p.recommendsConfigured(ri) {
				continue
			}
			out = append(out, p.FindingAt(ri.rangeOf(c),
				c.Name+" install without --no-install-recommends also installs recommended packages, often more than the ones asked for",
				"add --no-install-recommends and name any recommended package you really need"))
		}
	}
	return out
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

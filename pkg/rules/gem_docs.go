package rules

import (
	"strings"

	"github.com/whittle/whittle/pkg/shellfacts"
)

// gemDocs is WH504: gem install or update without --no-document.
type gemDocs struct{}

func (gemDocs) Meta() Meta {
	return Meta{
		ID:       "WH504",
		Name:     "gem-no-document",
		Summary:  "gem install (or gem update) without --no-document generates rdoc and ri documentation into the image.",
		Severity: Warning,
		Doc:      "docs/rules/WH504.md",
		Repair:   Safe,
		Measure:  MeasurePaths,
		Intent:   []string{"documentation", "rdoc", " ri ", "docs"},
	}
}

func (gemDocs) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if ri.in.Stage != nil && officialRepo(p.rootImage(ri.in.Stage)) == "ruby" {
			continue // the official ruby images ship a gemrc with --no-document
		}
		if p.gemrcNoDocument(ri) {
			continue
		}
		for _, c := range ri.cmds {
			if gemrcWrite(c) {
				break
			}
			pk := c.pkg(shellfacts.Gem)
			if pk == nil {
				continue
			}
			v := pk.RawVerb
			if v != "install" && v != "update" && v != "i" {
				continue
			}
			// NoDocument: --no-document, -N, --no-ri with --no-rdoc, or
			// an empty --document=.
			if pk.NoDocument {
				continue
			}
			f := p.FindingAt(ri.rangeOf(c),
				"gem "+v+" without --no-document installs rdoc and ri documentation",
				"add --no-document, or write `gem: --no-document` to /etc/gemrc (or ~/.gemrc) first")
			f.Paths = gemDocDirs(p, ri)
			// A documentation flag of its own (--no-ri, --document=ri)
			// is the author's choice: no repair.
			if !c.hasFlag("no-rdoc", "no-ri", "document") {
				if e, ok := ri.shell().flagAfterVerb(c.Command, "--no-document", gemValued...); ok {
					f.Repair = newRepair(p.File, Safe, "add --no-document to gem "+v, "", e)
				}
			}
			out = append(out, f)
		}
	}
	return out
}

// gemValued are gem's options that take a value.
var gemValued = []string{"-v", "--version", "-s", "--source", "-i", "--install-dir", "-n", "--bindir", "--platform"}

// gemrcWrite reports whether a command writes "--no-document" into a gemrc.
func gemrcWrite(c command) bool {
	if c.Name != "echo" && c.Name != "printf" {
		return false
	}
	text := strings.Join(c.Args, " ")
	for _, r := range c.Redirs {
		if strings.Contains(r, "gemrc") && strings.Contains(text, "no-document") {
			return true
		}
	}
	return false
}

// gemrcNoDocument reports whether an earlier RUN of the stage chain wrote
// --no-document into a gemrc.
func (p *Pass) gemrcNoDocument(ri *runInfo) bool {
	return p.cmdIndex("gemrc no-document", gemrcWrite).before(ri, 0)
}

// gemDocDirs are where gem writes documentation: GEM_HOME/doc when the
// stage sets GEM_HOME, else the doc directory of each Ruby's default gem
// home (Debian's packaged Ruby, a Ruby built from source).
func gemDocDirs(p *Pass, ri *runInfo) []string {
	if v, ok := envLookup(p.File, ri.in, "GEM_HOME"); ok && strings.HasPrefix(v, "/") && !strings.Contains(v, "$") {
		return []string{strings.TrimRight(v, "/") + "/doc"}
	}
	return []string{"/var/lib/gems/*/doc", "/usr/lib/ruby/gems/*/doc", "/usr/local/lib/ruby/gems/*/doc"}
}

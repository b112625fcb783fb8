package rules

import (
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/shellfacts"
)

// cargoCache is WH506: cargo build, install or fetch without removing
// cargo's registry caches in the same RUN.
type cargoCache struct{}

func (cargoCache) Meta() Meta {
	return Meta{
		ID:       "WH506",
		Name:     "cargo-registry-cache",
		Summary:  "cargo build, install and fetch download crates into $CARGO_HOME/registry (and git checkouts into $CARGO_HOME/git), which stay in the layer.",
		Severity: Warning,
		Doc:      "docs/rules/WH506.md",
		Measure:  MeasurePaths,
	}
}

func (cargoCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		// CARGO_HOME: the stage's ENV, the official rust images'
		// /usr/local/cargo, or root's ~/.cargo.
		homes := []string{"/root/.cargo", "/usr/local/cargo", "${CARGO_HOME}", "$CARGO_HOME"}
		home := homes[0]
		if officialRepo(p.rootImage(ri.in.Stage)) == "rust" {
			home = homes[1]
		}
		if v, ok := envLookup(p.File, ri.in, "CARGO_HOME"); ok && strings.HasPrefix(v, "/") {
			home = v
			homes = append(homes, v)
		}
		if mountCovers(ri, home+"/registry") || mountContains(ri, "cargo/registry") || mountContains(ri, ".cargo/registry") {
			continue
		}
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Cargo)
			if pk == nil {
				continue
			}
			v := pk.RawVerb
			if v != "build" && v != "install" && v != "fetch" && v != "b" {
				continue
			}
			if registryRemoved(ri, i, homes) {
				continue
			}
			// root's ~/.cargo is the user's: under another USER (or a
			// moved HOME), that user's home.
			reg, regAbs, gitAbs := home+"/registry", home+"/registry", home+"/git"
			if home == homes[0] && !slices.Contains(homes[4:], home) {
				reg, regAbs = p.underHome(ri, home+"/registry")
				_, gitAbs = p.underHome(ri, home+"/git")
			}
			rm := "`rm -rf " + regAbs + " " + gitAbs + "`"
			if regAbs == "" {
				rm = "`rm -rf ~/.cargo/registry ~/.cargo/git` as that user"
			}
			f := p.FindingAt(ri.rangeOf(c),
				"cargo "+v+" leaves the downloaded crates in "+reg+" in this layer",
				"build in a separate stage and copy only the binary, or end the RUN with "+rm+", or mount a cache on "+reg)
			if regAbs != "" {
				f.Paths = []string{regAbs, gitAbs}
			}
			out = append(out, f)
			break
		}
	}
	return out
}

func registryRemoved(ri *runInfo, i int, homes []string) bool {
	for _, h := range homes {
		if removedAfter(ri, i, h+"/registry") {
			return true
		}
	}
	return false
}

package rules

import "github.com/whittle/whittle/pkg/shellfacts"

// npmCache is WH502: npm install without `npm cache clean --force` in the
// same RUN.
type npmCache struct{}

func (npmCache) Meta() Meta {
	return Meta{
		ID:       "WH502",
		Name:     "npm-cache-clean",
		Summary:  "npm install (or npm ci) fills ~/.npm/_cacache, which stays in the layer unless the same RUN runs `npm cache clean --force`.",
		Severity: Warning,
		Doc:      "docs/rules/WH502.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "npm-cache",
		Intent:   []string{"cache"},
	}
}

var npmInstallVerbs = map[string]bool{"install": true, "i": true, "in": true, "ins": true, "inst": true, "insta": true,
	"instal": true, "isnt": true, "isnta": true, "isntal": true, "isntall": true, "add": true, "ci": true,
	"clean-install": true, "install-clean": true, "update": true, "up": true, "upgrade": true}

const npmCacheDir = "/root/.npm"

func (npmCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, npmCacheDir+"/_cacache") || mountContains(ri, "/.npm") {
			continue
		}
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Npm)
			if pk == nil || !npmInstallVerbs[pk.RawVerb] {
				continue
			}
			if npmCacheCleanedAfter(ri.cmds, i) {
				continue
			}
			f := p.FindingAt(ri.rangeOf(c),
				"npm "+pk.RawVerb+" leaves its download cache in ~/.npm in this layer",
				"end the same RUN with `npm cache clean --force` (without --force npm 5+ cleans nothing), or mount a cache on /root/.npm")
			f.Repair, _ = p.cleanupRepair(ri, toolNpm, func(c command) bool { return c.pkg(shellfacts.Npm) != nil },
				"run npm cache clean --force", "npm cache clean --force")
			out = append(out, f)
			break
		}
	}
	return out
}

// npmCacheCleanedAfter reports whether `npm cache clean --force` (or rm of
// ~/.npm) runs after i.
func npmCacheCleanedAfter(cmds []command, i int) bool {
	for _, c := range cmds[i+1:] {
		if pk := c.pkg(shellfacts.Npm); pk != nil && pk.Verb == shellfacts.Clean && pk.Force {
			return true
		}
		if removes(c, npmCacheDir+"/_cacache") || removesHomeCache(c, "/.npm", "/.npm/_cacache") {
			return true
		}
	}
	return false
}

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
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Npm)
			if pk == nil || !npmInstallVerbs[pk.RawVerb] {
				continue
			}
			// The cache is where npm_config_cache or --cache put it.
			cache := npmCacheDir
			if pk.CacheDir != "" {
				cache = pk.CacheDir
			}
			if mountCovers(ri, cache+"/_cacache") || pk.CacheDir == "" && mountContains(ri, "/.npm") {
				continue
			}
			if npmCacheCleanedAfter(ri.cmds, i, cache) {
				continue
			}
			where := "~/.npm"
			clean := "npm cache clean --force"
			if pk.CacheDir != "" {
				where = cache
				clean += " --cache " + cache
			}
			mount := cache
			if pk.CacheDir == "" {
				mount, _ = p.underHome(ri, cache)
			}
			f := p.FindingAt(ri.rangeOf(c),
				"npm "+pk.RawVerb+" leaves its download cache in "+where+" in this layer",
				"end the same RUN with `"+clean+"` (without --force npm 5+ cleans nothing), or mount a cache on "+mount)
			f.Paths = cachePaths(cache, npmCacheDir)
			if pathText.MatchString(cache) {
				f.Repair, _ = p.cleanupRepair(ri, toolNpm, func(c command) bool { return c.pkg(shellfacts.Npm) != nil },
					"run "+clean, clean)
			}
			out = append(out, f)
			break
		}
	}
	return out
}

// npmCacheCleanedAfter reports whether the npm cache at cache is emptied
// after i: `npm cache clean --force` that sees the same cache, or an rm of
// it (or of ~/.npm, for the default one).
func npmCacheCleanedAfter(cmds []command, i int, cache string) bool {
	for _, c := range cmds[i+1:] {
		if pk := c.pkg(shellfacts.Npm); pk != nil && pk.Verb == shellfacts.Clean && pk.Force {
			sees := npmCacheDir
			if pk.CacheDir != "" {
				sees = pk.CacheDir
			}
			if sees == cache {
				return true
			}
		}
		if removes(c, cache+"/_cacache") || cache == npmCacheDir && removesHomeCache(c, "/.npm", "/.npm/_cacache") {
			return true
		}
	}
	return false
}

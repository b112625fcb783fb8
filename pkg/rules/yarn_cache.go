package rules

import "github.com/whittle/whittle/pkg/shellfacts"

// yarnCache is WH503: yarn install without `yarn cache clean` in the same
// RUN.
type yarnCache struct{}

func (yarnCache) Meta() Meta {
	return Meta{
		ID:       "WH503",
		Name:     "yarn-cache-clean",
		Summary:  "yarn install (also bare `yarn`, `yarn add`, `yarn global add`) fills yarn's cache, which stays in the layer unless the same RUN runs `yarn cache clean`.",
		Hadolint: []string{"DL3060"},
		Severity: Warning,
		Doc:      "docs/rules/WH503.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "yarn-cache",
		Intent:   []string{"cache"},
	}
}

// yarnCacheDirs are yarn v1's cache directories for root (Linux).
var yarnCacheDirs = []string{"/usr/local/share/.cache/yarn", "/root/.cache/yarn", "/root/.yarn/berry/cache"}

func (yarnCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountContains(ri, ".cache/yarn") || mountContains(ri, "/.yarn") || mountCovers(ri, yarnCacheDirs...) {
			continue
		}
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Yarn)
			if pk == nil {
				continue
			}
			v := pk.RawVerb // "yarn global add" gives "add"
			if v != "install" && v != "" && v != "add" {
				continue
			}
			if v == "" && c.hasFlag("version", "help", "v", "h") {
				continue
			}
			if c.hasFlag("cache-folder") || yarnCacheCleanedAfter(ri.cmds, i) {
				continue
			}
			what := "yarn"
			if v != "" {
				what += " " + v
			}
			f := p.FindingAt(ri.rangeOf(c),
				what+" leaves yarn's package cache in this layer",
				"end the same RUN with `yarn cache clean`, or mount a cache on /usr/local/share/.cache/yarn")
			f.Repair, _ = p.cleanupRepair(ri, toolYarn, func(c command) bool { return c.pkg(shellfacts.Yarn) != nil },
				"run yarn cache clean", "yarn cache clean")
			out = append(out, f)
			break
		}
	}
	return out
}

func yarnCacheCleanedAfter(cmds []command, i int) bool {
	for _, c := range cmds[i+1:] {
		if pk := c.pkg(shellfacts.Yarn); pk != nil && pk.Verb == shellfacts.Clean {
			return true
		}
		for _, d := range yarnCacheDirs {
			if removes(c, d) {
				return true
			}
		}
		if removesHomeCache(c, "/.cache/yarn", "/.cache") {
			return true
		}
	}
	return false
}

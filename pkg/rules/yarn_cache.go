package rules

import (
	"path"

	"github.com/whittle/whittle/pkg/shellfacts"
)

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

// yarnCacheDirs are yarn v1's cache directories for root (Linux): yarn
// takes /usr/local/share for root's home, whatever HOME says; another
// user's cache is ~/.cache/yarn.
var yarnCacheDirs = []string{"/usr/local/share/.cache/yarn", "/root/.cache/yarn", "/root/.yarn/berry/cache"}

func (yarnCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		defaultMounted := mountContains(ri, ".cache/yarn") || mountContains(ri, "/.yarn") || mountCovers(ri, yarnCacheDirs...)
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
			// The cache is where YARN_CACHE_FOLDER or --cache-folder put it.
			custom := pk.CacheDir
			if custom != "" && mountCovers(ri, custom) || custom == "" && defaultMounted {
				continue
			}
			if yarnCacheCleanedAfter(ri.cmds, i, custom) {
				continue
			}
			what := "yarn"
			if v != "" {
				what += " " + v
			}
			where, clean, mount := "yarn's package cache", "yarn cache clean", yarnCacheDirs[0]
			var paths []string
			switch {
			case custom != "":
				where, clean, mount = "its package cache ("+custom+")", clean+" --cache-folder "+custom, custom
				paths = cachePaths(custom, "")
			case nonRoot(ri.in):
				// ~/.cache/yarn of the user: HOME as the command sees
				// it, else the home the Dockerfile gives the user.
				// `yarn cache clean` sees the same cache.
				home := p.homeOf(ri)
				if pk.Home != "" {
					home.dir = pk.Home
				}
				if h, ok := c.Assigns["HOME"]; ok && pk.Home != "" && pathText.MatchString(h) {
					// HOME given to the install alone: the clean
					// needs it too.
					clean = "HOME=" + h + " " + clean
				}
				if home.dir != "" {
					mount = path.Join(home.dir, ".cache/yarn")
					where = "its package cache (" + mount + ")"
					paths = cachePaths(mount, "")
				} else {
					mount = "$HOME/.cache/yarn" + home.note()
					where = "its package cache (~/.cache/yarn)"
				}
			}
			f := p.FindingAt(ri.rangeOf(c),
				what+" leaves "+where+" in this layer",
				"end the same RUN with `"+clean+"`, or mount a cache on "+mount)
			f.Paths = paths
			if custom == "" || pathText.MatchString(custom) {
				f.Repair, _ = p.cleanupRepair(ri, toolYarn, func(c command) bool { return c.pkg(shellfacts.Yarn) != nil },
					"run "+clean, clean)
			}
			out = append(out, f)
			break
		}
	}
	return out
}

// yarnCacheCleanedAfter reports whether yarn's cache (custom, or the
// default ones when custom is "") is emptied after i: `yarn cache clean`
// that sees the same cache, or an rm of it.
func yarnCacheCleanedAfter(cmds []command, i int, custom string) bool {
	for _, c := range cmds[i+1:] {
		if pk := c.pkg(shellfacts.Yarn); pk != nil && pk.Verb == shellfacts.Clean && pk.CacheDir == custom {
			return true
		}
		if custom != "" {
			if removes(c, custom) {
				return true
			}
			continue
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

package rules

import (
	"strings"

	"github.com/whittle/whittle/pkg/shellfacts"
)

// goCache is WH505: go build or go install without cleaning Go's build
// cache in the same RUN.
type goCache struct{}

func (goCache) Meta() Meta {
	return Meta{
		ID:       "WH505",
		Name:     "go-build-cache",
		Summary:  "go build, install, test or run fill Go's build cache (~/.cache/go-build), which stays in the layer unless the same RUN cleans it or a cache mount holds it.",
		Severity: Warning,
		Doc:      "docs/rules/WH505.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "go-build-cache",
		Intent:   []string{"cache"},
	}
}

const goBuildCache = "/root/.cache/go-build"

func (goCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		gocache := goBuildCache
		if v, ok := ri.in.Scope.Lookup("GOCACHE"); ok && strings.HasPrefix(v, "/") {
			gocache = v
		}
		if mountCovers(ri, gocache) || mountContains(ri, "go-build") {
			continue
		}
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Go)
			if pk == nil {
				continue
			}
			v := pk.RawVerb
			if v != "build" && v != "install" && v != "test" && v != "run" {
				continue
			}
			// CacheDir: GOCACHE as this command sees it (ENV, export or a
			// prefix assignment).
			cache := gocache
			if d := pk.CacheDir; d != "" && d != gocache {
				if strings.HasPrefix(d, "/tmp") || mountCovers(ri, d) {
					continue
				}
				cache = d
			}
			if goCleanedAfter(ri, i, cache, gocache) {
				continue
			}
			shown, target := cache, "RUN --mount=type=cache,target="+cache
			if cache == goBuildCache {
				// Under the user's home; GOCACHE and XDG_CACHE_HOME
				// move it (then CacheDir or the stage's GOCACHE says).
				var abs string
				if shown, abs = p.underHome(ri, cache); abs == "" {
					target = "a cache mount on " + shown
				} else {
					target = "RUN --mount=type=cache,target=" + abs
				}
			}
			f := p.FindingAt(ri.rangeOf(c),
				"go "+v+" leaves Go's build cache ("+shown+", often hundreds of MB) in this layer",
				"build in a separate stage and copy only the binary, or end the RUN with `go clean -cache`, or use "+target)
			f.Paths = cachePaths(cache, goBuildCache)
			// In a stage whose layers do not ship, the cache costs the
			// image nothing; the remedy there is a cache mount, which fix
			// does not add.
			if ri.in.Stage == nil || p.Ships(ri.in.Stage) {
				// go clean -cache cleans the cache it sees: a GOCACHE
				// given to the build alone is given to it too.
				clean := "go clean -cache"
				if _, ok := c.Assigns["GOCACHE"]; ok {
					clean = "GOCACHE=" + cache + " " + clean
				}
				if !strings.ContainsAny(cache, "$ '\"") {
					f.Repair, _ = p.cleanupRepair(ri, toolGo, func(c command) bool { return c.pkg(shellfacts.Go) != nil },
						"run "+clean, clean)
				}
			}
			out = append(out, f)
			break
		}
	}
	return out
}

// goCleanedAfter reports whether the build cache gocache is cleaned after
// index i: by a go clean -cache that sees the same GOCACHE (def is the
// stage's), or an rm of it.
func goCleanedAfter(ri *runInfo, i int, gocache, def string) bool {
	if removedAfter(ri, i, gocache) || removedAfter(ri, i, "${GOCACHE}") || removedAfter(ri, i, "$GOCACHE") {
		return true
	}
	return ri.lastWhere("go clean -cache:"+gocache+":"+def, func(c command) bool {
		if pk := c.pkg(shellfacts.Go); pk != nil && pk.Verb == shellfacts.Clean && c.hasArg("-cache", "--cache") {
			sees := def
			if pk.CacheDir != "" {
				sees = pk.CacheDir
			}
			if sees == gocache {
				return true
			}
		}
		if c.Name == "rm" {
			for _, op := range c.operands() {
				if strings.Contains(op, "$(go env GOCACHE)") {
					return true
				}
			}
		}
		return false
	}) > i
}

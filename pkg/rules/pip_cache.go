package rules

import "github.com/whittle/whittle/pkg/shellfacts"

// pipCache is WH501: pip install without --no-cache-dir.
type pipCache struct{}

func (pipCache) Meta() Meta {
	return Meta{
		ID:       "WH501",
		Name:     "pip-no-cache-dir",
		Summary:  "pip install without --no-cache-dir keeps every downloaded wheel and sdist in ~/.cache/pip.",
		Hadolint: []string{"DL3042"},
		Severity: Warning,
		Doc:      "docs/rules/WH501.md",
	}
}

func (pipCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountContains(ri, ".cache/pip") || mountCovers(ri, "/root/.cache/pip") {
			continue
		}
		if v, ok := envLookup(p.File, ri.in, "PIP_NO_CACHE_DIR"); ok && shellfacts.Truthy(v) {
			continue
		}
		for i, c := range ri.cmds {
			// pip download and pip wheel write where they are told and
			// are not reported; NoCache covers --no-cache-dir and
			// PIP_NO_CACHE_DIR from ENV, export or a prefix assignment.
			pk := c.Pkg
			if pk == nil || pk.Manager != shellfacts.Pip || pk.RawVerb != "install" || pk.NoCache {
				continue
			}
			if pipCacheCleanedAfter(ri.cmds, i) {
				continue
			}
			out = append(out, p.FindingAt(ri.rangeOf(c),
				"pip install without --no-cache-dir keeps the downloaded packages in ~/.cache/pip in this layer",
				"add --no-cache-dir (or set ENV PIP_NO_CACHE_DIR=1, or mount a cache on /root/.cache/pip)"))
		}
	}
	return out
}

// pipCacheCleanedAfter reports whether the pip cache is removed after i:
// `pip cache purge` or rm of ~/.cache/pip (or ~/.cache).
func pipCacheCleanedAfter(cmds []command, i int) bool {
	for _, c := range cmds[i+1:] {
		if c.Pkg != nil && c.Pkg.Manager == shellfacts.Pip && c.Pkg.Verb == shellfacts.Clean {
			return true
		}
		if removes(c, "/root/.cache/pip") || removesHomeCache(c, "/.cache/pip", "/.cache") {
			return true
		}
	}
	return false
}

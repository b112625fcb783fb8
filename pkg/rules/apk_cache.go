package rules

import "github.com/whittle/whittle/pkg/shellfacts"

// apkCache is WH301: apk add without --no-cache.
type apkCache struct{}

func (apkCache) Meta() Meta {
	return Meta{
		ID:       "WH301",
		Name:     "apk-no-cache",
		Summary:  "apk add without --no-cache leaves the package index in /var/cache/apk.",
		Hadolint: []string{"DL3019"},
		Severity: Warning,
		Doc:      "docs/rules/WH301.md",
	}
}

const apkCacheDir = "/var/cache/apk"

func (apkCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, apkCacheDir) {
			continue
		}
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Apk)
			if pk == nil || pk.RawVerb != "add" || pk.NoCache || c.hasFlag("no-network") {
				continue
			}
			if removedAfter(ri.cmds, i, apkCacheDir) {
				continue
			}
			out = append(out, p.FindingAt(ri.rangeOf(c),
				"apk add without --no-cache leaves the package index in /var/cache/apk",
				"use `apk add --no-cache` (no `apk update` needed)"))
		}
	}
	return out
}

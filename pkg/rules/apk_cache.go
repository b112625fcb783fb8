package rules

import (
	"fmt"

	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// apkCache is WH301: apk add without --no-cache, leaving the package index
// in /var/cache/apk.
type apkCache struct{}

func (apkCache) Meta() Meta {
	return Meta{
		ID:       "WH301",
		Name:     "apk-no-cache",
		Summary:  "apk add without --no-cache leaves the package index in /var/cache/apk.",
		Hadolint: []string{"DL3019"},
		Severity: Warning,
		Doc:      "docs/rules/WH301.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "apk-cache",
		Intent:   []string{"index", "apk cache", "no-cache"},
	}
}

const apkCacheDir = "/var/cache/apk"

// apkValued are apk's options that take a value.
var apkValued = []string{"-X", "--repository", "-p", "--root", "-t", "--virtual", "--arch", "--keys-dir", "--repositories-file", "--cache-dir"}

func (apkCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, apkCacheDir) {
			continue
		}
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Apk)
			if pk == nil || pk.RawVerb != "add" || pk.NoCache || c.hasFlag("no-network") || removedAfter(ri, i, apkCacheDir) {
				continue
			}
			f := p.FindingAt(ri.rangeOf(c),
				"apk add without --no-cache leaves the package index in /var/cache/apk",
				"use `apk add --no-cache` (no `apk update` needed)")
			f.Repair = p.apkNoCacheRepair(ri, i)
			out = append(out, f)
		}
	}
	return out
}

// apkUpdate is WH302: apk update leaves the package index in
// /var/cache/apk, where apk add --no-cache would fetch it without keeping
// it.
type apkUpdate struct{}

func (apkUpdate) Meta() Meta {
	return Meta{
		ID:       "WH302",
		Name:     "apk-update-index",
		Summary:  "apk update stores the package index in /var/cache/apk, which stays in the layer unless the same RUN removes it; apk add --no-cache needs no apk update.",
		Severity: Warning,
		Doc:      "docs/rules/WH302.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "apk-cache",
		Intent:   []string{"index", "apk cache"},
	}
}

func (apkUpdate) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, apkCacheDir) {
			continue
		}
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Apk)
			if pk == nil || pk.Verb != shellfacts.Update || removedAfter(ri, i, apkCacheDir) {
				continue
			}
			f := p.FindingAt(ri.rangeOf(c),
				"apk update leaves the package index in /var/cache/apk in this layer",
				"drop `apk update` and use `apk add --no-cache`, which fetches the index without keeping it (or remove /var/cache/apk/* at the end of the RUN)")
			f.Repair = p.apkUpdateRepair(ri, i)
			out = append(out, f)
		}
	}
	return out
}

// apkIndexUser returns a name when c reads the package index that an
// earlier apk command left in /var/cache/apk, without --no-cache or
// --update to fetch it itself: abuild (its dependency installs), a plain
// apk add, and apk's other commands that read the index. (A plain apk add
// has a finding of its own: once repaired, it reads nothing, and the
// earlier add's repair becomes safe in the next round.)
func apkIndexUser(c command) string {
	if c.Name == "abuild" {
		return "abuild"
	}
	pk := c.pkg(shellfacts.Apk)
	if pk == nil || pk.NoCache || pk.Update {
		return ""
	}
	switch pk.RawVerb {
	case "add", "upgrade", "fix", "search", "fetch", "version", "policy", "dot", "list":
		return "apk " + pk.RawVerb
	}
	return ""
}

// apkRefreshes reports whether c fetches the index again (apk update,
// or an apk command with --update).
func apkRefreshes(c command) bool {
	pk := c.pkg(shellfacts.Apk)
	return pk != nil && (pk.Verb == shellfacts.Update || pk.Update)
}

// apkIndexUsedAfter returns the line and name of the first command after
// index i of the RUN (or in the later RUNs of the stage) that reads the
// index without fetching it, before anything fetches it again; 0 if none.
func (p *Pass) apkIndexUsedAfter(ri *runInfo, i int) (int, string) {
	at, ok := p.cmdIndex("apk index read or fetched", func(c command) bool {
		return apkRefreshes(c) || apkIndexUser(c) != ""
	}).after(ri, i)
	if !ok || apkRefreshes(at.ri.cmds[at.i]) {
		return 0, ""
	}
	return at.line(), apkIndexUser(at.ri.cmds[at.i])
}

// apkNoCacheRepair adds --no-cache to the apk add at index i. It is safe
// unless a later command reads the index this add would have left.
func (p *Pass) apkNoCacheRepair(ri *runInfo, i int) *Repair {
	se := ri.shell()
	if se == nil {
		return nil
	}
	e, ok := se.flagAfterVerb(ri.cmds[i].Command, "--no-cache", apkValued...)
	if !ok {
		return nil
	}
	a, reason := Safe, ""
	if line, who := p.apkIndexUsedAfter(ri, i); line > 0 {
		a, reason = Unsafe, fmt.Sprintf("%s at line %d reads the package index that this apk add keeps without --no-cache", who, line)
	}
	return newRepair(p.File, a, "add --no-cache to apk add", reason, e)
}

// apkUpdateRepair drops an apk update whose index only apk add --no-cache
// commands follow (they fetch it themselves); where a later command of
// the RUN reads it, the index is removed at the end of the RUN instead.
// Where a later RUN reads it, there is no repair.
func (p *Pass) apkUpdateRepair(ri *runInfo, i int) *Repair {
	se := ri.shell()
	if se == nil {
		return nil
	}
	// A later RUN that reads the index before fetching it.
	if _, ok := p.runIndex("reads the apk index before fetching it", func(o *runInfo) bool {
		for _, c := range o.cmds {
			if apkRefreshes(c) {
				return false
			}
			if apkIndexUser(c) != "" {
				return true
			}
		}
		return false
	}).afterRuns(ri); ok {
		return nil
	}
	// Every later apk command of the RUN must be an add that fetches the
	// index itself: with --no-cache, or getting it from its own safe
	// repair in the same round.
	needed := false
	for j := i + 1; j < len(ri.cmds); j++ {
		c := ri.cmds[j]
		pk := c.pkg(shellfacts.Apk)
		switch {
		case pk == nil && apkIndexUser(c) == "" || pk != nil && pk.RawVerb == "del":
		case pk != nil && pk.RawVerb == "add" && !pk.Update:
			// An add fetches the index itself once it has --no-cache,
			// which its own repair gives it in this round when safe.
			if line, _ := p.apkIndexUsedAfter(ri, j); !pk.NoCache && line > 0 {
				needed = true
			}
		default:
			needed = true
		}
	}
	if !needed {
		cl, ok := se.callOf(ri.cmds[i].Command)
		if ok && !cl.nested {
			if e, ok := se.dropChainLink(cl); ok {
				return newRepair(p.File, Safe, "drop apk update: apk add --no-cache fetches the index itself", "", e)
			}
		}
	}
	e, ok := se.appendCmds(se.sudoFor("apk") + "rm -rf /var/cache/apk/*")
	if !ok {
		return nil
	}
	return newRepair(p.File, Safe, "remove /var/cache/apk/* at the end of the RUN", "", []edit.Edit{e}...)
}

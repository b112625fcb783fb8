package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

// aptLists is WH201: apt-get update without removing /var/lib/apt/lists in
// the same RUN.
type aptLists struct{}

func (aptLists) Meta() Meta {
	return Meta{
		ID:       "WH201",
		Name:     "apt-lists-not-removed",
		Summary:  "apt-get update downloads package lists that stay in the layer unless the same RUN removes /var/lib/apt/lists.",
		Hadolint: []string{"DL3009"},
		Severity: Warning,
		Doc:      "docs/rules/WH201.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "apt-lists",
		Intent:   []string{"lists"},
	}
}

const aptListsDir = "/var/lib/apt/lists"

func (aptLists) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, aptListsDir) {
			continue
		}
		for i, c := range ri.cmds {
			if aptVerb(c) != "update" {
				continue
			}
			if removedAfter(ri, i, aptListsDir) || aptDistcleanAfter(ri, i) {
				break
			}
			f := p.FindingAt(ri.rangeOf(c),
				c.Name+" update leaves the package lists in /var/lib/apt/lists (tens of MB) in this layer",
				"end the same RUN with `rm -rf /var/lib/apt/lists/*`, or mount a cache on /var/lib/apt/lists")
			f.Repair = p.aptListsRepair(ri, c)
			out = append(out, f)
			break
		}
	}
	return out
}

// aptListsRepair removes the lists at the end of the RUN. When later RUNs
// install from these lists without an update of their own, removing them
// would break those RUNs: the repair then merges them into this one (the
// lists go in the next round), or, where they cannot be merged, gives each
// of them its own update, which is unsafe (each fetches the lists again,
// maybe newer ones) with the words of this RUN's update (upd) as written:
// its options (-qq, -o Acquire::Retries=3, ...) hold for those updates too.
func (p *Pass) aptListsRepair(ri *runInfo, upd command) *Repair {
	needers := p.listsNeeders(ri)
	if len(needers) > 0 && !slices.ContainsFunc(ri.cmds, func(c command) bool { return aptInstallVerbs[aptVerb(c)] }) {
		return nil // a lone update: WH204's merge repairs it
	}
	if len(needers) == 0 {
		return p.appendRepair(ri, "remove /var/lib/apt/lists at the end of the RUN",
			ri.shell().sudoFor("apt-get", "apt")+"rm -rf /var/lib/apt/lists/*")
	}
	last := needers[len(needers)-1]
	if span := stageSpan(ri.in, last.in); span != nil {
		r, _ := p.mergeRepair(span, fmt.Sprintf("merge the RUNs at %s, which read these lists, into one, so that the lists can be removed at its end", lineRange(span)))
		if r != nil {
			return r
		}
	}
	// Each needer gets its own update; these lists go.
	se := ri.shell()
	end, ok := se.appendCmds(se.sudoFor("apt-get", "apt") + "rm -rf /var/lib/apt/lists/*")
	if !ok {
		return nil
	}
	at := make([]*dockerfile.Instruction, len(needers))
	for i, n := range needers {
		at[i] = n.in
	}
	env, update, ok := ri.shell().commandText(upd, at...)
	if !ok {
		return nil
	}
	edits := []edit.Edit{end}
	var lines []string
	for _, n := range needers {
		e, ok := p.prependCmd(n, env, update)
		if !ok {
			return nil
		}
		edits = append(edits, e)
		lines = append(lines, fmt.Sprint(n.in.Range.Start.Line))
	}
	which := "the RUNs at lines " + strings.Join(lines, ", ") + " their own " + env + update
	why := "those RUNs fetch the package lists again"
	if len(lines) == 1 {
		which = "the RUN at line " + lines[0] + " its own " + env + update
		why = "that RUN fetches the package lists again"
	}
	return newRepair(p.File, Unsafe,
		"remove /var/lib/apt/lists at the end of the RUN and give "+which,
		why+": more network traffic, and newer lists may install other versions", edits...)
}

// readsLists reports whether the command reads the package lists: an apt
// install, or a query (apt-cache show, apt list, ...).
func readsLists(c command) bool {
	return aptInstallVerbs[aptVerb(c)] || c.Name == "apt-cache" || c.Name == "apt" && aptQueries[c.verb("-o", "-c", "-t")]
}

// listsNeeders returns the later RUNs of the stage (and of stages built on
// it) that install with apt, or query its lists, before any update of
// their own: they read the lists this RUN fetched.
func (p *Pass) listsNeeders(ri *runInfo) []*runInfo {
	var out []*runInfo
	for _, at := range p.runIndex("reads the apt lists", func(o *runInfo) bool {
		if mountCovers(o, aptListsDir) {
			return false
		}
		for _, c := range o.cmds {
			v := aptVerb(c)
			if v == "update" {
				return false
			}
			if readsLists(c) {
				return true
			}
		}
		return false
	}).allAfter(ri) {
		out = append(out, at.ri)
	}
	return out
}

// prependCmd returns the edit putting `ENV UPDATE && ` (an apt-get update
// command and its prefix assignments, which go before any sudo) before the top-level && chain holding the RUN's first apt
// command that reads the lists; false when that command is not in such a
// chain.
func (p *Pass) prependCmd(ri *runInfo, env, update string) (edit.Edit, bool) {
	se := ri.shell()
	if se == nil || se.heredoc {
		return edit.Edit{}, false
	}
	for _, c := range ri.cmds {
		if !readsLists(c) {
			continue
		}
		if c.Call == nil {
			return edit.Edit{}, false
		}
		stmt, _, _ := se.topOf(c.Call)
		if stmt == nil || !andChain(stmt) {
			return edit.Edit{}, false
		}
		return edit.Insert(se.sc.Offset(stmt.Pos()), env+se.sudoFor("apt-get", "apt")+update+" && "), true
	}
	return edit.Edit{}, false
}

// aptDistcleanAfter reports whether `apt-get distclean` (apt >= 2.7, which
// removes the lists) runs after index i.
func aptDistcleanAfter(ri *runInfo, i int) bool {
	return ri.lastWhere("apt distclean", func(c command) bool {
		v := aptVerb(c)
		return v == "distclean" || v == "dist-clean"
	}) > i
}

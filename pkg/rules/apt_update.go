package rules

import (
	"fmt"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

// aptUpdateAlone is WH204: apt-get update in a RUN that installs nothing.
type aptUpdateAlone struct{}

func (aptUpdateAlone) Meta() Meta {
	return Meta{
		ID:       "WH204",
		Name:     "apt-update-alone",
		Summary:  "apt-get update in a RUN of its own commits the package lists to a layer that no later cleanup can shrink.",
		Severity: Warning,
		Doc:      "docs/rules/WH204.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "apt-lists",
		Intent:   []string{"layer", "separate", "lists"},
	}
}

func (aptUpdateAlone) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, aptListsDir) {
			continue
		}
		upd := -1
		installs := false
		for i, c := range ri.cmds {
			v := aptVerb(c)
			if v == "update" && upd < 0 {
				upd = i
			}
			if aptInstallVerbs[v] {
				installs = true
			}
		}
		if upd < 0 || installs || removedAfter(ri, upd, aptListsDir) {
			continue
		}
		c := ri.cmds[upd]
		f := p.FindingAt(ri.rangeOf(c),
			c.Name+" update runs in a RUN that installs nothing: its package lists are committed in this layer, whatever later RUNs remove",
			"move `apt-get update` into the RUN that installs, as `apt-get update && apt-get install ... && rm -rf /var/lib/apt/lists/*`")
		if next := p.nextAptInstall(ri.in); next != nil {
			f.Repair, _ = p.mergeRepair(stageSpan(ri.in, next.in), "merge this apt-get update into the RUN that installs after it")
		}
		if f.Repair == nil {
			f.Repair = p.spreadUpdate(ri)
		}
		out = append(out, f)
	}
	return out
}

// spreadUpdate is WH204's repair where no merge can take the update to the
// RUN that installs (a COPY between, another stage): the RUN of nothing
// but apt-get update goes, and the first later RUN that reads its lists
// (installs, or queries them: apt-cache, apt list, ...) gets the update in
// front of that command. The rounds after are WH201's: it removes the
// lists at the end of that RUN, merging the later RUNs that read them
// where it can, else giving each its own update. Unsafe: the lists are fetched later, by a RUN whose cache key
// changes, and newer lists may install other versions. Nil when the RUN
// does anything else, has flags (--network, --mount, ...), is a heredoc,
// when nothing reads the lists, or when the RUN that does cannot take the
// update (its command is not in a top-level && chain), or when a word of
// the update has a value not known here (it is carried as written, or as
// its known value: commandText). An
// apt-get clean beside the update (WH203's repair) goes with the RUN.
func (p *Pass) spreadUpdate(ri *runInfo) *Repair {
	se := ri.shell()
	if se == nil || se.heredoc || len(ri.in.Flags) > 0 || len(ri.cmds) == 0 {
		return nil
	}
	for _, c := range ri.cmds {
		switch aptVerb(c) {
		case "clean", "update":
			// A clean is WH203's repair (pkgcache.bin): the RUN that
			// installs gets its own.
		default:
			return nil
		}
	}
	needers := p.listsNeeders(ri)
	if len(needers) == 0 {
		return nil // WH201 removes the lists in this RUN
	}
	first := needers[0]
	env, update := "", ""
	for _, c := range ri.cmds {
		if aptVerb(c) != "update" {
			continue
		}
		// The update's words as written (-qq, -o Acquire::Retries=3,
		// its prefix assignments): they hold where it moves to.
		var ok bool
		if env, update, ok = se.commandText(c, first.in); !ok {
			return nil
		}
	}
	ed, ok := p.prependCmd(first, env, update)
	if !ok {
		return nil
	}
	s, e := edit.WholeLines(p.File.Src, ri.in.Range.Start.Offset, ri.in.Range.End.Offset)
	return newRepair(p.File, Unsafe,
		fmt.Sprintf("move %s into the RUN at line %d, the first that reads its lists, and remove this RUN", env+update, first.in.Range.Start.Line),
		"the lists are fetched later, by another RUN, and newer lists may install other versions", edit.Delete(s, e), ed)
}

// aptQueries are the apt subcommands that read the package lists without
// installing (apt-cache's, and apt's own): such a RUN needs the lists as
// much as one that installs.
var aptQueries = map[string]bool{
	"search": true, "show": true, "showpkg": true, "showsrc": true, "policy": true, "madison": true,
	"depends": true, "rdepends": true, "pkgnames": true, "dump": true, "stats": true, "list": true,
}

// nextAptInstall returns the next RUN of the stage when it installs with
// apt (or queries the lists) and only instructions a merge may step over
// lie between; nil otherwise.
func (p *Pass) nextAptInstall(in *dockerfile.Instruction) *runInfo {
	if in.Stage == nil {
		return nil
	}
	for _, x := range in.Stage.Instructions {
		if x.Index <= in.Index {
			continue
		}
		if !mergeKinds[x.Kind] {
			return nil
		}
		if x.Kind != dockerfile.KindRun {
			continue
		}
		ri := p.run(x)
		if ri == nil {
			return nil
		}
		for _, c := range ri.cmds {
			if readsLists(c) {
				return ri
			}
		}
		return nil
	}
	return nil
}

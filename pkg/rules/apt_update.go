package rules

import "github.com/whittle/whittle/pkg/dockerfile"

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
		out = append(out, f)
	}
	return out
}

// nextAptInstall returns the next RUN of the stage when it installs with
// apt and only instructions a merge may step over lie between; nil
// otherwise.
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
			if aptInstallVerbs[aptVerb(c)] {
				return ri
			}
		}
		return nil
	}
	return nil
}

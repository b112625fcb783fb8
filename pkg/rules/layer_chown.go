package rules

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// layerCopyChown is WH102: a COPY or ADD followed by a later RUN that runs
// chown or chmod over what was copied. The RUN writes every copied file
// again into a new layer; COPY --chown / --chmod sets owner and mode in
// the copy itself.
type layerCopyChown struct{}

func (layerCopyChown) Meta() Meta {
	return Meta{
		ID:       "WH102",
		Name:     "chown-after-copy",
		Summary:  "A RUN chown/chmod over files that an earlier COPY or ADD wrote duplicates them in a new layer; COPY --chown/--chmod does it in the copy.",
		Severity: Warning,
		Doc:      "docs/rules/WH102.md",
		Repair:   Safe,
		Measure:  MeasureHidden,
	}
}

func (layerCopyChown) Check(p *Pass) []Finding {
	var out []Finding
	for _, s := range p.File.Stages {
		steps, own := layerHistory(p, s)
		sf := newStepFacts(steps)
		// What the COPYs and ADDs wrote, by path, so that a chown looks
		// only at the copies it may cover.
		copied := newLiveItems()
		var cand []int
		for j := range steps {
			if steps[j].facts == nil {
				targets, _ := layerCopyTargets(steps[j].in)
				for _, t := range targets {
					copied.add(layerItem{step: j, kind: itemPath, name: t})
				}
				continue
			}
			if j < own {
				continue
			}
			for ci, c := range steps[j].facts.Commands {
				f := c.File
				if f == nil || (f.Op != "chown" && f.Op != "chgrp" && f.Op != "chmod") {
					continue
				}
				cand = cand[:0]
				for _, q := range f.Paths {
					if path.IsAbs(q) {
						cand = copied.pathCandidates(q, cand)
					}
				}
				var cands []int
				for _, k := range cand {
					cands = append(cands, copied.items[k].step)
				}
				slices.Sort(cands)
				cands = slices.Compact(cands)
				for x := len(cands) - 1; x >= 0; x-- {
					i := cands[x]
					cp := steps[i].in
					targets, dirs := layerCopyTargets(cp)
					hit := ""
					for k, t := range targets {
						for _, q := range f.Paths {
							// A non-recursive chown of a copied directory
							// rewrites only the directory entry.
							if dirs[k] && !f.Recursive && q == t {
								continue
							}
							// A non-recursive chown of a directory the copy
							// wrote into (COPY file DIR/, then chown USER
							// DIR) likewise rewrites only DIR's entry, not
							// the copied files below it.
							if !f.Recursive && t != path.Clean(q) && shellfacts.Under(t, q) && !strings.ContainsAny(q, "*?[") {
								continue
							}
							it := layerItem{step: i, name: t, dirCopy: dirs[k]}
							if layerPathOverlaps(t, q) && layerSubpathOK(it, q, sf, j, ci) {
								hit = q
							}
						}
					}
					if hit == "" {
						continue
					}
					run := steps[j].in
					msg := fmt.Sprintf("RUN at %s runs %s on %s, which the %s at %s wrote: every copied byte is written again in a new layer",
						layerLine(run), f.Op, hit, cp.Kind, layerLine(cp))
					fd := p.FindingAt(layerRange(c, run), msg, layerChownFix(cp, f))
					fd.RelatedLine = cp.Range.Start.Line
					fd.Repair = p.chownRepair(cp, p.run(run), c)
					out = append(out, fd)
					break
				}
			}
		}
	}
	return out
}

func layerChownFix(cp *dockerfile.Instruction, f *shellfacts.FileOp) string {
	flag := "--chown=" + f.Mode
	if f.Op == "chgrp" {
		flag = "--chown=<user>:" + f.Mode
	}
	note := ""
	if f.Op == "chmod" {
		flag = "--chmod=" + f.Mode
		note = " (--chmod needs BuildKit; symbolic modes such as u+x need a recent Dockerfile syntax, octal works everywhere)"
	}
	return fmt.Sprintf("set it in the copy: `%s %s ...` at %s, and drop the %s%s", cp.Kind, flag, layerLine(cp), f.Op, note)
}

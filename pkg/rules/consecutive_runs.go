package rules

import (
	"slices"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// consecutiveRuns is WH104: two RUNs in a row, each a single command, with
// the same flags.
type consecutiveRuns struct{}

func (consecutiveRuns) Meta() Meta {
	return Meta{
		ID:       "WH104",
		Name:     "consecutive-runs",
		Summary:  "Consecutive single-command RUNs with the same flags each add a layer; one RUN would do.",
		Hadolint: []string{"DL3059"},
		Severity: Info,
		Doc:      "docs/rules/WH104.md",
	}
}

func flagWords(in *dockerfile.Instruction) []string {
	var out []string
	for _, f := range in.Flags {
		out = append(out, f.Name+"="+f.Value)
	}
	slices.Sort(out)
	return out
}

func (consecutiveRuns) Check(p *Pass) []Finding {
	var out []Finding
	cmds := map[*dockerfile.Instruction]int{}
	for _, ri := range p.runs() {
		n := len(ri.cmds)
		if ri.facts == nil || ri.facts.Unparsed {
			n = 99 // unknown (a parse error, a non-shell interpreter): never flag
		}
		cmds[ri.in] = n
	}
	var prev *dockerfile.Instruction
	for _, in := range p.File.Instructions {
		if in.Kind != dockerfile.KindRun {
			prev = nil
			continue
		}
		if prev != nil && cmds[prev] <= 1 && cmds[in] <= 1 && slices.Equal(flagWords(prev), flagWords(in)) {
			out = append(out, p.FindingAt(in.Range,
				"this RUN directly follows another single-command RUN: each adds a layer",
				"join them into one RUN with &&"))
		}
		prev = in
	}
	return out
}

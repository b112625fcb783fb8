package fix

import (
	"context"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/rules"
)

// gate holds lint's findings for a file, so that Fix repairs only what
// lint reports: the same rule logic decides, and lint's inline ignores
// ("# whittle ignore=WH202") also keep fix away. Rules that lint does not
// have yet are not gated.
type gate struct {
	known   map[string]bool
	flagged map[string]map[int]bool // rule -> instruction index
}

func newGate(f *dockerfile.File) *gate {
	g := &gate{known: map[string]bool{}, flagged: map[string]map[int]bool{}}
	for _, r := range rules.All() {
		g.known[r.Meta().ID] = true
	}
	// Lint does no I/O without WithRegistryLookups.
	found, err := rules.Lint(context.Background(), f)
	if err != nil {
		// Without findings nothing known is flagged: fix stays put.
		return g
	}
	for _, fd := range found {
		in := instructionAtLine(f, fd.Line)
		if in == nil {
			continue
		}
		if g.flagged[fd.Rule] == nil {
			g.flagged[fd.Rule] = map[int]bool{}
		}
		g.flagged[fd.Rule][in.Index] = true
	}
	return g
}

// allows reports whether lint flags rule on in, or does not know rule.
func (g *gate) allows(rule string, in *dockerfile.Instruction) bool {
	if !g.known[rule] {
		return true
	}
	return g.flagged[rule][in.Index]
}

func instructionAtLine(f *dockerfile.File, line int) *dockerfile.Instruction {
	for _, in := range f.Instructions {
		if in.Range.Start.Line <= line && line <= in.Range.End.Line {
			return in
		}
	}
	return nil
}

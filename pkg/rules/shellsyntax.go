package rules

import (
	"errors"
	"fmt"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// shellSyntax is WH000: a RUN whose shell script does not parse, or nests
// deeper than dockerfile.MaxShellNesting. The rest of the file is still
// linted; the RUN itself is skipped by shell-aware rules.
type shellSyntax struct{}

func (shellSyntax) Meta() Meta {
	return Meta{
		ID:       "WH000",
		Name:     "shell-syntax",
		Summary:  "A RUN's shell script does not parse, or nests too deep to read, so whittle cannot check it.",
		Severity: Warning,
		Doc:      "docs/rules/WH000.md",
	}
}

func (shellSyntax) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if ri.script == nil || ri.script.Err == nil {
			continue
		}
		line, col := ri.in.Range.Start.Line, ri.in.Range.Start.Col
		msg := ri.script.Err.Error()
		var pe *dockerfile.ParseError
		if errors.As(ri.script.Err, &pe) {
			if pe.Line > 0 {
				line, col = pe.Line, pe.Col
			}
			msg = pe.Msg
		}
		if errors.Is(ri.script.Err, dockerfile.ErrNestedTooDeep) {
			out = append(out, p.Finding(line, col, line, col+1,
				"the shell script of this RUN is "+msg,
				"nest less: put the inner commands in a script file, or in variables set by earlier commands; the other rules skip this RUN"))
			continue
		}
		out = append(out, p.Finding(line, col, line, col+1,
			"the shell script of this RUN does not parse: "+msg,
			"fix the shell syntax (or use the exec form); the other rules skip this RUN"))
	}
	// A chain of stages each built FROM the one before is read no
	// further back than maxStageChain stages: said once, at the first
	// stage beyond it (the stages built on it are cut the same way).
	for _, s := range p.File.Stages {
		if s.From == nil || stageDepth(s, maxStageChain+2) != maxStageChain+1 {
			continue
		}
		r := s.From.Range
		out = append(out, p.Finding(r.Start.Line, r.Start.Col, r.Start.Line, r.Start.Col+1,
			fmt.Sprintf("this stage is built FROM a chain of %d stages: WH101, WH102, WH103 and WH107 look back over the %d nearest stages only, here and in the stages built on this one", maxStageChain, maxStageChain),
			"build FROM fewer stages in a row: put the steps of several stages in one"))
	}
	return out
}

package rules

import (
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// shared holds what several rules compute over one file, computed once.
type shared struct {
	f        *dockerfile.File
	shipping map[*dockerfile.Stage]bool

	runsOnce sync.Once
	runList  []*runInfo
}

func newShared(f *dockerfile.File) *shared {
	sh := &shared{f: f, shipping: map[*dockerfile.Stage]bool{}}
	for s := f.Target; s != nil && !sh.shipping[s]; s = s.BaseStage {
		sh.shipping[s] = true
	}
	return sh
}

func (sh *shared) ships(s *dockerfile.Stage) bool {
	if sh == nil || s == nil {
		return true
	}
	return sh.shipping[s]
}

// instructionAt returns the top-level instruction whose lines hold line,
// or nil.
func (sh *shared) instructionAt(line int) *dockerfile.Instruction {
	ins := sh.f.Instructions
	i := 0
	j := len(ins)
	for i < j { // first instruction ending at or after line
		h := (i + j) / 2
		if ins[h].Range.End.Line < line {
			i = h + 1
		} else {
			j = h
		}
	}
	if i < len(ins) && ins[i].Range.Start.Line <= line {
		return ins[i]
	}
	return nil
}

// runInfo is a RUN instruction (top-level or ONBUILD trigger) with its
// shell commands.
type runInfo struct {
	in     *dockerfile.Instruction
	run    *dockerfile.Run
	script *dockerfile.Script // nil for exec form
	cmds   []command
	mounts []dockerfile.Mount
}

// runs returns every RUN in source order, ONBUILD triggers included.
func (sh *shared) runs() []*runInfo {
	sh.runsOnce.Do(func() {
		for in := range sh.f.All() {
			if in.Kind != dockerfile.KindRun || in.Run == nil {
				continue
			}
			ri := &runInfo{in: in, run: in.Run, script: in.Run.Script, mounts: mounts(in)}
			switch {
			case ri.script != nil && ri.script.File != nil:
				ri.cmds = shellCommands(ri.script.File)
			case ri.script != nil && ri.script.Err == nil:
				// Not parsed by the model (an instruction outside any
				// stage): parse it here, positions stay relative to Text.
				if sf, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(ri.script.Text), ""); err == nil {
					ri.cmds = shellCommands(sf)
				}
			case len(in.Run.Exec) > 0:
				ri.cmds = execCommands(in.Run.Exec)
			}
			sh.runList = append(sh.runList, ri)
		}
	})
	return sh.runList
}

// runs returns every RUN in source order, ONBUILD triggers included.
func (p *Pass) runs() []*runInfo { return p.shared.runs() }

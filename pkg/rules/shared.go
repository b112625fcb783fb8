package rules

import (
	"strings"
	"sync"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// shared holds what several rules compute over one file, computed once.
type shared struct {
	f        *dockerfile.File
	shipping map[*dockerfile.Stage]bool

	runsOnce sync.Once
	runList  []*runInfo
	runOf    map[*dockerfile.Instruction]*runInfo

	linesOnce sync.Once
	srcLines  []string

	// The indexes of index.go, built once per file and question.
	indexMu  sync.Mutex
	indexes  map[string]*cmdIndex
	children map[*dockerfile.Stage][]*dockerfile.Stage
	mentions map[string][]*dockerfile.Instruction
	// mentionGrams indexes the instructions by the trigrams of their
	// text, once many texts have been asked about (mentionedLater).
	mentionGrams map[[3]byte][]int32

	// intents remembers the comments read for a rule's intent
	// (holdForIntent).
	intentMu sync.Mutex
	intents  map[intentKey]intentHit

	// roots is the image each stage is ultimately built on (rootImage).
	roots map[*dockerfile.Stage]string
}

// lines returns the file's lines, split once.
func (sh *shared) lines() []string {
	sh.linesOnce.Do(func() { sh.srcLines = strings.Split(string(sh.f.Src), "\n") })
	return sh.srcLines
}

func newShared(f *dockerfile.File) *shared {
	sh := &shared{f: f, shipping: map[*dockerfile.Stage]bool{}, roots: map[*dockerfile.Stage]string{}}
	for s := f.Target; s != nil && !sh.shipping[s]; s = s.BaseStage {
		sh.shipping[s] = true
	}
	// A stage is built FROM an earlier one: its root is known by then.
	for _, s := range f.Stages {
		if r, ok := sh.roots[s.BaseStage]; ok && s.BaseStage != nil {
			sh.roots[s] = r
		} else {
			sh.roots[s] = rootImage(s)
		}
	}
	return sh
}

// rootImage is rootImage(s), remembered for the stages of the file.
func (p *Pass) rootImage(s *dockerfile.Stage) string {
	if p.shared != nil {
		if r, ok := p.shared.roots[s]; ok {
			return r
		}
	}
	return rootImage(s)
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
	f      *dockerfile.File
	in     *dockerfile.Instruction
	run    *dockerfile.Run
	script *dockerfile.Script // nil for exec form
	facts  *shellfacts.Facts  // nil when the script does not parse
	cmds   []command
	mounts []dockerfile.Mount

	shellOnce sync.Once
	shellEd   *shellEdit

	indexOnce sync.Once
	idx       *runIndex
}

// shell returns what repairs need to edit the RUN's script, nil when it
// is not a shell script that parsed.
func (ri *runInfo) shell() *shellEdit {
	ri.shellOnce.Do(func() {
		if ri.facts != nil && !ri.facts.Unparsed {
			ri.shellEd = newShellEdit(ri.f, ri.in, ri.facts)
		}
	})
	return ri.shellEd
}

// runFacts reads what a RUN's script does; nil when it cannot.
func runFacts(in *dockerfile.Instruction) *shellfacts.Facts {
	f, err := shellfacts.OfRun(in)
	if err != nil {
		return nil
	}
	return f
}

// runs returns every RUN in source order, ONBUILD triggers included.
func (sh *shared) runs() []*runInfo {
	sh.runsOnce.Do(func() {
		for in := range sh.f.All() {
			if in.Kind != dockerfile.KindRun || in.Run == nil {
				continue
			}
			ri := &runInfo{f: sh.f, in: in, run: in.Run, script: in.Run.Script, mounts: mounts(in)}
			ri.facts = runFacts(in)
			ri.cmds = commandsOf(ri.facts)
			if sh.runOf == nil {
				sh.runOf = map[*dockerfile.Instruction]*runInfo{}
			}
			sh.runOf[in] = ri
			sh.runList = append(sh.runList, ri)
		}
	})
	return sh.runList
}

// runs returns every RUN in source order, ONBUILD triggers included.
func (p *Pass) runs() []*runInfo { return p.shared.runs() }

// run returns the RUN's information, nil for other instructions.
func (p *Pass) run(in *dockerfile.Instruction) *runInfo {
	p.shared.runs()
	return p.shared.runOf[in]
}

// facts returns what a RUN's script does, read once per file for every
// rule; nil when the script was not parsed.
func (p *Pass) facts(in *dockerfile.Instruction) *shellfacts.Facts {
	p.shared.runs()
	if ri := p.shared.runOf[in]; ri != nil {
		return ri.facts
	}
	return runFacts(in)
}

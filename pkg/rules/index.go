package rules

import (
	"sort"
	"strings"
	"sync"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// Many rules ask, for one command, whether some command before it in the
// stage chain, or after it in the stage and the stages built on it, does
// something: installs a package, fetches over https, reads the apt lists.
// Asked by scanning every RUN, each question costs time in the size of the
// file, and a file of n RUNs with a finding in each costs n squared (8000
// RUN lines: minutes). This file answers them from indexes built once per
// file and question: the commands for which a predicate holds, by stage, in
// source order. A question is then a binary search in a stage, plus what
// is remembered of the stages above or below it.

// cmdAt is a command of a RUN: ri.cmds[i]. For a question about whole
// RUNs (runIndex), i is 0.
type cmdAt struct {
	ri *runInfo
	i  int
}

// cmdIndex holds the commands for which one predicate holds.
type cmdIndex struct {
	// byStage lists them by stage in source order, ONBUILD triggers
	// apart (a trigger runs in another build: nothing of this file comes
	// after it); the nil stage holds RUNs before the first FROM.
	byStage  map[*dockerfile.Stage][]cmdAt
	triggers map[*dockerfile.Stage][]cmdAt
	// children lists the stages built FROM each stage.
	children map[*dockerfile.Stage][]*dockerfile.Stage

	mu sync.Mutex
	// below: the first in the stages built on a stage (transitively),
	// the stage itself excluded; chain: whether one is in a stage or a
	// stage it is built FROM.
	below map[*dockerfile.Stage]*cmdAt
	chain map[*dockerfile.Stage]bool
}

// cmdIndex returns the index of the commands for which fn holds. key names
// the predicate: one key, one predicate, for the whole file.
func (p *Pass) cmdIndex(key string, fn func(c command) bool) *cmdIndex {
	return p.shared.index("cmd:"+key, func(ri *runInfo) []int {
		var at []int
		for i, c := range ri.cmds {
			if fn(c) {
				at = append(at, i)
			}
		}
		return at
	})
}

// runIndex returns the index of the RUNs for which fn holds.
func (p *Pass) runIndex(key string, fn func(ri *runInfo) bool) *cmdIndex {
	return p.shared.index("run:"+key, func(ri *runInfo) []int {
		if fn(ri) {
			return []int{0}
		}
		return nil
	})
}

func (sh *shared) index(key string, match func(ri *runInfo) []int) *cmdIndex {
	sh.indexMu.Lock()
	defer sh.indexMu.Unlock()
	if x := sh.indexes[key]; x != nil {
		return x
	}
	x := &cmdIndex{
		byStage:  map[*dockerfile.Stage][]cmdAt{},
		triggers: map[*dockerfile.Stage][]cmdAt{},
		children: sh.stageChildren(),
		below:    map[*dockerfile.Stage]*cmdAt{},
		chain:    map[*dockerfile.Stage]bool{},
	}
	for _, ri := range sh.runs() {
		for _, i := range match(ri) {
			at := cmdAt{ri: ri, i: i}
			if ri.in.Index < 0 {
				x.triggers[ri.in.Stage] = append(x.triggers[ri.in.Stage], at)
			} else {
				x.byStage[ri.in.Stage] = append(x.byStage[ri.in.Stage], at)
			}
		}
	}
	if sh.indexes == nil {
		sh.indexes = map[string]*cmdIndex{}
	}
	sh.indexes[key] = x
	return x
}

// stageChildren maps each stage to the stages built FROM it, computed once.
func (sh *shared) stageChildren() map[*dockerfile.Stage][]*dockerfile.Stage {
	if sh.children == nil {
		sh.children = map[*dockerfile.Stage][]*dockerfile.Stage{}
		for _, s := range sh.f.Stages {
			if s.BaseStage != nil {
				sh.children[s.BaseStage] = append(sh.children[s.BaseStage], s)
			}
		}
	}
	return sh.children
}

// offset orders commands in source order.
func (a cmdAt) offset() int { return a.ri.in.Range.Start.Offset }

// less reports whether a comes before the command i of ri in the source.
func (a cmdAt) less(ri *runInfo, i int) bool {
	if a.offset() != ri.in.Range.Start.Offset {
		return a.offset() < ri.in.Range.Start.Offset
	}
	return a.i < i
}

// line is the line the command starts on.
func (a cmdAt) line() int { return a.ri.rangeOf(a.ri.cmds[a.i]).Start.Line }

// after returns the first command after command i of ri: in ri, in the
// later RUNs of its stage, then in the RUNs of the stages built on it
// (FROM <stage>, transitively).
func (x *cmdIndex) after(ri *runInfo, i int) (cmdAt, bool) {
	s := ri.in.Stage
	if ri.in.Index < 0 {
		// A trigger: only its own commands come after it.
		for _, a := range x.triggers[s] {
			if a.ri == ri && a.i > i {
				return a, true
			}
		}
		return cmdAt{}, false
	}
	list := x.byStage[s]
	k := sort.Search(len(list), func(k int) bool { return !list[k].less(ri, i+1) })
	if k < len(list) {
		return list[k], true
	}
	if s == nil {
		return cmdAt{}, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if b := x.firstBelow(s); b != nil {
		return *b, true
	}
	return cmdAt{}, false
}

// afterRuns returns the first in the RUNs after ri (not ri itself).
func (x *cmdIndex) afterRuns(ri *runInfo) (cmdAt, bool) {
	return x.after(ri, len(ri.cmds))
}

// firstBelow is the first in the stages built on s, transitively (s
// excluded), remembered.
func (x *cmdIndex) firstBelow(s *dockerfile.Stage) *cmdAt {
	if b, ok := x.below[s]; ok {
		return b
	}
	// Iteratively, deepest stages first: a chain of stages may be long.
	var order []*dockerfile.Stage
	stack := []*dockerfile.Stage{s}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := x.below[t]; ok {
			continue
		}
		order = append(order, t)
		stack = append(stack, x.children[t]...)
	}
	for k := len(order) - 1; k >= 0; k-- {
		t := order[k]
		if _, ok := x.below[t]; ok {
			continue
		}
		var best *cmdAt
		for _, c := range x.children[t] {
			cand := x.below[c]
			if l := x.byStage[c]; len(l) > 0 {
				cand = &l[0] // c's own come before the stages built on c
			}
			if cand != nil && (best == nil || cand.offset() < best.offset()) {
				best = cand
			}
		}
		x.below[t] = best
	}
	return x.below[s]
}

// before reports whether one is in the RUNs before ri of its stage and of
// the stages it is built FROM (ONBUILD triggers, and RUNs before the first
// FROM, included), or among the first upto commands of ri.
func (x *cmdIndex) before(ri *runInfo, upto int) bool {
	s := ri.in.Stage
	first := func(list []cmdAt) bool { return len(list) > 0 && list[0].less(ri, upto) }
	if first(x.byStage[s]) || first(x.triggers[s]) {
		return true
	}
	if s == nil {
		return false
	}
	if first(x.byStage[nil]) {
		return true
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.inChain(s.BaseStage)
}

// inChain reports whether one is in s or the stages it is built FROM,
// remembered.
func (x *cmdIndex) inChain(s *dockerfile.Stage) bool {
	var walked []*dockerfile.Stage
	found := false
	for t := s; t != nil; t = t.BaseStage {
		if v, ok := x.chain[t]; ok {
			found = v
			break
		}
		walked = append(walked, t)
		if len(x.byStage[t]) > 0 || len(x.triggers[t]) > 0 {
			found = true
			break
		}
	}
	// A stage walked has one in its chain exactly when the stage the
	// walk stopped at has.
	for _, t := range walked {
		x.chain[t] = found
	}
	return found
}

// allAfter returns, in source order, those in the RUNs after ri of its
// stage and of the stages built on it.
func (x *cmdIndex) allAfter(ri *runInfo) []cmdAt {
	s := ri.in.Stage
	if ri.in.Index < 0 || s == nil {
		return nil
	}
	list := x.byStage[s]
	k := sort.Search(len(list), func(k int) bool { return !list[k].less(ri, len(ri.cmds)) })
	out := append([]cmdAt(nil), list[k:]...)
	var stages []*dockerfile.Stage
	stack := append([]*dockerfile.Stage(nil), x.children[s]...)
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		stages = append(stages, t)
		stack = append(stack, x.children[t]...)
	}
	sort.Slice(stages, func(a, b int) bool { return stages[a].Index < stages[b].Index })
	for _, t := range stages {
		out = append(out, x.byStage[t]...)
	}
	return out
}

// mentionedLater returns the first instruction after in whose text holds text,
// or nil. The instructions holding each text asked about are found once;
// once many texts have been asked about (a file with a finding in each of
// thousands of RUNs), a text is looked for only in the instructions that
// hold its rarest trigram (mentionTrigrams), so that asking costs time in
// the size of the file rather than that size times the number of texts.
func (p *Pass) mentionedLater(in *dockerfile.Instruction, text string) *dockerfile.Instruction {
	sh := p.shared
	sh.indexMu.Lock()
	at, ok := sh.mentions[text]
	if !ok && len(text) >= 3 && len(sh.mentions) >= mentionScans {
		list := sh.mentionTrigrams(text)
		sh.indexMu.Unlock()
		ins := p.File.Instructions
		k := sort.Search(len(list), func(k int) bool { return ins[list[k]].Index > in.Index })
		for _, x := range list[k:] {
			if strings.Contains(ins[x].Original, text) {
				return ins[x]
			}
		}
		return nil
	}
	if !ok {
		for _, x := range p.File.Instructions {
			if strings.Contains(x.Original, text) {
				at = append(at, x)
			}
		}
		if sh.mentions == nil {
			sh.mentions = map[string][]*dockerfile.Instruction{}
		}
		sh.mentions[text] = at
	}
	sh.indexMu.Unlock()
	k := sort.Search(len(at), func(k int) bool { return at[k].Index > in.Index })
	if k < len(at) {
		return at[k]
	}
	return nil
}

// mentionScans is how many texts mentionedLater looks for by reading the
// whole file before it indexes the file's trigrams.
const mentionScans = 16

// mentionTrigrams returns the positions in f.Instructions of the
// instructions that hold the rarest trigram of text (len(text) >= 3), in
// order: every instruction holding text is among them. The index is built
// on first use; sh.indexMu is held.
func (sh *shared) mentionTrigrams(text string) []int32 {
	if sh.mentionGrams == nil {
		sh.mentionGrams = map[[3]byte][]int32{}
		for k, x := range sh.f.Instructions {
			o := x.Original
			for i := 0; i+3 <= len(o); i++ {
				g := [3]byte{o[i], o[i+1], o[i+2]}
				list := sh.mentionGrams[g]
				if len(list) == 0 || list[len(list)-1] != int32(k) {
					sh.mentionGrams[g] = append(list, int32(k))
				}
			}
		}
	}
	var best []int32
	for i := 0; i+3 <= len(text); i++ {
		list, ok := sh.mentionGrams[[3]byte{text[i], text[i+1], text[i+2]}]
		if !ok {
			return nil
		}
		if i == 0 || len(list) < len(best) {
			best = list
		}
	}
	return best
}

package rules

import (
	"fmt"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// A comment beside an instruction that speaks about what a repair would
// change ("# we DO want recommends here") shows that the author weighed
// it: the repair is then only shown, never applied.

// intentWords say that a comment states a choice, not a description.
var intentWords = []string{"want", "need", "keep", "leave", "require", "must", "don't", "dont", "do not",
	"intentional", "on purpose", "deliberate", "necessary", "preserve", "on-purpose"}

// holdForIntent makes r display-only when a comment beside one of the
// instructions its edits touch (or in) names one of the rule's intent
// subjects together with a word of choice.
func (sh *shared) holdForIntent(in *dockerfile.Instruction, m Meta, r *Repair) {
	if r == nil || r.Applicability == DisplayOnly || len(m.Intent) == 0 {
		return
	}
	seen := map[*dockerfile.Instruction]bool{}
	ins := []*dockerfile.Instruction{}
	if in != nil {
		ins, seen[in] = append(ins, in), true
	}
	for _, e := range r.Edits {
		for _, l := range []int{e.Line, e.EndLine} {
			if x := sh.instructionAt(l); x != nil && !seen[x] {
				ins, seen[x] = append(ins, x), true
			}
		}
	}
	for _, x := range ins {
		if line, text := sh.intentComment(x, m); line > 0 {
			r.Applicability = DisplayOnly
			r.Reason = fmt.Sprintf("the comment at line %d (%q) speaks about this: whittle leaves the choice to you", line, text)
			return
		}
	}
}

// intentKey names the comments of an instruction read for a rule's
// intent subjects.
type intentKey struct {
	in   *dockerfile.Instruction
	rule string
}

type intentHit struct {
	line int
	text string
}

// intentComment is intentComment for the rule's subjects, read once per
// instruction and rule: a RUN of thousands of commands with a repair for
// each reads its lines once, not once per repair.
func (sh *shared) intentComment(in *dockerfile.Instruction, m Meta) (int, string) {
	key := intentKey{in, m.ID}
	sh.intentMu.Lock()
	defer sh.intentMu.Unlock()
	if h, ok := sh.intents[key]; ok {
		return h.line, h.text
	}
	line, text := intentComment(sh.lines(), in, m.Intent)
	if sh.intents == nil {
		sh.intents = map[intentKey]intentHit{}
	}
	sh.intents[key] = intentHit{line, text}
	return line, text
}

// intentComment returns the line and text of a comment directly above in,
// or inside it, that names one of subjects and a word of choice; 0 if none.
func intentComment(lines []string, in *dockerfile.Instruction, subjects []string) (int, string) {
	first, last := in.Range.Start.Line, in.Range.End.Line
	for n := first - 1; n >= 1; n-- {
		if t := strings.TrimSpace(lines[n-1]); !strings.HasPrefix(t, "#") {
			break
		}
		first = n
	}
	compared(last - first + 1)
	for n := first; n <= last && n <= len(lines); n++ {
		c := commentOf(lines[n-1])
		if c == "" || isPragma(c) {
			continue
		}
		low := strings.ToLower(c)
		if containsAny(low, subjects) && containsAny(low, intentWords) {
			return n, strings.TrimSpace(strings.TrimRight(c, "\r"))
		}
	}
	return 0, ""
}

// commentOf returns the comment of a line: the whole line when it starts
// with #, else the text from a # that starts a shell comment (after a
// blank), "" when there is none.
func commentOf(line string) string {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "#") {
		return t
	}
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return line[i:]
		}
	}
	return ""
}

// isPragma reports whether a comment is a directive or an ignore pragma.
func isPragma(c string) bool {
	f := strings.Fields(strings.TrimPrefix(c, "#"))
	if len(f) == 0 {
		return true
	}
	w := strings.ToLower(f[0])
	return w == "whittle" || w == "hadolint" || strings.HasPrefix(w, "syntax=") || strings.HasPrefix(w, "escape=") || strings.HasPrefix(w, "check=")
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

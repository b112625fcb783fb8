package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

// Merging RUNs, the repair of the layer technique (WH101, WH103, WH204,
// WH201 when later RUNs need the lists): the later RUNs of a span, and
// every RUN between, move to the end of the first, so that what they
// remove is never committed. A merge is made only where it keeps what the
// build installs, runs and fails on.

// mergeKinds are the instructions a merge may step over: they change
// nothing the moved RUNs see, or what they change is carried over (ENV by
// an export, WORKDIR by a cd).
var mergeKinds = map[dockerfile.Kind]bool{
	dockerfile.KindRun: true, dockerfile.KindEnv: true, dockerfile.KindWorkdir: true,
	dockerfile.KindLabel: true, dockerfile.KindExpose: true, dockerfile.KindCmd: true,
	dockerfile.KindEntrypoint: true, dockerfile.KindHealthcheck: true,
	dockerfile.KindStopSignal: true, dockerfile.KindMaintainer: true,
}

// stateCommands change the shell's state for the commands after them; a
// RUN holding one (outside a subshell) is not merged with a later one.
var stateCommands = map[string]bool{
	"export": true, "unset": true, "set": true, "umask": true, "source": true, ".": true,
	"exec": true, "alias": true, "trap": true, "shopt": true, "readonly": true,
	"declare": true, "typeset": true, "local": true, "exit": true, "return": true,
	"ulimit": true, "enable": true, "hash": true,
}

// maxMergeSpan is the most instructions a merge moves over: the repair of
// a RUN far from the one it merges with would rewrite most of the stage
// (and computing one for each of n findings would cost n squared).
const maxMergeSpan = 64

var (
	safeWord  = regexp.MustCompile(`^[A-Za-z0-9_./@%+:,=-]+$`)
	validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// mergeEdits returns the edits that move every RUN of span after the
// first to the end of the first, when that keeps the meaning; span starts
// and ends with a RUN. The reason says why not otherwise.
func (p *Pass) mergeEdits(span []*dockerfile.Instruction) ([]edit.Edit, string) {
	if len(span) < 2 {
		return nil, "the RUNs are not in one stage"
	}
	if len(span) > maxMergeSpan {
		return nil, fmt.Sprintf("the RUNs are %d instructions apart: a merge of more than %d instructions is no repair to make blindly", len(span)-1, maxMergeSpan)
	}
	first := p.run(span[0])
	if first == nil || first.shell() == nil || first.shell().appendAt < 0 || first.shell().heredoc {
		return nil, "the first RUN cannot be extended (exec form, heredoc or a script that ends with exit)"
	}
	fse := first.shell()
	flags := flagText(first.in)
	cwdKnown := true // the merged script still runs in first's WORKDIR
	exports := map[string]string{}
	var parts []mergePart
	var edits []edit.Edit
	prev := first
	carried := 1 // span[carried:] holds the ENVs not carried over yet
	for k, in := range span {
		if k == 0 {
			continue
		}
		if !mergeKinds[in.Kind] {
			return nil, fmt.Sprintf("the %s at line %d stands between them", in.Kind, in.Range.Start.Line)
		}
		if in.Kind != dockerfile.KindRun {
			continue
		}
		ri := p.run(in)
		if ri == nil || ri.shell() == nil || ri.shell().appendAt < 0 || ri.shell().heredoc {
			return nil, fmt.Sprintf("the RUN at line %d cannot be moved (exec form, heredoc or a script that ends with exit)", in.Range.Start.Line)
		}
		if flagText(in) != flags || !sameStrings(in.Scope.Shell, first.in.Scope.Shell) || in.Scope.User != first.in.Scope.User {
			return nil, fmt.Sprintf("the RUN at line %d has other flags, SHELL or USER", in.Range.Start.Line)
		}
		// The part before must leave no shell state behind.
		changesDir, ok := leavesState(prev)
		if !ok {
			return nil, fmt.Sprintf("the RUN at line %d leaves shell state (export, set, functions) for the commands after it", prev.in.Range.Start.Line)
		}
		cwdKnown = cwdKnown && !changesDir
		var pre []string
		if in.Scope.Workdir != first.in.Scope.Workdir || !cwdKnown {
			dir := in.Scope.Workdir
			if !safeWord.MatchString(dir) {
				return nil, "a WORKDIR between them cannot be written as a cd"
			}
			if in.Scope.Workdir != first.in.Scope.Workdir {
				pre = append(pre, "mkdir -p "+dir)
			}
			pre = append(pre, "cd "+dir)
			cwdKnown = in.Scope.Workdir == first.in.Scope.Workdir
		}
		ex, ok := envCarry(span[carried:k], exports)
		carried = k + 1
		if !ok {
			return nil, "an ENV or ARG between them cannot be carried over"
		}
		pre = append(pre, ex...)
		text, ok := ri.shell().scriptText(in == span[len(span)-1])
		if !ok {
			return nil, fmt.Sprintf("a comment in the RUN at line %d would be lost", in.Range.Start.Line)
		}
		s, e := edit.WholeLines(p.File.Src, in.Range.Start.Offset, in.Range.End.Offset)
		var group []mergePart
		for _, c := range append(pre, text) {
			group = append(group, mergePart{cmd: c})
		}
		if cs, comments := commentsAbove(p.File.Src, s); len(comments) > 0 {
			// Comment lines may sit inside a continuation (BuildKit drops
			// them): they stay next to the commands they describe.
			group[0].comments = comments
			s = cs
		}
		s = blankLinesAfter(p.File.Src, s, span)
		parts = append(parts, group...)
		edits = append(edits, edit.Delete(s, e))
		prev = ri
	}
	if len(parts) == 0 {
		return nil, "there is nothing to move"
	}
	ins := edit.Insert(fse.appendAt, mergeText(fse.style, parts))
	return append([]edit.Edit{ins}, edits...), ""
}

// mergePart is a command chained by a merge, with the comment lines that
// stood above the RUN it comes from.
type mergePart struct {
	comments []string
	cmd      string
}

// mergeText chains the parts with && on continuation lines of their own,
// in the style's escape, indentation and operator placement. A comment
// line goes on a line of its own inside the continuation (BuildKit drops
// it there), never after an operator: the line before it ends with the
// escape, and the next command's line carries the operator.
func mergeText(st edit.Style, parts []mergePart) string {
	var b strings.Builder
	esc, nl := " "+string(st.Escape), st.Newline+st.Indent
	for _, p := range parts {
		if st.OperatorFirst {
			for _, c := range p.comments {
				b.WriteString(esc + nl + c)
				esc = ""
			}
			b.WriteString(esc + nl + "&& " + p.cmd)
		} else {
			b.WriteString(" &&" + esc)
			for _, c := range p.comments {
				b.WriteString(nl + c)
			}
			b.WriteString(nl + p.cmd)
		}
		esc = " " + string(st.Escape)
	}
	return b.String()
}

// mergeRepair returns a Safe repair merging span, or nil with the reason.
func (p *Pass) mergeRepair(span []*dockerfile.Instruction, message string) (*Repair, string) {
	edits, why := p.mergeEdits(span)
	if edits == nil {
		return nil, why
	}
	return newRepair(p.File, Safe, message, "", edits...), ""
}

// lineRange is "lines A to B" (or "lines A and B") for messages.
func lineRange(span []*dockerfile.Instruction) string {
	a, b := span[0].Range.Start.Line, span[len(span)-1].Range.Start.Line
	if len(span) == 2 {
		return fmt.Sprintf("lines %d and %d", a, b)
	}
	return fmt.Sprintf("lines %d to %d", a, b)
}

// envCarry returns the exports that give a moved RUN the ENV values set
// by between, the instructions since the previous RUN moved (the values
// set before it are in done already); false when one cannot be written
// safely (or an ARG is declared between: a build argument may override
// it).
func envCarry(between []*dockerfile.Instruction, done map[string]string) ([]string, bool) {
	var out []string
	for _, d := range between {
		switch d.Kind {
		case dockerfile.KindArg:
			return nil, false
		case dockerfile.KindEnv:
			for _, kv := range d.Vars {
				q, ok := shellValue(kv.Value)
				if !ok || !validName.MatchString(kv.Name) {
					return nil, false
				}
				if done[kv.Name] == q {
					continue
				}
				done[kv.Name] = q
				out = append(out, "export "+kv.Name+"="+q)
			}
		}
	}
	return out, true
}

// shellValue turns an ENV value as written into a shell word with the same
// value, or false when it holds quotes or escapes that could differ.
func shellValue(v string) (string, bool) {
	inner, quote := v, `"`
	switch {
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		inner = v[1 : len(v)-1]
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		inner, quote = v[1:len(v)-1], `'`
	}
	if strings.ContainsAny(inner, "\"'\\`\n") {
		return "", false
	}
	return quote + inner + quote, true
}

// leavesState reports whether a RUN changes the directory for the
// commands after it (a cd outside a subshell), and false as ok when it
// changes other shell state (export, set, exit, functions ...).
func leavesState(ri *runInfo) (changesDir, ok bool) {
	fs := ri.facts
	if fs == nil || fs.Unparsed {
		return false, false
	}
	for _, c := range fs.Commands {
		if c.Subshell {
			continue
		}
		switch {
		case c.Name == "cd" || c.Name == "pushd" || c.Name == "popd":
			changesDir = true
		case stateCommands[c.Name]:
			return false, false
		}
	}
	bad := false
	syntax.Walk(ri.shell().sc.File, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.FuncDecl, *syntax.DeclClause, *syntax.LetClause:
			bad = true
		case *syntax.Subshell, *syntax.CmdSubst:
			return false
		case *syntax.CallExpr:
			if len(x.Args) == 0 && len(x.Assigns) > 0 {
				bad = true // a bare assignment sets a shell variable
			}
		}
		return !bad
	})
	return changesDir, !bad
}

// scriptText returns the RUN's script as written in the file, from its
// first command to the end of its last (continuation lines and comment
// lines inside included), wrapped in { ...; } unless it is a single &&
// chain; false when text after the last command (a comment) would be lost.
func (se *shellEdit) scriptText(last bool) (string, bool) {
	stmts := se.sc.File.Stmts
	if len(stmts) == 0 {
		return "", false
	}
	src := se.f.Src
	start := se.sc.Offset(stmts[0].Pos())
	if strings.Contains(string(src[se.in.Range.Start.Offset:start]), "#") {
		return "", false // a comment before the first command would be lost
	}
	end := se.appendAt
	rest := strings.TrimSpace(string(src[end:se.in.Range.End.Offset]))
	chain := len(stmts) == 1 && andChain(stmts[0])
	switch {
	case rest == "" || rest == ";":
	case last && chain && strings.HasPrefix(rest, "#") && !strings.ContainsAny(rest, "\r\n"):
		// A comment ending the last moved RUN can end the merged one.
		end = se.in.Range.End.Offset
	default:
		return "", false
	}
	text := string(src[start:end])
	if chain {
		return text, true
	}
	if len(se.sc.File.Last) > 0 {
		return "", false
	}
	return "{ " + text + "; }", true
}

// flagText is the RUN's flags as written, for comparing RUNs.
func flagText(in *dockerfile.Instruction) string {
	var b strings.Builder
	for _, f := range in.Flags {
		b.WriteString(f.Name + "=" + f.Value + " ")
	}
	return b.String()
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// commentsAbove returns the comment lines directly above the line starting
// at off (no blank line between), trimmed, and the offset of the first.
func commentsAbove(src []byte, off int) (int, []string) {
	start := off
	var lines []string
	for start > 0 {
		ls := edit.LineStart(src, start-1)
		line := strings.TrimSpace(string(src[ls:start]))
		if !strings.HasPrefix(line, "#") {
			break
		}
		lines = append(lines, line)
		start = ls
	}
	slices.Reverse(lines)
	return start, lines
}

// blankLinesAfter widens a deletion starting at off over the blank lines
// before it, when what precedes them is an instruction of the span (the
// merged RUN or another moved one): the gap closes with the RUNs.
func blankLinesAfter(src []byte, off int, span []*dockerfile.Instruction) int {
	start := off
	for start > 0 {
		ls := edit.LineStart(src, start-1)
		if strings.TrimSpace(string(src[ls:start])) != "" {
			break
		}
		start = ls
	}
	if start == off || start == 0 {
		return off
	}
	prev := start - 1 // the newline ending the line before the blanks
	for _, in := range span {
		if in.Range.Start.Offset <= prev && prev <= in.Range.End.Offset {
			return start
		}
	}
	return off
}

package rules

import (
	"bytes"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// This file holds what repairs need to edit the shell of a RUN in place:
// the words of each command as written (for offsets), where new commands
// go, and how they join the script without changing when it fails.

// call is one simple command of a RUN's own script (not of an `sh -c`
// string inside it), with its words as written.
type call struct {
	ce *syntax.CallExpr
	// name is the program's base name, sudo looked through.
	name string
	// args are the literal values of the words after the name ("" and
	// lit false where a word is not literal); words are the words.
	args  []string
	lit   []bool
	words []*syntax.Word
	// nested is true inside a subshell, command substitution, function
	// or process substitution.
	nested bool
	// sudo is true when the command runs through sudo.
	sudo bool
}

// hasFlag reports whether the call has a long flag ("no-cache" matches
// --no-cache and --no-cache=x) or a short one ("y" matches -y and -qy).
func (c call) hasFlag(names ...string) bool { return shellfacts.HasFlag(c.args, names...) }

// verbAt returns the index of the word that is pk's subcommand, found
// skipping the values of the valued flags; false when the words do not
// show it there (an expansion, a flag the list does not know).
func (c call) verbAt(pk *shellfacts.PkgOp, valued ...string) (int, bool) {
	v, i := shellfacts.Subcommand(c.args, valued...)
	if i < 0 || v != pk.RawVerb {
		return 0, false
	}
	return i, true
}

// scriptCalls returns the simple commands of a script in source order.
func scriptCalls(sc *dockerfile.Script) []call {
	if sc == nil || sc.File == nil {
		return nil
	}
	var out []call
	var visit func(n syntax.Node, nested bool)
	visit = func(n syntax.Node, nested bool) {
		if n == nil {
			return
		}
		syntax.Walk(n, func(m syntax.Node) bool {
			switch x := m.(type) {
			case *syntax.Stmt:
				if x != n {
					if x.Cmd != nil {
						visit(x.Cmd, nested)
					}
					for _, r := range x.Redirs {
						visit(r, nested)
					}
					return false
				}
			case *syntax.Subshell, *syntax.CmdSubst, *syntax.FuncDecl, *syntax.ProcSubst:
				if m != n {
					syntax.Walk(m, func(k syntax.Node) bool {
						if s, ok := k.(*syntax.Stmt); ok {
							if s.Cmd != nil {
								visit(s.Cmd, true)
							}
							return false
						}
						return true
					})
					return false
				}
			case *syntax.CallExpr:
				if len(x.Args) > 0 {
					out = append(out, newCall(x, nested))
				}
			}
			return true
		})
	}
	for _, s := range sc.File.Stmts {
		if s.Cmd != nil {
			visit(s.Cmd, false)
		}
	}
	return out
}

func newCall(ce *syntax.CallExpr, nested bool) call {
	c := call{ce: ce, nested: nested}
	words := ce.Args
	name, _ := wordLit(words[0])
	if path.Base(name) == "sudo" && len(words) > 1 {
		words = words[1:]
		name, _ = wordLit(words[0])
		c.sudo = true
	}
	c.name = path.Base(name)
	for _, w := range words[1:] {
		v, ok := wordLit(w)
		c.args = append(c.args, v)
		c.lit = append(c.lit, ok)
		c.words = append(c.words, w)
	}
	return c
}

// wordLit returns a word's value when it is made of literals and quoted
// literals only.
func wordLit(w *syntax.Word) (string, bool) {
	var b strings.Builder
	for _, p := range w.Parts {
		switch x := p.(type) {
		case *syntax.Lit:
			b.WriteString(x.Value)
		case *syntax.SglQuoted:
			b.WriteString(x.Value)
		case *syntax.DblQuoted:
			for _, q := range x.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return printWord(w), false
				}
				b.WriteString(l.Value)
			}
		default:
			return printWord(w), false
		}
	}
	return b.String(), true
}

func printWord(w *syntax.Word) string {
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, w); err != nil {
		return ""
	}
	return b.String()
}

// stmtEnd returns the end of a statement without its ";" or "&".
func stmtEnd(s *syntax.Stmt) syntax.Pos {
	if s.Cmd == nil {
		return s.End()
	}
	end := s.Cmd.End()
	for _, r := range s.Redirs {
		if e := r.End(); e.Offset() > end.Offset() {
			end = e
		}
	}
	return end
}

// andChain reports whether a statement is a chain of commands joined only
// by && (a single command or pipeline counts).
func andChain(s *syntax.Stmt) bool {
	if s == nil || s.Cmd == nil || s.Background || s.Coprocess || s.Negated {
		return false
	}
	b, ok := s.Cmd.(*syntax.BinaryCmd)
	if !ok {
		return true
	}
	if b.Op != syntax.AndStmt {
		return b.Op == syntax.Pipe || b.Op == syntax.PipeAll
	}
	return andChain(b.X) && andChain(b.Y)
}

// chainLinks flattens a top-level && chain into its statements in order;
// a statement that is not an && chain is its only link.
func chainLinks(s *syntax.Stmt) []*syntax.Stmt {
	if s == nil || s.Background || s.Coprocess || s.Negated {
		return nil
	}
	b, ok := s.Cmd.(*syntax.BinaryCmd)
	if !ok || b.Op != syntax.AndStmt || len(s.Redirs) > 0 {
		return []*syntax.Stmt{s}
	}
	return append(chainLinks(b.X), chainLinks(b.Y)...)
}

// shellEdit is what repairs need to edit one RUN's script: built once per
// RUN whose script parsed (runInfo.shell).
type shellEdit struct {
	f     *dockerfile.File
	in    *dockerfile.Instruction
	sc    *dockerfile.Script
	calls []call
	byCE  map[*syntax.CallExpr]int
	style edit.Style
	// multiline is true when the RUN spans lines: new commands then go on
	// continuation lines of their own.
	multiline bool
	// heredoc is true for RUN <<EOF (the body is the script): no merges.
	heredoc bool
	// errexit is true when the script starts with `set -e` (or its
	// SHELL sets it).
	errexit bool
	// op joins new commands at the end of the script: "&&", or ";" in a
	// `set -e` script whose statements are separated by ";" and whose
	// last statement fails the RUN by itself (see endOp).
	op string
	// appendAt is where new commands are chained (after the last
	// statement, before any ";" or comment); -1 when they cannot be
	// (heredoc with several bodies, background job, an exit at the end,
	// empty script).
	appendAt int
}

// newShellEdit returns the editing context of a RUN, nil when its script
// did not parse or it is not shell form.
func newShellEdit(f *dockerfile.File, in *dockerfile.Instruction, fs *shellfacts.Facts) *shellEdit {
	if in.Kind != dockerfile.KindRun || in.Run == nil || in.Run.Script == nil || in.Run.Script.File == nil || in.Err != nil {
		return nil
	}
	sc := in.Run.Script
	se := &shellEdit{
		f:         f,
		in:        in,
		sc:        sc,
		calls:     scriptCalls(sc),
		byCE:      map[*syntax.CallExpr]int{},
		style:     runStyle(f, in),
		multiline: strings.Contains(in.Original, "\n"),
		appendAt:  -1,
		op:        "&&",
	}
	for i, c := range se.calls {
		se.byCE[c.ce] = i
	}
	se.errexit = fs != nil && fs.Errexit
	if !se.errexit && len(se.calls) > 0 && se.calls[0].name == "set" && !se.calls[0].nested && se.calls[0].hasFlag("e") {
		se.errexit = true
	}
	last := lastStmt(sc)
	if last == nil || endsWithExit(last) {
		return se
	}
	switch {
	case !sc.Heredoc && len(in.Heredocs) == 0:
		se.appendAt = sc.EndOffset(stmtEnd(last))
	case sc.Heredoc && len(in.Heredocs) == 1:
		// RUN <<EOF: the body is the script. New commands join its last
		// statement on the same line (&&), so its exit status still
		// decides the RUN's.
		se.appendAt = sc.EndOffset(stmtEnd(last))
		se.multiline = false
		se.heredoc = true
		return se
	default:
		return se
	}
	if se.errexit && len(sc.File.Stmts) > 1 && failsAlone(last) {
		se.op = ";"
	}
	return se
}

// failsAlone reports whether a statement, as the last of a `set -e`
// script, fails the script by itself when any of its commands fails: a
// command, a pipeline, a compound or an || list. An && list does not:
// under set -e, a failure before its last link neither stops the script
// nor is forgotten only because the list ends it, so a command appended
// with ";" would turn that failure into a success. A negated statement
// never triggers set -e either.
func failsAlone(s *syntax.Stmt) bool {
	if s.Negated {
		return false
	}
	b, ok := s.Cmd.(*syntax.BinaryCmd)
	return !ok || b.Op != syntax.AndStmt
}

// endsWithExit reports whether the statement always ends in exit (or exec,
// which never returns) when it succeeds: a command, or the last link of an
// && chain. A command chained after it never runs. (After `a || exit 1`
// it does, when a succeeds.)
func endsWithExit(s *syntax.Stmt) bool {
	for {
		b, ok := s.Cmd.(*syntax.BinaryCmd)
		if !ok {
			break
		}
		if b.Op != syntax.AndStmt {
			return false
		}
		s = b.Y
	}
	ce, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Args) == 0 {
		return false
	}
	name, _ := wordLit(ce.Args[0])
	return name == "exit" || name == "exec"
}

// lastStmt returns the script's last top-level statement, or nil.
func lastStmt(sc *dockerfile.Script) *syntax.Stmt {
	if sc == nil || sc.File == nil || len(sc.File.Stmts) == 0 {
		return nil
	}
	s := sc.File.Stmts[len(sc.File.Stmts)-1]
	if s.Cmd == nil || s.Background || s.Coprocess {
		return nil
	}
	return s
}

// runStyle is the instruction's style, with the file's line endings (a
// one-line RUN shows none).
func runStyle(f *dockerfile.File, in *dockerfile.Instruction) edit.Style {
	st := edit.DetectStyle([]byte(in.Original), f.Escape)
	if bytes.Contains(f.Src, []byte("\r\n")) {
		st.Newline = "\r\n"
	}
	return st
}

// longLine is the length from which a one-line RUN gets its new commands
// on continuation lines of their own.
const longLine = 72

// appendCmds returns the edit chaining cmds at the end of the RUN in its
// style; false when nothing can be appended.
func (se *shellEdit) appendCmds(cmds ...string) (edit.Edit, bool) {
	if se == nil || se.appendAt < 0 {
		return edit.Edit{}, false
	}
	multi := se.multiline
	if !multi && !se.heredoc {
		src := se.f.Src
		multi = edit.LineEnd(src, se.appendAt)-edit.LineStart(src, se.appendAt) > longLine
	}
	return edit.Insert(se.appendAt, se.style.Append(se.op, multi, cmds...)), true
}

// callOf returns the script's own call that shellfacts read as c (sudo is
// looked through by both; other wrappers are not by the calls), false for
// commands inside an `sh -c` string or behind another wrapper. A program
// word that is not a literal (python"${V}") is the one shellfacts
// expanded.
func (se *shellEdit) callOf(c *shellfacts.Command) (call, bool) {
	if se == nil || c == nil || c.Call == nil {
		return call{}, false
	}
	i, ok := se.byCE[c.Call]
	if !ok {
		return call{}, false
	}
	cl := se.calls[i]
	prog := cl.ce.Args[0]
	if cl.sudo {
		prog = cl.ce.Args[1]
	}
	if _, lit := wordLit(prog); lit && cl.name != c.Name {
		return call{}, false
	}
	return cl, true
}

// wordEnd is the Src offset just after a word.
func (se *shellEdit) wordEnd(w syntax.Node) int { return se.sc.EndOffset(w.End()) }

// sudoFor returns "sudo " when the RUN runs one of the tools through sudo
// (the image's USER is not root): new commands for those tools need it too.
func (se *shellEdit) sudoFor(tools ...string) string {
	if se == nil {
		return ""
	}
	for _, c := range se.calls {
		if !c.sudo {
			continue
		}
		for _, t := range tools {
			if c.name == t {
				return "sudo "
			}
		}
	}
	return ""
}

// topOf returns the top-level statement holding n and, when that statement
// is an && chain, the link holding n; nil when n is in none.
func (se *shellEdit) topOf(n syntax.Node) (stmt, link *syntax.Stmt, last bool) {
	off := n.Pos().Offset()
	stmts := se.sc.File.Stmts
	for i, s := range stmts {
		if s.Pos().Offset() > off || off >= s.End().Offset() {
			continue
		}
		links := chainLinks(s)
		for k, l := range links {
			if l.Pos().Offset() <= off && off < l.End().Offset() {
				return s, l, i == len(stmts)-1 && k == len(links)-1
			}
		}
		return s, nil, false
	}
	return nil, nil, false
}

// insertAfter returns the edit chaining cmd right after the top-level
// link or statement that holds n, so that it runs after n and before what
// follows; false when n is in no such place or nothing follows it there
// (appendCmds adds at the end). Inside an && chain it becomes a link of
// its own ("a && n && cmd && b"). After a whole statement it is joined
// with ";" in a `set -e` script, so that the statement's own failure
// still stops the script (with && it would not), and with && otherwise.
func (se *shellEdit) insertAfter(n syntax.Node, cmd string) (edit.Edit, bool) {
	stmt, link, last := se.topOf(n)
	if stmt == nil || last || se.heredoc || stmt.Background || stmt.Coprocess {
		return edit.Edit{}, false
	}
	links := chainLinks(stmt)
	target, op := stmt, "&&"
	if link != nil && len(links) > 1 && link != links[len(links)-1] {
		target = link
	} else if stmt == se.sc.File.Stmts[len(se.sc.File.Stmts)-1] {
		return edit.Edit{}, false
	} else if se.errexit {
		op = ";"
	}
	at := se.sc.EndOffset(stmtEnd(target))
	if bytes.Contains(se.f.Src[se.sc.Offset(n.Pos()):at], []byte("#")) {
		return edit.Edit{}, false
	}
	return edit.Insert(at, se.style.Append(op, se.multiline, cmd)), true
}

// dropChainLink returns the edit removing call c and the && after it, when
// c is a link of a top-level && chain followed by another link, or a
// top-level statement followed by another, with no comment in between.
func (se *shellEdit) dropChainLink(c call) (edit.Edit, bool) {
	stmts := se.sc.File.Stmts
	src := se.f.Src
	for i, s := range stmts {
		// A statement of its own ("apk update; apk add x", or a line of a
		// heredoc) goes up to the next statement.
		if s.Cmd == syntax.Command(c.ce) && i+1 < len(stmts) && len(s.Redirs) == 0 && !s.Background && !s.Negated {
			start, end := se.sc.Offset(s.Pos()), se.sc.Offset(stmts[i+1].Pos())
			if end <= start || bytes.Contains(src[start:end], []byte("#")) {
				return edit.Edit{}, false
			}
			return edit.Delete(start, end), true
		}
	}
	for _, s := range stmts {
		links := chainLinks(s)
		for k, l := range links {
			if k+1 >= len(links) || l.Cmd != syntax.Command(c.ce) || len(l.Redirs) > 0 {
				continue
			}
			start := se.sc.Offset(l.Pos())
			end := se.sc.Offset(links[k+1].Pos())
			if end <= start || bytes.Contains(src[start:end], []byte("#")) {
				return edit.Edit{}, false
			}
			return edit.Delete(start, end), true
		}
	}
	return edit.Edit{}, false
}

// replaceLink returns edits replacing call c, a link of a top-level &&
// chain (or the whole script), with text; with "" the link and its && go,
// and the whole RUN when it was its only command.
func (se *shellEdit) replaceLink(c call, text string) ([]edit.Edit, bool) {
	stmts := se.sc.File.Stmts
	src := se.f.Src
	for _, s := range stmts {
		links := chainLinks(s)
		for k, l := range links {
			if l.Cmd != syntax.Command(c.ce) || len(l.Redirs) > 0 {
				continue
			}
			start, end := se.sc.Offset(l.Pos()), se.sc.EndOffset(stmtEnd(l))
			switch {
			case text != "":
				if bytes.Contains(src[start:end], []byte("#")) {
					return nil, false
				}
				return []edit.Edit{edit.Replace(start, end, text)}, true
			case len(stmts) == 1 && len(links) == 1:
				s, e := edit.WholeLines(src, se.in.Range.Start.Offset, se.in.Range.End.Offset)
				return []edit.Edit{edit.Delete(s, e)}, true
			case k+1 < len(links):
				end = se.sc.Offset(links[k+1].Pos())
			case k > 0:
				start = se.sc.EndOffset(stmtEnd(links[k-1]))
			default:
				return nil, false
			}
			if bytes.Contains(src[start:end], []byte("#")) {
				return nil, false
			}
			return []edit.Edit{edit.Delete(start, end)}, true
		}
	}
	return nil, false
}

// flagAfterVerb returns the edit inserting flag after the subcommand word
// of command c (valued are the options of the tool that take a value);
// false when the words do not show the subcommand.
func (se *shellEdit) flagAfterVerb(c *shellfacts.Command, flag string, valued ...string) (edit.Edit, bool) {
	cl, ok := se.callOf(c)
	if !ok || c.Pkg == nil {
		return edit.Edit{}, false
	}
	i, ok := cl.verbAt(c.Pkg, valued...)
	if !ok || !cl.lit[i] {
		return edit.Edit{}, false
	}
	return edit.Insert(se.wordEnd(cl.words[i]), " "+flag), true
}

// prefixed returns cmds each prefixed with pre.
func prefixed(pre string, cmds []string) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = pre + c
	}
	return out
}

// dropLinks returns the edits removing the calls, links of one top-level
// && chain, with their && operators; adjacent links go as one range, so
// that the edits never overlap. The whole RUN goes when nothing of the
// script is left. False when a call is not such a link, or a comment
// lies in what would go.
func (se *shellEdit) dropLinks(cs ...call) ([]edit.Edit, bool) {
	stmts := se.sc.File.Stmts
	var stmt *syntax.Stmt
	var links []*syntax.Stmt
	drop := map[int]bool{}
	for _, c := range cs {
		found := false
		for _, s := range stmts {
			ls := chainLinks(s)
			for k, l := range ls {
				if l.Cmd == syntax.Command(c.ce) && len(l.Redirs) == 0 {
					if stmt != nil && stmt != s {
						return nil, false
					}
					stmt, links, found = s, ls, true
					drop[k] = true
				}
			}
		}
		if !found {
			return nil, false
		}
	}
	if len(drop) == len(links) {
		if len(stmts) != 1 {
			return nil, false
		}
		s, e := edit.WholeLines(se.f.Src, se.in.Range.Start.Offset, se.in.Range.End.Offset)
		return []edit.Edit{edit.Delete(s, e)}, true
	}
	var out []edit.Edit
	for a := 0; a < len(links); a++ {
		if !drop[a] {
			continue
		}
		b := a
		for b+1 < len(links) && drop[b+1] {
			b++
		}
		var start, end int
		if b+1 < len(links) {
			start, end = se.sc.Offset(links[a].Pos()), se.sc.Offset(links[b+1].Pos())
		} else {
			start, end = se.sc.EndOffset(stmtEnd(links[a-1])), se.sc.EndOffset(stmtEnd(links[b]))
		}
		if bytes.Contains(se.f.Src[start:end], []byte("#")) {
			return nil, false
		}
		out = append(out, edit.Delete(start, end))
		a = b
	}
	return out, true
}

// commandText returns a command to run again in the instructions at,
// its words as the original wrote them, sudo left out (the caller adds
// its own): `apt-get -o Acquire::Retries=3 update -qq`; env holds its
// prefix assignments (`DEBIAN_FRONTEND=noninteractive `), which go before
// any sudo. A word with an expansion is carried as written when every
// variable it names is the Dockerfile's (ARG, ENV) and the same
// declaration wherever the command goes (a --build-arg then still holds
// there); else as its value when shellfacts knew it and no ARG gave it
// (a value an ARG gives can be overridden at build time), quoted; false
// otherwise (a value unknown, or the command cannot be read back).
func (se *shellEdit) commandText(c command, at ...*dockerfile.Instruction) (env, text string, ok bool) {
	cl, found := se.callOf(c.Command)
	if !found {
		// Inside an `sh -c` string or behind a wrapper: the words as
		// shellfacts read them.
		words := []string{c.Name}
		for _, a := range c.Args {
			q, known := quoteKnown(a)
			if !known {
				return "", "", false
			}
			words = append(words, q)
		}
		return "", strings.Join(words, " "), true
	}
	if len(cl.words) != len(c.Args) {
		return "", "", false
	}
	var words, assigns []string
	for _, as := range cl.ce.Assigns {
		if as.Value == nil || as.Append || as.Array != nil || as.Index != nil {
			return "", "", false
		}
		if _, lit := wordLit(as.Value); !lit {
			return "", "", false
		}
		assigns = append(assigns, as.Name.Value+"="+se.asWritten(as.Value)+" ")
	}
	prog := cl.ce.Args[0]
	if cl.sudo {
		prog = cl.ce.Args[1]
	}
	if _, lit := wordLit(prog); !lit {
		return "", "", false
	}
	words = append(words, se.asWritten(prog))
	for i, w := range cl.words {
		if cl.lit[i] {
			words = append(words, se.asWritten(w))
			continue
		}
		switch se.carry(w, at) {
		case carryWritten:
			words = append(words, se.asWritten(w))
		case carryValue:
			q, known := quoteKnown(c.Args[i])
			if !known {
				return "", "", false
			}
			words = append(words, q)
		default:
			return "", "", false
		}
	}
	return strings.Join(assigns, ""), strings.Join(words, " "), true
}

type carryHow uint8

const (
	carryNot     carryHow = iota
	carryWritten          // the word as written: its variables hold there too
	carryValue            // the word's value, known here
)

// carry says how a word with expansions goes to the instructions at: as
// written when it names only the Dockerfile's variables (ARG, ENV), each
// the same declaration there as here; as its value when it names no
// ARG; not at all when it expands anything but variables (a command
// substitution, arithmetic) or an ARG that is not the same there.
func (se *shellEdit) carry(w *syntax.Word, at []*dockerfile.Instruction) carryHow {
	var names []string
	plain := true
	syntax.Walk(w, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.ParamExp:
			if n.Param != nil {
				names = append(names, n.Param.Value)
			}
		case *syntax.CmdSubst, *syntax.ArithmExp, *syntax.ProcSubst:
			plain = false
		}
		return true
	})
	if !plain || len(names) == 0 {
		return carryValue
	}
	var here map[string]dockerfile.Var
	if se.in != nil && se.in.Scope != nil {
		here = se.in.Scope.Vars
	}
	same, arg := true, false
	for _, name := range names {
		v, ok := here[name]
		if !ok {
			same = false // the RUN's own variable
			continue
		}
		if v.Kind == dockerfile.KindArg {
			arg = true
		}
		for _, in := range at {
			if in == nil || in.Scope == nil {
				same = false
				continue
			}
			if u, ok := in.Scope.Vars[name]; !ok || u.Decl != v.Decl {
				same = false
			}
		}
	}
	switch {
	case same:
		return carryWritten
	case arg:
		return carryNot
	}
	return carryValue
}

// asWritten is a word's source text (its quotes kept); printed afresh when
// it spans lines.
func (se *shellEdit) asWritten(w *syntax.Word) string {
	t := se.sc.SrcText(w)
	if t == "" || strings.ContainsAny(t, "\r\n") {
		return printWord(w)
	}
	return t
}

// quoteKnown quotes a word's value for the shell; false when the value
// still holds an expansion shellfacts could not read.
func quoteKnown(v string) (string, bool) {
	if strings.ContainsAny(v, "$`") {
		return "", false
	}
	q, err := syntax.Quote(v, syntax.LangPOSIX)
	if err != nil {
		return "", false
	}
	return q, true
}

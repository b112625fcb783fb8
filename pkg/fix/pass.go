package fix

import (
	"bytes"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// pass is what repairers see in one round: the parsed text, lint's gate
// and the shell-form RUNs.
type pass struct {
	f      *dockerfile.File
	o      *options
	g      *gate
	runs   []*runCtx
	byInst map[*dockerfile.Instruction]*runCtx
}

func newPass(f *dockerfile.File, o *options) *pass {
	p := &pass{f: f, o: o, g: newGate(f), byInst: map[*dockerfile.Instruction]*runCtx{}}
	for in := range f.All() {
		if rc := newRunCtx(f, in); rc != nil {
			p.runs = append(p.runs, rc)
			p.byInst[in] = rc
		}
	}
	return p
}

// runCtx is a RUN whose script parsed.
type runCtx struct {
	f     *dockerfile.File
	in    *dockerfile.Instruction
	sc    *dockerfile.Script
	calls []call
	style edit.Style
	// multiline is true when the RUN spans lines: new commands then go on
	// continuation lines of their own.
	multiline bool
	// heredoc is true for RUN <<EOF (the body is the script): no merges.
	heredoc bool
	// op joins new commands: "&&", or ";" in a script that starts with
	// set -e and separates its commands with ";" (docker-library style).
	op string
	// fs caches the RUN's shell facts (factsDone once computed).
	fs        *shellfacts.Facts
	factsDone bool
	// appendAt is where new commands are chained (after the last
	// statement, before any ";" or comment); -1 when they cannot be
	// (heredoc, background job, empty script).
	appendAt int
}

func newRunCtx(f *dockerfile.File, in *dockerfile.Instruction) *runCtx {
	if in.Kind != dockerfile.KindRun || in.Run == nil || in.Run.Script == nil || in.Run.Script.File == nil || in.Err != nil {
		return nil
	}
	sc := in.Run.Script
	rc := &runCtx{
		f:         f,
		in:        in,
		sc:        sc,
		calls:     calls(sc),
		style:     runStyle(f, in),
		multiline: strings.Contains(in.Original, "\n"),
		appendAt:  -1,
		op:        "&&",
	}
	attachPkgs(rc.calls, rc.facts())
	if st := sc.File.Stmts; len(st) > 1 && len(rc.calls) > 0 && rc.calls[0].name == "set" && !rc.calls[0].nested && rc.calls[0].hasFlag("e") {
		rc.op = ";"
	}
	switch last := lastStmt(sc); {
	case last == nil:
	case !sc.Heredoc && len(in.Heredocs) == 0:
		rc.appendAt = sc.EndOffset(stmtEnd(last))
	case sc.Heredoc && len(in.Heredocs) == 1:
		// RUN <<EOF: the body is the script. New commands join its last
		// statement on the same line (&&), so its exit status still
		// decides the RUN's.
		rc.appendAt = sc.EndOffset(stmtEnd(last))
		rc.multiline = false
		rc.heredoc = true
	}
	return rc
}

// wordEnd is the Src offset just after a word.
func (rc *runCtx) wordEnd(w syntax.Node) int { return rc.sc.EndOffset(w.End()) }

// longLine is the length from which a one-line RUN gets its new commands
// on continuation lines of their own.
const longLine = 72

// appendCmds chains cmds at the end of the RUN in its style.
func (rc *runCtx) appendCmds(cmds ...string) edit.Edit {
	multi := rc.multiline
	if !multi && !rc.heredoc {
		src := rc.f.Src
		multi = edit.LineEnd(src, rc.appendAt)-edit.LineStart(src, rc.appendAt) > longLine
	}
	return edit.Insert(rc.appendAt, rc.style.Append(rc.op, multi, cmds...))
}

// line returns the 1-based line number of an offset.
func (p *pass) offLine(off int) int { return p.f.PosAt(off).Line }

// hasMount reports whether a RUN mounts a cache covering dir.
func hasMount(in *dockerfile.Instruction, dirs ...string) bool {
	for _, t := range in.Run.CacheTargets() {
		for _, d := range dirs {
			if t == d || strings.HasPrefix(d, t+"/") {
				return true
			}
		}
	}
	return false
}

// sudoFor returns "sudo " when the RUN runs one of the tools through sudo
// (the image's USER is not root): new commands for those tools need it too.
func (rc *runCtx) sudoFor(tools ...string) string {
	for _, c := range rc.calls {
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

// prefixed returns cmds each prefixed with pre.
func prefixed(pre string, cmds []string) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = pre + c
	}
	return out
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

// facts returns the RUN's shell facts, nil when unknown; computed once.
func (rc *runCtx) facts() *shellfacts.Facts {
	if !rc.factsDone {
		rc.fs, rc.factsDone = runFacts(rc.in), true
	}
	return rc.fs
}

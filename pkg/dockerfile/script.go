package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"mvdan.cc/sh/v3/syntax"
)

// heredocScript rebuilds the script of a RUN with here-documents the way
// BuildKit's dispatcher does: a lone "<<EOF" runs the body; otherwise the
// command line, each body and each delimiter are joined and handed to the
// shell.
func (f *File) heredocScript(in *Instruction) {
	sc := in.Run.Script
	if len(in.Heredocs) == 0 {
		return
	}
	cmdline := sc.Text
	var m mapped
	if hd := parser.MustParseHeredoc(cmdline); hd != nil {
		d := in.Heredocs[0]
		body := f.Src[d.Body.Start.Offset:d.Body.End.Offset]
		off := d.Body.Start.Offset
		for len(body) > 0 {
			line := body
			if i := bytes.IndexByte(body, '\n'); i >= 0 {
				line = body[:i+1]
			}
			skip := 0
			if d.Chomp {
				skip = len(line) - len(bytes.TrimLeft(line, "\t"))
			}
			m.add(line[skip:], off+skip)
			off += len(line)
			body = body[len(line):]
		}
		sc.Heredoc = true
		sc.Text = string(m.text)
		sc.offs = append(m.offs, d.Body.End.Offset)
		if strings.HasPrefix(sc.Text, "#!") {
			first, _, _ := strings.Cut(sc.Text[2:], "\n")
			first = strings.TrimSpace(first)
			if !isPOSIXShell(strings.Fields(first)) {
				sc.Interpreter = first
			}
		}
		return
	}
	m.text = []byte(cmdline)
	m.offs = sc.offs[:len(cmdline)]
	for _, d := range in.Heredocs {
		nl := d.Body.Start.Offset - 1
		if nl < 0 {
			nl = 0
		}
		m.add([]byte{'\n'}, nl)
		m.add(f.Src[d.Body.Start.Offset:d.Body.End.Offset], d.Body.Start.Offset)
		m.add([]byte(d.Name), d.Terminator.Start.Offset)
	}
	sc.Text = string(m.text)
	end := in.Range.End.Offset
	if n := len(in.Heredocs); n > 0 {
		end = in.Heredocs[n-1].Terminator.End.Offset
	}
	sc.offs = append(m.offs, end)
}

// isPOSIXShell reports whether argv (a SHELL or a #! line) runs a shell
// whose language mvdan/sh parses.
func isPOSIXShell(argv []string) bool {
	if len(argv) == 0 {
		return true
	}
	name := path.Base(argv[0])
	if name == "env" && len(argv) > 1 {
		name = path.Base(argv[1])
	}
	switch name {
	case "sh", "bash", "ash", "dash", "ksh", "mksh", "zsh", "busybox":
		return true
	}
	return false
}

// parse parses the script with mvdan/sh unless its interpreter is not a
// POSIX-like shell.
func (sc *Script) parse(shell []string) {
	if sc.Interpreter == "" && !isPOSIXShell(shell) {
		sc.Interpreter = strings.Join(shell, " ")
	}
	if sc.Interpreter != "" {
		return
	}
	lang := syntax.LangBash
	if len(shell) > 0 && path.Base(shell[0]) == "mksh" {
		lang = syntax.LangMirBSDKorn
	}
	p := syntax.NewParser(syntax.Variant(lang), syntax.KeepComments(true))
	file, err := p.Parse(strings.NewReader(sc.Text), "")
	if err != nil {
		pe := &ParseError{File: sc.file.Name, Msg: err.Error()}
		var se syntax.ParseError
		var le syntax.LangError
		var pos syntax.Pos
		switch {
		case errors.As(err, &se):
			pos, pe.Msg = se.Pos, se.Text
		case errors.As(err, &le):
			pos, pe.Msg = le.Pos, le.Feature+" is not supported"
		}
		p := sc.Pos(pos)
		pe.Line, pe.Col = p.Line, p.Col
		sc.Err = pe
		return
	}
	if at, deep := TooDeep(file); deep {
		p := sc.Pos(at)
		sc.Err = &ParseError{File: sc.file.Name, Line: p.Line, Col: p.Col, Err: ErrNestedTooDeep,
			Msg: fmt.Sprintf("nested more than %d levels deep ($(...), subshells, blocks, expansions, quotes): too deep to read", MaxShellNesting)}
		return
	}
	sc.File = file
}

// MaxShellNesting is how deep a RUN's shell script may nest command
// substitutions, subshells, blocks, compound commands, expansions and
// quotes for whittle to read it. Real scripts nest a few levels (8 at
// most in a corpus of 200 Dockerfiles); reading a script nested n deep
// costs time in n squared, and 10,000 levels took minutes. A deeper
// script is not read: its RUN is reported by WH000, like one that does
// not parse, and skipped by the other rules.
const MaxShellNesting = 64

// ErrNestedTooDeep is the error (in a *ParseError's chain) of a script
// nested deeper than MaxShellNesting.
var ErrNestedTooDeep = errors.New("shell script nested too deep")

// TooDeep reports whether a shell syntax tree nests deeper than
// MaxShellNesting, and where the first level too deep starts. It stops
// descending there, so it costs time in the size of the tree. Code that
// parses shell itself (a `sh -c` script) checks it before reading more.
func TooDeep(f syntax.Node) (syntax.Pos, bool) {
	var (
		depth int
		incs  []int
		at    syntax.Pos
		deep  bool
	)
	syntax.Walk(f, func(n syntax.Node) bool {
		if n == nil {
			depth -= incs[len(incs)-1]
			incs = incs[:len(incs)-1]
			return true
		}
		inc := 0
		switch n.(type) {
		case *syntax.CmdSubst, *syntax.Subshell, *syntax.Block, *syntax.ProcSubst,
			*syntax.ArithmExp, *syntax.ArithmCmd, *syntax.ParenArithm, *syntax.ParamExp,
			*syntax.IfClause, *syntax.WhileClause, *syntax.ForClause, *syntax.CaseClause,
			*syntax.FuncDecl, *syntax.TestClause, *syntax.ParenTest, *syntax.DblQuoted,
			*syntax.CoprocClause, *syntax.TimeClause:
			inc = 1
		}
		if deep || depth+inc > MaxShellNesting {
			if !deep {
				at, deep = n.Pos(), true
			}
			return false // and no f(nil) for n
		}
		depth += inc
		incs = append(incs, inc)
		return true
	})
	return at, deep
}

// Offset maps a position of the script to a byte offset in File.Src.
func (sc *Script) Offset(p syntax.Pos) int {
	if sc == nil || len(sc.offs) == 0 {
		return 0
	}
	o := int(p.Offset())
	if o >= len(sc.offs) {
		o = len(sc.offs) - 1
	}
	return sc.offs[o]
}

// EndOffset maps a node's End position (one past its last byte) to the
// offset one past that byte in File.Src, so that a node ending right before
// a line continuation ends where its last byte is.
func (sc *Script) EndOffset(p syntax.Pos) int {
	if sc == nil || len(sc.offs) == 0 {
		return 0
	}
	o := int(p.Offset())
	if o <= 0 {
		return sc.offs[0]
	}
	if o >= len(sc.offs) {
		o = len(sc.offs) - 1
	}
	return sc.offs[o-1] + 1
}

// Pos maps a position of the script to a position in File.Src.
func (sc *Script) Pos(p syntax.Pos) Pos {
	if sc == nil {
		return Pos{}
	}
	return sc.file.PosAt(sc.Offset(p))
}

// Range maps a shell node to its range in File.Src.
func (sc *Script) Range(n syntax.Node) Range {
	if sc == nil || n == nil {
		return Range{}
	}
	return Range{Start: sc.file.PosAt(sc.Offset(n.Pos())), End: sc.file.PosAt(sc.EndOffset(n.End()))}
}

// SrcText returns the bytes of Src that a shell node covers (including any
// continuation characters and removed comment lines inside it).
func (sc *Script) SrcText(n syntax.Node) string {
	r := sc.Range(n)
	if r.End.Offset < r.Start.Offset {
		return ""
	}
	return string(sc.file.Src[r.Start.Offset:r.End.Offset])
}

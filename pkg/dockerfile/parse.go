package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Parse parses a Dockerfile. name is used in messages and errors only.
// It returns a *ParseError when BuildKit's parser rejects the file, and an
// error when an option is invalid or the target stage does not exist.
func Parse(name string, src []byte, opts ...Option) (f *File, err error) {
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("applying option: %w", err)
		}
	}
	defer func() {
		// BuildKit's parser has no known panics; this guard keeps the
		// promise that Parse never panics on any input.
		if r := recover(); r != nil {
			f, err = nil, &ParseError{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	f = &File{Name: name, Src: src, Escape: '\\'}
	f.indexLines()
	res, perr := parser.Parse(bytes.NewReader(src))
	if perr != nil {
		return nil, f.parseError(perr)
	}
	if res.EscapeToken == '`' {
		f.Escape = '`'
	}
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		f.Warnings = append(f.Warnings, Warning{Msg: w.Short, Line: line})
	}
	f.readDirectives()
	for _, node := range res.AST.Children {
		in := f.newInstruction(node)
		in.Index = len(f.Instructions)
		f.Instructions = append(f.Instructions, in)
	}
	if err := f.buildStages(&o); err != nil {
		return nil, err
	}
	return f, nil
}

// parseError turns BuildKit's error into a *ParseError.
func (f *File) parseError(err error) *ParseError {
	pe := &ParseError{File: f.Name, Line: 1, Col: 1, Msg: err.Error()}
	var le *parser.LocationError
	if errors.As(err, &le) {
		if u := le.Unwrap(); u != nil {
			pe.Msg = u.Error()
		}
		for _, rs := range le.Locations {
			if len(rs) > 0 && rs[0].Start.Line > 0 {
				pe.Line = rs[0].Start.Line
				break
			}
		}
	}
	if pe.Line > len(f.lines) && len(f.lines) > 0 {
		pe.Line = len(f.lines)
	}
	return pe
}

// readDirectives finds the parser directives at the top of the file.
func (f *File) readDirectives() {
	var dp parser.DirectiveParser
	for n := 1; n <= len(f.lines); n++ {
		b, off := f.line(n)
		if n == 1 && bytes.HasPrefix(b, bom) {
			b, off = b[3:], off+3
		}
		lead := len(b) - len(bytes.TrimLeft(b, " \t"))
		d, err := dp.ParseLine(b[lead:])
		if err != nil || d == nil {
			return
		}
		f.Directives = append(f.Directives, Directive{
			Name:  d.Name,
			Value: d.Value,
			Range: f.RangeOf(off+lead, off+len(b)),
		})
	}
}

// Directive returns the value of a parser directive and whether it is set.
func (f *File) Directive(name string) (string, bool) {
	for _, d := range f.Directives {
		if d.Name == strings.ToLower(name) {
			return d.Value, true
		}
	}
	return "", false
}

// newInstruction models one top-level node.
func (f *File) newInstruction(node *parser.Node) *Instruction {
	m, last := f.logicalLine(node.StartLine)
	endLine := node.EndLine
	if endLine < last {
		endLine = last
	}
	in := f.fromText(node, m)
	// The instruction starts at its first line, even when that line holds
	// nothing but a continuation character and the keyword comes later.
	start := in.Range.Start.Offset
	b, off := f.line(node.StartLine)
	if node.StartLine == 1 && bytes.HasPrefix(b, bom) {
		b, off = b[3:], off+3
	}
	lead := len(b) - len(bytes.TrimLeftFunc(b, unicode.IsSpace))
	if len(m.offs) == 0 || off+lead < start {
		start = off + lead
	}
	in.Range = f.RangeOf(start, f.lineEnd(endLine))
	in.Original = string(f.Src[in.Range.Start.Offset:in.Range.End.Offset])
	docs := f.heredocs(node, last)
	in.Heredocs = docs
	if in.Onbuild != nil {
		in.Onbuild.Heredocs = docs
		in.Onbuild.Range.End = in.Range.End
		in.Onbuild.Original = string(f.Src[in.Onbuild.Range.Start.Offset:in.Onbuild.Range.End.Offset])
	}
	f.attach(in, node)
	return in
}

// fromText models a node from its logical line: keyword, flags, args.
func (f *File) fromText(node *parser.Node, m mapped) *Instruction {
	h := splitHead(m.text, f.Escape)
	in := &Instruction{
		Keyword: string(m.text[h.keyword.start:h.keyword.end]),
		Index:   -1,
	}
	in.Kind = Kind(strings.ToUpper(in.Keyword))
	if h.keyword.start < len(m.offs) {
		in.Range.Start = f.PosAt(m.offs[h.keyword.start])
	} else if len(m.offs) > 0 {
		in.Range.Start = f.PosAt(m.offs[0])
	}
	in.Range.End = f.PosAt(endOffset(m, h.args.end))
	for i, w := range node.Flags {
		fl := parseFlag(w)
		if len(h.flags) == len(node.Flags) {
			s := h.flags[i]
			fl.Range = f.RangeOf(m.offs[s.start], endOffset(m, s.end))
		}
		in.Flags = append(in.Flags, fl)
	}
	in.JSON = node.Attributes["json"]
	for n := node.Next; n != nil; n = n.Next {
		if len(n.Children) == 1 && in.Kind == KindOnbuild {
			sub := m.slice(h.args.start, h.args.end)
			in.Onbuild = f.fromText(n.Children[0], sub)
			in.Args = append(in.Args, string(sub.text))
			continue
		}
		in.Args = append(in.Args, n.Value)
	}
	if in.Kind == KindRun && !in.JSON {
		in.Run = &Run{}
		in.Run.Script = &Script{file: f}
		sub := m.slice(h.args.start, h.args.end)
		in.Run.Script.Text = string(sub.text)
		in.Run.Script.offs = append(append([]int(nil), sub.offs...), endOffset(m, h.args.end))
	}
	return in
}

// endOffset is the Src offset just past text index i-1 of m.
func endOffset(m mapped, i int) int {
	if i <= 0 || len(m.offs) == 0 {
		if len(m.offs) > 0 {
			return m.offs[0]
		}
		return 0
	}
	if i > len(m.offs) {
		i = len(m.offs)
	}
	return m.offs[i-1] + 1
}

// heredocs locates the bodies of a node's here-documents, which start on
// the line after the logical line ending at line last.
func (f *File) heredocs(node *parser.Node, last int) []Heredoc {
	var out []Heredoc
	n := last
	for _, hd := range node.Heredocs {
		d := Heredoc{Name: hd.Name, FD: int(hd.FileDescriptor), Expand: hd.Expand, Chomp: hd.Chomp, Content: hd.Content}
		if hd.Chomp {
			d.Content = parser.ChompHeredocContent(hd.Content)
		}
		bodyStart := f.lineEnd(n)
		if n < len(f.lines) {
			bodyStart = f.lines[n]
		}
		for n < len(f.lines) {
			n++
			b, off := f.line(n)
			t := b
			if hd.Chomp {
				t = bytes.TrimLeft(t, "\t")
			}
			if string(t) == hd.Name {
				d.Body = f.RangeOf(bodyStart, off)
				tOff := off + len(b) - len(t)
				d.Terminator = f.RangeOf(tOff, tOff+len(t))
				break
			}
		}
		out = append(out, d)
	}
	return out
}

// attach fills the kind-specific model from BuildKit's typed instruction.
func (f *File) attach(in *Instruction, node *parser.Node) {
	if in.Onbuild != nil && node.Next != nil && len(node.Next.Children) == 1 {
		f.attach(in.Onbuild, node.Next.Children[0])
	}
	v, err := instructions.ParseInstruction(node)
	if err != nil {
		// BuildKit returns typed nil pointers with its errors.
		v = nil
		if in.Kind != KindOnbuild {
			in.Err = f.instructionError(in, err)
		}
	}
	switch c := v.(type) {
	case *instructions.RunCommand:
		if in.Run == nil {
			in.Run = &Run{}
		}
		if !c.PrependShell {
			in.Run.Exec = append([]string{}, c.CmdLine...)
			in.Run.Script = nil
		}
		in.runCmd = c
		for _, fl := range in.Flags {
			switch fl.Name {
			case "network":
				in.Run.Network = fl.Value
			case "security":
				in.Run.Security = fl.Value
			}
		}
	case *instructions.CopyCommand:
		in.Copy = &Copy{From: c.From, Chown: c.Chown, Chmod: c.Chmod, Link: c.Link, Dest: c.DestPath}
		in.Copy.Sources = sourceWords(in.Args)
	case *instructions.AddCommand:
		in.Copy = &Copy{Chown: c.Chown, Chmod: c.Chmod, Link: c.Link, Dest: c.DestPath}
		in.Copy.Sources = sourceWords(in.Args)
	case *instructions.Stage:
		in.From = &From{Image: c.BaseName, Alias: c.Name, Platform: c.Platform}
		if len(in.Args) == 3 {
			in.From.Alias = in.Args[2]
		}
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			in.Vars = append(in.Vars, KeyValue{Name: kv.Key, Value: kv.Value, Set: true})
		}
	case *instructions.LabelCommand:
		for _, kv := range c.Labels {
			in.Vars = append(in.Vars, KeyValue{Name: kv.Key, Value: kv.Value, Set: true})
		}
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			k := KeyValue{Name: kv.Key}
			if kv.Value != nil {
				k.Value, k.Set = *kv.Value, true
			}
			in.Vars = append(in.Vars, k)
		}
	}
	if in.Run != nil && in.Run.Script != nil && len(in.Heredocs) > 0 {
		f.heredocScript(in)
	}
	if in.Copy == nil && (in.Kind == KindCopy || in.Kind == KindAdd) {
		in.Copy = &Copy{Sources: sourceWords(in.Args)}
		if len(in.Args) > 0 {
			in.Copy.Dest = in.Args[len(in.Args)-1]
		}
	}
	if in.From == nil && in.Kind == KindFrom && len(in.Args) > 0 {
		in.From = &From{Image: in.Args[0]}
		if len(in.Args) == 3 {
			in.From.Alias = in.Args[2]
		}
		for _, fl := range in.Flags {
			if fl.Name == "platform" {
				in.From.Platform = fl.Value
			}
		}
	}
}

func sourceWords(args []string) []string {
	if len(args) < 2 {
		return nil
	}
	return append([]string(nil), args[:len(args)-1]...)
}

func (f *File) instructionError(in *Instruction, err error) error {
	msg := err.Error()
	var le *parser.LocationError
	if errors.As(err, &le) && le.Unwrap() != nil {
		msg = le.Unwrap().Error()
	}
	return &ParseError{File: f.Name, Line: in.Range.Start.Line, Col: in.Range.Start.Col, Msg: msg}
}

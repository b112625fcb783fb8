package rules

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// command is one simple command of a RUN's shell script, with wrappers such
// as sudo, env and `sh -c` unwrapped and quotes removed from its words.
type command struct {
	// Name is the program's base name ("apt-get" for /usr/bin/apt-get);
	// "export" for export/declare clauses.
	Name string
	// Args are the words after the name. Quotes are removed; parameter
	// expansions and command substitutions are kept as text ("${V}",
	// "$(...)").
	Args []string
	// Assigns are VAR=value prefixes, env arguments and export clauses.
	Assigns map[string]string
	// Node is the command in the shell source (a *syntax.CallExpr or
	// *syntax.DeclClause); for commands found inside `sh -c '...'` it is
	// the outer sh command.
	Node syntax.Node
	// Redirs are the targets of the command's output redirections (>, >>).
	Redirs []string
}

// verb returns the first argument that is not a flag, skipping the values of
// the flags in valued (for example "-o" for apt-get), or "".
func (c command) verb(valued ...string) string {
	v, _ := c.verbAt(valued...)
	return v
}

// verbAt is verb with the index of the verb in Args (-1 if none).
func (c command) verbAt(valued ...string) (string, int) {
	skip := false
	for i, a := range c.Args {
		if skip {
			skip = false
			continue
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			for _, v := range valued {
				if a == v {
					skip = true
				}
			}
			continue
		}
		return a, i
	}
	return "", -1
}

// hasFlag reports whether the command has one of the flags: a long name
// ("no-cache" matches --no-cache and --no-cache=x) or a one-letter name
// ("y" matches -y and -qy). Arguments after "--" are not flags.
func (c command) hasFlag(names ...string) bool {
	for _, a := range c.Args {
		if a == "--" {
			return false
		}
		for _, n := range names {
			if len(n) == 1 {
				if len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.Contains(a[1:], n) {
					return true
				}
				continue
			}
			if a == "--"+n || strings.HasPrefix(a, "--"+n+"=") {
				return true
			}
		}
	}
	return false
}

// hasArg reports whether some argument equals one of the values.
func (c command) hasArg(values ...string) bool {
	for _, a := range c.Args {
		for _, v := range values {
			if a == v {
				return true
			}
		}
	}
	return false
}

// operands returns the arguments that are not flags (nor values of the
// flags in valued).
func (c command) operands(valued ...string) []string {
	var out []string
	skip := false
	for i, a := range c.Args {
		if skip {
			skip = false
			continue
		}
		if a == "--" {
			return append(out, c.Args[i+1:]...)
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			for _, v := range valued {
				if a == v {
					skip = true
				}
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// script is a parsed RUN: its commands in source order.
type script struct {
	cmds []command
}

// has reports whether some command has the name.
func (s script) has(names ...string) bool {
	for _, c := range s.cmds {
		for _, n := range names {
			if c.Name == n {
				return true
			}
		}
	}
	return false
}

// shellCommands lists the simple commands of a parsed script in source
// order, unwrapping sudo, env, nice, nohup, time, command, exec and
// `sh|bash|ash -c 'script'`.
func shellCommands(f *syntax.File) []command {
	var out []command
	collectCommands(f, &out, 0)
	return out
}

const maxShellDepth = 4

func collectCommands(node syntax.Node, out *[]command, depth int) {
	syntax.Walk(node, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.Stmt:
			if call, ok := x.Cmd.(*syntax.CallExpr); ok {
				addCall(call, x.Redirs, out, depth)
			}
		case *syntax.CallExpr:
			return true
		case *syntax.DeclClause:
			c := command{Name: "export", Assigns: map[string]string{}, Node: x}
			if x.Variant != nil {
				c.Name = x.Variant.Value
			}
			for _, a := range x.Args {
				if a.Name != nil {
					c.Assigns[a.Name.Value] = wordText(a.Value)
				}
			}
			*out = append(*out, c)
		}
		return true
	})
}

func addCall(x *syntax.CallExpr, redirs []*syntax.Redirect, out *[]command, depth int) {
	c := command{Assigns: map[string]string{}, Node: x}
	for _, r := range redirs {
		switch r.Op {
		case syntax.RdrOut, syntax.AppOut, syntax.RdrAll, syntax.AppAll, syntax.RdrClob:
			if r.Word != nil {
				c.Redirs = append(c.Redirs, wordText(r.Word))
			}
		}
	}
	for _, a := range x.Assigns {
		if a.Name != nil {
			c.Assigns[a.Name.Value] = wordText(a.Value)
		}
	}
	words := make([]string, len(x.Args))
	for i, w := range x.Args {
		words[i] = wordText(w)
	}
	words = unwrap(words, c.Assigns)
	if len(words) == 0 {
		if len(c.Assigns) > 0 {
			c.Name = ""
			*out = append(*out, c)
		}
		return
	}
	c.Name = path.Base(words[0])
	c.Args = words[1:]
	*out = append(*out, c)
	// sh -c 'script': lint the inner script too.
	if depth < maxShellDepth && (isShellName(c.Name) || c.Name == "su" || c.Name == "runuser") {
		for i, a := range c.Args {
			if isDashC(a) && i+1 < len(c.Args) {
				inner, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(c.Args[i+1]), "")
				if err != nil {
					return
				}
				var sub []command
				collectCommands(inner, &sub, depth+1)
				for _, s := range sub {
					s.Node = c.Node
					*out = append(*out, s)
				}
				return
			}
		}
	}
}

// unwrap drops command wrappers from the front of words, recording env's
// VAR=value arguments in assigns.
func unwrap(words []string, assigns map[string]string) []string {
	for len(words) > 0 {
		switch path.Base(words[0]) {
		case "sudo", "doas":
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				flag := words[0]
				words = words[1:]
				if (flag == "-u" || flag == "-g" || flag == "-C" || flag == "-h" || flag == "-p") && len(words) > 0 {
					words = words[1:]
				}
			}
		case "env":
			words = words[1:]
			for len(words) > 0 {
				if strings.HasPrefix(words[0], "-") {
					words = words[1:]
					continue
				}
				if k, v, ok := strings.Cut(words[0], "="); ok && k != "" && !strings.ContainsAny(k, "/$") {
					assigns[k] = v
					words = words[1:]
					continue
				}
				break
			}
		case "nice", "nohup", "time", "command", "exec", "eatmydata", "stdbuf", "tini", "gosu", "su-exec":
			name := path.Base(words[0])
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				words = words[1:]
			}
			if (name == "gosu" || name == "su-exec") && len(words) > 0 {
				words = words[1:] // the user
			}
		default:
			return words
		}
	}
	return words
}

// wordText returns a word's text with quotes removed and expansions kept as
// source-like text.
func wordText(w *syntax.Word) string {
	if w == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range w.Parts {
		partText(&b, p, false)
	}
	return b.String()
}

func partText(b *strings.Builder, p syntax.WordPart, quoted bool) {
	switch x := p.(type) {
	case *syntax.Lit:
		if quoted {
			b.WriteString(x.Value)
			return
		}
		v := x.Value
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			b.WriteByte(v[i])
		}
	case *syntax.SglQuoted:
		b.WriteString(x.Value)
	case *syntax.DblQuoted:
		for _, q := range x.Parts {
			partText(b, q, true)
		}
	case *syntax.ParamExp:
		if x.Param != nil {
			b.WriteString("${" + x.Param.Value + "}")
		} else {
			b.WriteString("${}")
		}
	case *syntax.CmdSubst:
		b.WriteString("$(...)")
	case *syntax.ArithmExp:
		b.WriteString("$((...))")
	default:
		b.WriteString("?")
	}
}

// execCommands lists the commands of an exec-form RUN: the argv itself, and
// the script of `sh -c '...'`.
func execCommands(argv []string) []command {
	c := command{Assigns: map[string]string{}}
	words := unwrap(append([]string(nil), argv...), c.Assigns)
	if len(words) == 0 {
		return nil
	}
	c.Name, c.Args = path.Base(words[0]), words[1:]
	out := []command{c}
	if isShellName(c.Name) {
		for i, a := range c.Args {
			if isDashC(a) && i+1 < len(c.Args) {
				inner, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(c.Args[i+1]), "")
				if err == nil {
					collectCommands(inner, &out, 1)
				}
				break
			}
		}
	}
	return out
}

func isShellName(n string) bool { return n == "sh" || n == "bash" || n == "ash" || n == "dash" }

// isDashC reports whether a shell argument is -c or a flag group ending in c
// (-ec, -xc).
func isDashC(a string) bool {
	return a == "-c" || (len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.HasSuffix(a, "c"))
}

// rangeOf returns the range of a command in the Dockerfile, or the RUN's
// range when the command has no position of its own.
func (ri *runInfo) rangeOf(c command) dockerfile.Range {
	if ri.script != nil && c.Node != nil {
		r := ri.script.Range(c.Node)
		if r.Start.Line > 0 {
			return r
		}
	}
	return ri.in.Range
}

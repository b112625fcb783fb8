package shellfacts

import (
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// literal returns a word's value with quotes removed and known variables
// expanded; unknown parts are kept as written.
func (w *walker) literal(word *syntax.Word) string {
	if word == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range word.Parts {
		w.part(&b, p, false)
	}
	return b.String()
}

func (w *walker) part(b *strings.Builder, p syntax.WordPart, quoted bool) {
	switch x := p.(type) {
	case *syntax.Lit:
		b.WriteString(unescape(x.Value, quoted))
	case *syntax.SglQuoted:
		b.WriteString(x.Value)
	case *syntax.DblQuoted:
		for _, q := range x.Parts {
			w.part(b, q, true)
		}
	case *syntax.ParamExp:
		if v, ok := w.param(x); ok {
			b.WriteString(v)
			return
		}
		b.WriteString(printed(x))
	default:
		b.WriteString(printed(p))
	}
}

// param expands $X, ${X}, ${X:-def} and ${X-def} when X is known.
func (w *walker) param(x *syntax.ParamExp) (string, bool) {
	if x.Param == nil || x.Excl || x.Length || x.Width || x.Index != nil || x.Slice != nil || x.Repl != nil || x.Names != 0 {
		return "", false
	}
	v, ok := w.vars[x.Param.Value]
	if x.Exp == nil {
		return v, ok
	}
	switch x.Exp.Op {
	case syntax.DefaultUnsetOrNull, syntax.DefaultUnset:
		if ok && (v != "" || x.Exp.Op == syntax.DefaultUnset) {
			return v, true
		}
		return w.literal(x.Exp.Word), true
	}
	return "", false
}

func printed(n syntax.Node) string {
	var b strings.Builder
	if err := syntax.NewPrinter().Print(&b, n); err != nil {
		return ""
	}
	return b.String()
}

// unescape removes shell backslash escapes from a literal.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			n := s[i+1]
			if !quoted || n == '$' || n == '`' || n == '"' || n == '\\' || n == '\n' {
				i++
				if n != '\n' {
					b.WriteByte(n)
				}
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// fields returns the words an argument expands to: an unquoted word with a
// known variable in it is split on blanks, as the shell splits it
// ("apt-get purge -y $BUILD_DEPS").
func (w *walker) fields(word *syntax.Word) []string {
	if w.braces {
		if words, ok := braces(word); ok {
			var out []string
			for _, x := range words {
				out = append(out, w.fields1(x)...)
			}
			return out
		}
	}
	return w.fields1(word)
}

// braces returns the words a brace expansion makes of word
// ("x.tar.gz{,.sha256}" is x.tar.gz and x.tar.gz.sha256), false when it
// has none or would make too many. The word itself is left as it is.
func braces(word *syntax.Word) ([]*syntax.Word, bool) {
	cp := *word
	if !syntax.SplitBraces(&cp) {
		return nil, false
	}
	var out []*syntax.Word
	for x, err := range expand.BracesSeq(nil, &cp) {
		if err != nil || len(out) >= 256 {
			return nil, false
		}
		out = append(out, x)
	}
	return out, len(out) > 1
}

// fields1 is fields after brace expansion.
func (w *walker) fields1(word *syntax.Word) []string {
	v := w.literal(word)
	split := false
	for _, p := range word.Parts {
		switch x := p.(type) {
		case *syntax.SglQuoted, *syntax.DblQuoted:
			return []string{v}
		case *syntax.ParamExp:
			if _, ok := w.param(x); ok {
				split = true
			}
		}
	}
	if !split {
		return []string{v}
	}
	return strings.Fields(v)
}

// assign sets a shell variable. A value whittle cannot know (a command
// substitution, an unknown variable) makes the variable unknown, so that
// later references keep it as written ("${arch}") rather than the text of
// what it was assigned.
func (w *walker) assign(name string, value *syntax.Word) {
	if !w.known(value) {
		delete(w.vars, name)
		return
	}
	w.vars[name] = w.literal(value)
}

// known reports whether literal can give a word's whole value.
func (w *walker) known(word *syntax.Word) bool {
	if word == nil {
		return true
	}
	for _, p := range word.Parts {
		if !w.knownPart(p) {
			return false
		}
	}
	return true
}

func (w *walker) knownPart(p syntax.WordPart) bool {
	switch x := p.(type) {
	case *syntax.Lit, *syntax.SglQuoted:
		return true
	case *syntax.DblQuoted:
		for _, q := range x.Parts {
			if !w.knownPart(q) {
				return false
			}
		}
		return true
	case *syntax.ParamExp:
		if _, ok := w.param(x); !ok {
			return false
		}
		if x.Exp != nil && x.Exp.Word != nil {
			return w.known(x.Exp.Word)
		}
		return true
	}
	return false
}

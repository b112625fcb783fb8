package fix

import (
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// call is one simple command of a RUN's script.
type call struct {
	ce *syntax.CallExpr
	// stmt is the statement holding the call.
	stmt *syntax.Stmt
	// name is the program's base name, with sudo stripped.
	name string
	// args are the literal values of the words after the name ("" and
	// lit false where a word is not literal); words are the words.
	args  []string
	lit   []bool
	words []*syntax.Word
	// nested is true inside a subshell, command substitution, function
	// or sh -c.
	nested bool
	// sudo is true when the command ran through sudo.
	sudo bool
	// pkg is the package-manager operation shellfacts read from this
	// call, nil when it is none (or reached through a wrapper other than
	// sudo).
	pkg *shellfacts.PkgOp
}

// pkgOf returns the call's package-manager operation when it is one of
// manager m, else nil.
func (c call) pkgOf(m shellfacts.Manager) *shellfacts.PkgOp {
	if c.pkg == nil || c.pkg.Manager != m {
		return nil
	}
	return c.pkg
}

// verbAt returns the index of the call's word that is pk's subcommand,
// found skipping the values of the valued flags; false when the words do
// not show it there (an expansion, a flag this list does not know).
func (c call) verbAt(pk *shellfacts.PkgOp, valued ...string) (int, bool) {
	v, i := c.verb(valued...)
	if i < 0 || v != pk.RawVerb {
		return 0, false
	}
	return i, true
}

// attachPkgs gives each call the package-manager operation of the shell
// fact made from the same AST node and read under the same name (sudo is
// looked through by both; other wrappers are not by the calls). A
// program word that is not a literal (python"${V}") is the one shellfacts
// expanded.
func attachPkgs(cs []call, fs *shellfacts.Facts) {
	if fs == nil {
		return
	}
	by := map[*syntax.CallExpr][]*shellfacts.Command{}
	for _, c := range fs.Commands {
		if c.Pkg != nil && c.Call != nil {
			by[c.Call] = append(by[c.Call], c)
		}
	}
	for i := range cs {
		prog := cs[i].ce.Args[0]
		if cs[i].sudo {
			prog = cs[i].ce.Args[1]
		}
		_, lit := wordLit(prog)
		for _, fc := range by[cs[i].ce] {
			if fc.Name == cs[i].name || !lit {
				cs[i].pkg = fc.Pkg
			}
		}
	}
}

// verb returns the first argument that is not a flag, skipping the values
// of the valued flags, and its index (-1 if none).
func (c call) verb(valued ...string) (string, int) { return shellfacts.Subcommand(c.args, valued...) }

// hasFlag reports whether the command has a long flag ("no-cache" matches
// --no-cache and --no-cache=x) or a short one ("y" matches -y and -qy).
func (c call) hasFlag(names ...string) bool { return shellfacts.HasFlag(c.args, names...) }

// operands returns the arguments from index from on that are not flags
// (nor values of the valued flags).
func (c call) operands(from int, valued ...string) []string {
	return shellfacts.Operands(c.args[from:], valued...)
}

// calls returns the simple commands of a script in source order.
func calls(sc *dockerfile.Script) []call {
	if sc == nil || sc.File == nil {
		return nil
	}
	var out []call
	var visit func(n syntax.Node, stmt *syntax.Stmt, nested bool)
	visit = func(n syntax.Node, stmt *syntax.Stmt, nested bool) {
		if n == nil {
			return
		}
		syntax.Walk(n, func(m syntax.Node) bool {
			switch x := m.(type) {
			case *syntax.Stmt:
				if x != n {
					if x.Cmd != nil {
						visit(x.Cmd, x, nested)
					}
					for _, r := range x.Redirs {
						visit(r, x, nested)
					}
					return false
				}
			case *syntax.Subshell, *syntax.CmdSubst, *syntax.FuncDecl, *syntax.ProcSubst:
				if m != n {
					syntax.Walk(m, func(k syntax.Node) bool {
						if s, ok := k.(*syntax.Stmt); ok {
							if s.Cmd != nil {
								visit(s.Cmd, s, true)
							}
							return false
						}
						return true
					})
					return false
				}
			case *syntax.CallExpr:
				if len(x.Args) > 0 {
					out = append(out, newCall(x, stmt, nested))
				}
			}
			return true
		})
	}
	for _, s := range sc.File.Stmts {
		if s.Cmd != nil {
			visit(s.Cmd, s, false)
		}
	}
	return out
}

func newCall(ce *syntax.CallExpr, stmt *syntax.Stmt, nested bool) call {
	c := call{ce: ce, stmt: stmt, nested: nested}
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

// andChain reports whether a statement is a chain of commands joined only
// by && (a single command counts).
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

// normPath cleans an absolute path, or joins a relative one to dir.
func normPath(p, dir string) string {
	if p == "" {
		return ""
	}
	if !path.IsAbs(p) {
		p = path.Join(dir, p)
	}
	return path.Clean(p)
}

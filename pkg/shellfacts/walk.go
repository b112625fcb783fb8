package shellfacts

import (
	"maps"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// walker visits a script's statements in execution order, tracking the
// working directory, variables, errexit and pipefail.
type walker struct {
	f        *Facts
	vars     map[string]string // shell variables (exported or not)
	exported map[string]bool
	dir      string
	// dirAs is the directory a cd went to when dir is unknown, as written
	// ("$(mktemp -d)", "$tmp/src"); "" when that is not known either.
	dirAs    string
	errexit  bool
	pipefail bool
	// at overrides command positions for scripts parsed from a string
	// (sh -c '...'): their commands take the outer command's position.
	at    *syntax.CallExpr
	depth int
	// braces is true when the shell expands braces (bash, zsh, ksh; not
	// sh, dash or ash).
	braces bool
}

// flow is how the statement being visited relates to the RUN's outcome.
type flow struct {
	always    bool // runs in every successful execution
	status    bool // its exit status is the RUN's exit status
	noErrexit bool // set -e does not apply (&&/|| left side, if condition, !)
	subshell  bool
	pipeIn    bool // stdin comes from a pipe
	pipeOut   bool // stdout goes to a pipe
}

func newWalker(f *Facts, o *options) *walker {
	w := &walker{f: f, vars: map[string]string{}, exported: map[string]bool{}, dir: o.workdir, errexit: o.errexit, pipefail: o.pipefail, braces: o.braces}
	for k, v := range o.env {
		w.vars[k] = v
		w.exported[k] = true
	}
	return w
}

func (w *walker) top() flow { return flow{always: true, status: true} }

// save and restore scope around subshells.
type saved struct {
	vars     map[string]string
	exported map[string]bool
	dir      string
	dirAs    string
	errexit  bool
	pipefail bool
}

func (w *walker) save() saved {
	return saved{maps.Clone(w.vars), maps.Clone(w.exported), w.dir, w.dirAs, w.errexit, w.pipefail}
}

func (w *walker) restore(s saved) {
	w.vars, w.exported, w.dir, w.dirAs, w.errexit, w.pipefail = s.vars, s.exported, s.dir, s.dirAs, s.errexit, s.pipefail
}

// where is the working directory, known or as written, to compare before
// and after a branch.
type where struct{ dir, dirAs string }

func (w *walker) where() where { return where{w.dir, w.dirAs} }

// merge forgets the working directory when a branch may have changed it.
func (w *walker) merge(before where) {
	if w.where() != before {
		w.dir, w.dirAs = "", ""
	}
}

func (w *walker) stmts(list []*syntax.Stmt, fl flow) {
	for i, st := range list {
		c := fl
		c.status = fl.status && i == len(list)-1
		w.stmt(st, c)
	}
}

func (w *walker) stmt(st *syntax.Stmt, fl flow) {
	if st == nil || st.Cmd == nil {
		return
	}
	if st.Negated {
		fl.status, fl.noErrexit = false, true
	}
	if st.Background {
		fl.status, fl.noErrexit, fl.subshell = false, true, true
	}
	for _, r := range st.Redirs {
		w.substs(r.Word, fl)
		if r.Hdoc != nil {
			w.substs(r.Hdoc, fl)
		}
	}
	switch x := st.Cmd.(type) {
	case *syntax.CallExpr:
		w.call(x, st, fl)
	case *syntax.BinaryCmd:
		w.binary(x, fl)
	case *syntax.Subshell:
		s := w.save()
		fl.subshell = true
		w.stmts(x.Stmts, fl)
		w.restore(s)
	case *syntax.Block:
		w.stmts(x.Stmts, fl)
	case *syntax.IfClause:
		dir := w.where()
		cond := fl
		cond.status, cond.noErrexit = false, true
		w.stmts(x.Cond, cond)
		body := fl
		body.always = false
		w.stmts(x.Then, body)
		if x.Else != nil {
			w.stmt(&syntax.Stmt{Cmd: x.Else}, body)
		}
		w.merge(dir)
	case *syntax.WhileClause:
		dir := w.where()
		cond := fl
		cond.status, cond.noErrexit = false, true
		if !x.Until {
			cond.always = fl.always
		}
		w.stmts(x.Cond, cond)
		body := fl
		body.always, body.status = false, false
		w.stmts(x.Do, body)
		w.merge(dir)
	case *syntax.ForClause:
		dir := w.where()
		body := fl
		body.always, body.status = false, false
		if wi, ok := x.Loop.(*syntax.WordIter); ok {
			for _, it := range wi.Items {
				w.substs(it, fl)
			}
		}
		w.stmts(x.Do, body)
		w.merge(dir)
	case *syntax.CaseClause:
		dir := w.where()
		w.substs(x.Word, fl)
		body := fl
		body.always = false
		for _, it := range x.Items {
			w.stmts(it.Stmts, body)
		}
		w.merge(dir)
	case *syntax.FuncDecl:
		s := w.save()
		body := flow{subshell: fl.subshell, noErrexit: true}
		w.stmt(x.Body, body)
		w.restore(s)
	case *syntax.DeclClause:
		if x.Variant != nil && (x.Variant.Value == "export" || x.Variant.Value == "declare" || x.Variant.Value == "local" || x.Variant.Value == "readonly" || x.Variant.Value == "typeset") {
			for _, a := range x.Args {
				if a.Name == nil {
					continue
				}
				w.substs(a.Value, fl)
				if a.Value != nil || !a.Naked {
					w.assign(a.Name.Value, a.Value)
				}
				if x.Variant.Value == "export" {
					w.exported[a.Name.Value] = true
				}
			}
		}
	case *syntax.TimeClause:
		w.stmt(x.Stmt, fl)
	}
}

func (w *walker) binary(x *syntax.BinaryCmd, fl flow) {
	switch x.Op {
	case syntax.AndStmt:
		l := fl
		l.noErrexit = true
		w.stmt(x.X, l)
		r := fl
		r.always = fl.always && fl.status
		w.stmt(x.Y, r)
	case syntax.OrStmt:
		l := fl
		l.status, l.noErrexit = false, true
		w.stmt(x.X, l)
		r := fl
		r.always = false
		w.stmt(x.Y, r)
	case syntax.Pipe, syntax.PipeAll:
		s := w.save()
		l := fl
		l.subshell, l.pipeOut = true, true
		if !w.pipefail {
			l.status, l.noErrexit = false, true
		}
		w.stmt(x.X, l)
		w.restore(s)
		r := fl
		r.subshell, r.pipeIn = true, true
		w.stmt(x.Y, r)
		w.restore(s)
	}
}

// substs walks the command substitutions inside a node: they run before
// the command that holds them, in a subshell, and their failure does not
// fail the RUN.
func (w *walker) substs(n syntax.Node, fl flow) {
	if n == nil || isNilNode(n) {
		return
	}
	syntax.Walk(n, func(node syntax.Node) bool {
		switch x := node.(type) {
		case *syntax.CmdSubst:
			s := w.save()
			c := fl
			c.status, c.noErrexit, c.subshell, c.pipeIn, c.pipeOut = false, true, true, false, true
			w.stmts(x.Stmts, c)
			w.restore(s)
			return false
		case *syntax.ProcSubst:
			s := w.save()
			c := fl
			c.status, c.noErrexit, c.subshell = false, true, true
			w.stmts(x.Stmts, c)
			w.restore(s)
			return false
		}
		return true
	})
}

func isNilNode(n syntax.Node) bool {
	switch x := n.(type) {
	case *syntax.Word:
		return x == nil
	}
	return false
}

func (w *walker) call(x *syntax.CallExpr, st *syntax.Stmt, fl flow) {
	for _, a := range x.Assigns {
		w.substs(a.Value, fl)
	}
	for _, a := range x.Args {
		w.substs(a, fl)
	}
	if len(x.Args) == 0 {
		for _, a := range x.Assigns {
			if a.Name != nil {
				w.assign(a.Name.Value, a.Value)
			}
		}
		return
	}
	assigns := map[string]string{}
	for _, a := range x.Assigns {
		if a.Name != nil {
			assigns[a.Name.Value] = w.literal(a.Value)
		}
	}
	words := make([]string, 0, len(x.Args))
	for _, a := range x.Args {
		words = append(words, w.fields(a)...)
	}
	words = unwrap(words, assigns)
	if len(words) == 0 {
		return
	}
	name := path.Base(words[0])
	args := words[1:]
	// sh -c 'script': read the literal script as well.
	if isShell(name) {
		if script, ok := dashC(args); ok && w.depth < 4 {
			if file, err := syntax.NewParser().Parse(strings.NewReader(script), ""); err == nil && !tooDeep(file) {
				at := w.at
				if at == nil {
					at = x
				}
				inner := &walker{f: w.f, vars: maps.Clone(w.vars), exported: maps.Clone(w.exported), dir: w.dir, dirAs: w.dirAs, errexit: w.errexit, pipefail: w.pipefail, at: at, depth: w.depth + 1, braces: bracesShell(name)}
				for k, v := range assigns {
					inner.vars[k], inner.exported[k] = v, true
				}
				sub := fl
				sub.subshell = true
				inner.stmts(file.Stmts, sub)
				return
			}
		}
	}
	c := &Command{
		Name:     name,
		Args:     args,
		Assigns:  assigns,
		Call:     x,
		Pos:      x.Pos(),
		End:      x.End(),
		Dir:      w.dir,
		DirAs:    w.dirAs,
		Always:   fl.always,
		Stops:    fl.status || (w.errexit && !fl.noErrexit),
		Subshell: fl.subshell,
		Redirs:   w.redirs(st),
	}
	if w.at != nil {
		c.Call, c.Pos, c.End = w.at, w.at.Pos(), w.at.End()
	}
	switch name {
	case "cd":
		w.cd(args)
	case "set":
		w.errexit, w.pipefail = shellFlags(args, w.errexit, w.pipefail)
	case "export":
		for _, a := range args {
			k, v, ok := strings.Cut(a, "=")
			if ok {
				w.vars[k] = v
			}
			w.exported[k] = true
		}
	}
	w.classify(c, fl)
	if d := c.Download; d != nil && d.Stdout {
		if to := w.stdoutFile(st); to != "" {
			d.Output, d.Stdout, d.Piped = w.abs(to), false, false
			d.Outputs = []string{d.Output}
		}
	}
	w.f.Commands = append(w.f.Commands, c)
}

// env returns the value of an exported variable as the command sees it.
func (w *walker) env(c *Command, name string) (string, bool) {
	if v, ok := c.Assigns[name]; ok {
		return v, true
	}
	if w.exported[name] {
		v, ok := w.vars[name]
		return v, ok
	}
	return "", false
}

func (w *walker) cd(args []string) {
	var dst string
	for _, a := range args {
		if a == "-P" || a == "-L" || a == "-e" || a == "--" {
			continue
		}
		dst = a
		break
	}
	switch {
	case dst == "" || dst == "~":
		w.dir, w.dirAs = w.home(), ""
	case dst == "-":
		w.dir, w.dirAs = "", ""
	case strings.Contains(dst, "$") || (w.dir == "" && !path.IsAbs(dst)):
		// Unknown: remember it as written, relative to where we were.
		switch {
		case Rooted(dst):
			w.dirAs = dst
		case w.dir != "":
			w.dirAs = path.Join(w.dir, dst)
		case w.dirAs != "":
			w.dirAs = path.Join(w.dirAs, dst)
		}
		w.dir = ""
	default:
		w.dir, w.dirAs = w.abs(dst), ""
	}
}

func (w *walker) home() string {
	if h, ok := w.vars["HOME"]; ok && path.IsAbs(h) {
		return h
	}
	return "/root"
}

// abs resolves p against the working directory and cleans it. A relative
// path under an unknown directory stays relative, and so does a path that
// starts with an expansion standing for a directory (see Rooted).
func (w *walker) abs(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		p = w.home() + p[1:]
	}
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	if w.dir == "" || Rooted(p) {
		return p
	}
	return path.Join(w.dir, p)
}

// unwrap looks through wrappers (sudo, env, nice, ...) and returns the
// words of the real command; env's assignments go to assigns.
func unwrap(words []string, assigns map[string]string) []string {
	for len(words) > 0 {
		name := path.Base(words[0])
		rest := words[1:]
		switch name {
		case "sudo", "doas":
			rest = skipOpts(rest, "ugChpDrtTU", nil)
		case "env":
			for len(rest) > 0 {
				a := rest[0]
				if a == "-i" || a == "-" || a == "--ignore-environment" {
					rest = rest[1:]
					continue
				}
				if a == "-u" && len(rest) > 1 {
					rest = rest[2:]
					continue
				}
				if k, v, ok := strings.Cut(a, "="); ok && !strings.HasPrefix(a, "-") {
					assigns[k] = v
					rest = rest[1:]
					continue
				}
				break
			}
		case "nice", "ionice":
			rest = skipOpts(rest, "nct", nil)
		case "nohup", "command", "exec", "builtin", "time", "stdbuf", "eatmydata", "unbuffer":
			rest = skipOpts(rest, "ioe", nil)
		case "timeout":
			rest = skipOpts(rest, "sk", nil)
			if len(rest) > 0 {
				rest = rest[1:]
			}
		case "xargs":
			rest = skipOpts(rest, "IiEeLlnPsda", map[string]bool{"--max-args": true, "--max-procs": true, "--delimiter": true, "--arg-file": true, "--replace": true})
		case "gosu", "su-exec", "chroot":
			rest = skipOpts(rest, "", nil)
			if len(rest) > 0 {
				rest = rest[1:]
			}
		default:
			return words
		}
		words = rest
	}
	return words
}

// skipOpts drops leading option words; short options in valued take the
// next word as their value.
func skipOpts(args []string, valued string, longValued map[string]bool) []string {
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return args[1:]
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			return args
		}
		if strings.HasPrefix(a, "--") {
			if !strings.Contains(a, "=") && longValued[a] && len(args) > 1 {
				args = args[2:]
				continue
			}
			args = args[1:]
			continue
		}
		last := a[len(a)-1:]
		if len(a) == 2 && strings.Contains(valued, last) && len(args) > 1 {
			args = args[2:]
			continue
		}
		args = args[1:]
	}
	return args
}

// bracesShell reports whether the shell expands braces.
func bracesShell(name string) bool {
	switch path.Base(name) {
	case "bash", "zsh", "ksh", "mksh", "ksh93":
		return true
	}
	return false
}

func isShell(name string) bool {
	switch name {
	case "sh", "bash", "ash", "dash", "ksh", "zsh":
		return true
	}
	return false
}

// dashC returns the script of "sh [-flags] -c 'script' ...".
func dashC(args []string) (string, bool) {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			return "", false
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "c") {
			if i+1 < len(args) {
				return args[i+1], true
			}
			return "", false
		}
	}
	return "", false
}

// stdoutFile returns the file a statement's stdout is redirected to
// ("curl URL > file"), or "".
func (w *walker) stdoutFile(st *syntax.Stmt) string {
	if st == nil || w.at != nil {
		return ""
	}
	to := ""
	for _, r := range st.Redirs {
		if r.N != nil && r.N.Value != "1" {
			continue
		}
		switch r.Op {
		case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.RdrAll:
			if v := w.literal(r.Word); v != "" && !strings.HasPrefix(v, "/dev/") && !strings.HasPrefix(v, "&") {
				to = v
			}
		}
	}
	return to
}

// redirs returns the files a statement's output redirections write, for
// the command of a statement parsed in place (not inside sh -c, whose
// statement is the outer command's).
func (w *walker) redirs(st *syntax.Stmt) []string {
	if st == nil {
		return nil
	}
	var out []string
	for _, r := range st.Redirs {
		switch r.Op {
		case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.RdrAll, syntax.AppAll:
			v := w.literal(r.Word)
			if v == "" || v == "-" || strings.HasPrefix(v, "/dev/") || strings.HasPrefix(v, "&") {
				continue
			}
			out = append(out, w.abs(v))
		}
	}
	return out
}

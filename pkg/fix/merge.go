package fix

import (
	"path"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// Merging RUNs: the layer technique. When a later RUN removes, purges,
// moves or chmod/chown-s what an earlier RUN of the same stage created,
// the bytes ship twice (or ship although removed); the repair moves the
// later RUN, and every RUN between, to the end of the earlier one.

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

// runFacts returns the facts of a RUN, nil when unknown.
func runFacts(in *dockerfile.Instruction) *shellfacts.Facts {
	fs, err := shellfacts.OfRun(in)
	if err != nil || fs == nil || fs.Unparsed {
		return nil
	}
	return fs
}

// created is what a RUN leaves in its layer that a later RUN may remove.
type created struct {
	paths    []string // files and directories with content
	caches   []cache  // package-manager caches left behind
	archives []string // downloaded files (for WH103)
	pkgs     map[string]bool
}

func createdBy(fs *shellfacts.Facts) created {
	c := created{pkgs: map[string]bool{}}
	for _, cmd := range fs.Commands {
		if cmd.Pkg != nil {
			for _, d := range cachesFilled(cmd) {
				k := cache{d, cmd.Pkg.Manager}
				if !removedBy(&shellfacts.Facts{Commands: fs.Commands}).hitsCache(k) {
					c.caches = append(c.caches, k)
				}
			}
		}
		switch {
		case cmd.Download != nil && cmd.Download.Output != "":
			c.paths = append(c.paths, cmd.Download.Output)
			c.archives = append(c.archives, cmd.Download.Output)
		case cmd.Extract != nil && !cmd.Extract.Create && cmd.Extract.Dest != "" && cmd.Extract.Dest != "/":
			c.paths = append(c.paths, cmd.Extract.Dest)
		case cmd.File != nil:
			switch cmd.File.Op {
			case "cp", "mv", "install":
				if cmd.File.Dest != "" && cmd.File.Dest != "/" {
					c.paths = append(c.paths, cmd.File.Dest)
				}
			case "touch":
				c.paths = append(c.paths, cmd.File.Paths...)
			}
		case cmd.Pkg != nil && cmd.Pkg.Verb == shellfacts.Install && cmd.Pkg.Manager != shellfacts.Pip &&
			cmd.Pkg.Manager != shellfacts.Npm && cmd.Pkg.Manager != shellfacts.Yarn && cmd.Pkg.Manager != shellfacts.Gem:
			for _, p := range cmd.Pkg.Packages {
				c.pkgs[pkgName(p)] = true
			}
			if cmd.Pkg.Virtual != "" {
				c.pkgs[cmd.Pkg.Virtual] = true
			}
		}
	}
	return c
}

// removed is what a RUN removes, moves or rewrites.
type removed struct {
	paths  []string
	pkgs   []string
	cleans []cache // caches emptied by the manager's own clean
}

// cache is a cache directory and the package manager that fills or
// cleans it.
type cache struct {
	dir string
	mgr shellfacts.Manager
}

func removedBy(fs *shellfacts.Facts) removed {
	var r removed
	for _, cmd := range fs.Commands {
		if cmd.Pkg != nil && cmd.Pkg.Verb == shellfacts.Clean {
			for _, d := range cachesCleaned(cmd.Pkg) {
				r.cleans = append(r.cleans, cache{d, cmd.Pkg.Manager})
			}
		}
		switch {
		case cmd.File != nil:
			switch cmd.File.Op {
			case "rm", "rmdir", "mv", "chmod", "chown", "chgrp":
				r.paths = append(r.paths, cmd.File.Paths...)
			}
		case cmd.Pkg != nil && (cmd.Pkg.Verb == shellfacts.Remove || cmd.Pkg.Verb == shellfacts.Purge):
			for _, p := range cmd.Pkg.Packages {
				r.pkgs = append(r.pkgs, pkgName(p))
			}
		}
	}
	return r
}

var pkgSuffix = regexp.MustCompile(`[=:<>].*$`)

func pkgName(p string) string { return pkgSuffix.ReplaceAllString(p, "") }

// hits reports whether r removes something c created, and whether that is
// a downloaded file.
func (r removed) hits(c created) (hit, download bool) {
	for _, p := range r.paths {
		if p == "" || p == "/" || strings.Contains(p, "$") {
			continue
		}
		for _, q := range c.paths {
			if pathHits(p, q) {
				for _, a := range c.archives {
					if a == q {
						return true, true
					}
				}
				hit = true
			}
		}
	}
	for _, p := range r.pkgs {
		if c.pkgs[p] {
			hit = true
		}
	}
	for _, k := range c.caches {
		if r.hitsCache(k) {
			hit = true
		}
	}
	return hit, false
}

// hitsCache reports whether r empties cache k.
func (r removed) hitsCache(k cache) bool {
	for _, p := range r.paths {
		if p != "" && p != "/" && pathHits(p, k.dir) {
			return true
		}
	}
	for _, cl := range r.cleans {
		if cl == k {
			return true
		}
	}
	return false
}

// pathHits reports whether removing p touches content at q: the same path,
// q below p, p below q, or p a glob matching q.
func pathHits(p, q string) bool {
	if q == "" || q == "/" {
		return false
	}
	if strings.ContainsAny(p, "*?[") {
		if ok, _ := path.Match(p, q); ok {
			return true
		}
		p = path.Dir(p)
		for strings.ContainsAny(p, "*?[") {
			p = path.Dir(p)
		}
		// dir/* empties dir: it hits dir itself and what lies below.
		return p != "/" && shellfacts.Under(q, p)
	}
	return shellfacts.Under(q, p) || shellfacts.Under(p, q)
}

func mergeRuns(p *pass) []repair {
	var out []repair
	for _, st := range p.f.Stages {
		if r, ok := p.mergeInStage(st); ok {
			out = append(out, r)
		}
	}
	return out
}

// mergeInStage finds the first mergeable pair of the stage (one merge per
// stage and pass: the next pass sees the merged text).
func (p *pass) mergeInStage(st *dockerfile.Stage) (repair, bool) {
	ins := st.Instructions
	for j, b := range ins {
		rb := p.run(b)
		if rb == nil {
			continue
		}
		fb := rb.facts()
		if fb == nil {
			continue
		}
		rem := removedBy(fb)
		// WH204: a lone apt-get update joins the install after it.
		if j > 0 {
			if i := p.prevRun(ins, j); i >= 0 && loneAptUpdate(p.facts(ins[i])) && installsApt(fb) {
				if r, ok := p.merge(ins[i:j+1], "WH204", "joined the lone apt-get update to the RUN that installs"); ok {
					return r, true
				}
			}
		}
		if len(rem.paths) == 0 && len(rem.pkgs) == 0 && len(rem.cleans) == 0 {
			continue
		}
		for i := 0; i < j; i++ {
			fa := p.facts(ins[i])
			if fa == nil || p.run(ins[i]) == nil {
				continue
			}
			hit, download := rem.hits(createdBy(fa))
			if !hit {
				continue
			}
			rule, msg := "WH101", "merged into one RUN the RUNs that create and remove the same files or packages"
			if download {
				rule, msg = "WH103", "merged into one RUN the download, extraction and removal of an archive"
			}
			if r, ok := p.merge(ins[i:j+1], rule, msg); ok {
				return r, true
			}
		}
	}
	return repair{}, false
}

// prevRun returns the index of the RUN before ins[j], stepping over
// instructions a merge may step over; -1 if none.
func (p *pass) prevRun(ins []*dockerfile.Instruction, j int) int {
	for i := j - 1; i >= 0; i-- {
		if ins[i].Kind == dockerfile.KindRun {
			return i
		}
		if !mergeKinds[ins[i].Kind] {
			return -1
		}
	}
	return -1
}

func loneAptUpdate(fs *shellfacts.Facts) bool {
	if fs == nil || len(fs.Commands) == 0 {
		return false
	}
	for _, c := range fs.Commands {
		if c.Pkg == nil || c.Pkg.Manager != shellfacts.Apt || c.Pkg.Verb != shellfacts.Update {
			return false
		}
	}
	return true
}

func installsApt(fs *shellfacts.Facts) bool {
	for _, c := range fs.Pkgs(shellfacts.Apt) {
		if c.Pkg.Verb == shellfacts.Install || c.Pkg.Verb == shellfacts.Upgrade {
			return true
		}
	}
	return false
}

// run returns the runCtx of a RUN instruction, or nil.
func (p *pass) run(in *dockerfile.Instruction) *runCtx {
	return p.byInst[in]
}

// facts returns the facts of a RUN whose script parsed, or nil.
func (p *pass) facts(in *dockerfile.Instruction) *shellfacts.Facts {
	if rc := p.run(in); rc != nil {
		return rc.facts()
	}
	return nil
}

// merge moves every RUN of span after the first to the end of the first,
// when that keeps the meaning; span starts and ends with a RUN.
func (p *pass) merge(span []*dockerfile.Instruction, rule, msg string) (repair, bool) {
	first := p.run(span[0])
	if first == nil || first.appendAt < 0 || first.heredoc {
		return repair{}, false
	}
	if !p.gateSpan(rule, span) {
		return repair{}, false
	}
	flags := flagText(first.in)
	cwdKnown := true // the merged script still runs in first's WORKDIR
	exports := map[string]string{}
	var parts []string
	var edits []edit.Edit
	prev := first
	for _, in := range span[1:] {
		if !mergeKinds[in.Kind] {
			return repair{}, false
		}
		if in.Kind != dockerfile.KindRun {
			continue
		}
		rc := p.run(in)
		if rc == nil || rc.appendAt < 0 || rc.heredoc || flagText(in) != flags || !sameStrings(in.Scope.Shell, first.in.Scope.Shell) || in.Scope.User != first.in.Scope.User {
			return repair{}, false
		}
		// The part before must leave no shell state behind.
		changesDir, ok := leavesState(prev)
		if !ok {
			return repair{}, false
		}
		cwdKnown = cwdKnown && !changesDir
		var pre []string
		if in.Scope.Workdir != first.in.Scope.Workdir || !cwdKnown {
			dir := in.Scope.Workdir
			if !safeWord.MatchString(dir) {
				return repair{}, false
			}
			if in.Scope.Workdir != first.in.Scope.Workdir {
				pre = append(pre, "mkdir -p "+dir)
			}
			pre = append(pre, "cd "+dir)
			cwdKnown = in.Scope.Workdir == first.in.Scope.Workdir
		}
		ex, ok := p.envCarry(span[0], in, exports)
		if !ok {
			return repair{}, false
		}
		pre = append(pre, ex...)
		text, ok := rc.scriptText(in == span[len(span)-1])
		if !ok {
			return repair{}, false
		}
		s, e := edit.WholeLines(p.f.Src, in.Range.Start.Offset, in.Range.End.Offset)
		group := append(pre, text)
		if cs, comments := commentsAbove(p.f.Src, s); len(comments) > 0 {
			// Comment lines may sit inside a continuation (BuildKit drops
			// them): they stay next to the commands they describe.
			nl := first.style.Newline + first.style.Indent
			group[0] = strings.Join(comments, nl) + nl + group[0]
			s = cs
		}
		s = blankLinesAfter(p.f.Src, s, span)
		parts = append(parts, group...)
		edits = append(edits, edit.Delete(s, e))
		prev = rc
	}
	if len(parts) == 0 {
		return repair{}, false
	}
	ins := edit.Insert(first.appendAt, first.style.Append("&&", true, parts...))
	var idx []int
	for _, in := range span {
		idx = append(idx, in.Index)
	}
	return repair{
		rule:      rule,
		at:        first.in.Range.Start.Offset,
		msg:       msg,
		edits:     append([]edit.Edit{ins}, edits...),
		insts:     idx,
		exclusive: true,
	}, true
}

// gateSpan asks lint (when it knows the rule) to flag one instruction of
// the span.
func (p *pass) gateSpan(rule string, span []*dockerfile.Instruction) bool {
	for _, in := range span {
		if p.g.allows(rule, in) {
			return true
		}
	}
	return false
}

var safeWord = regexp.MustCompile(`^[A-Za-z0-9_./@%+:,=-]+$`)

// envCarry returns the exports that give a moved RUN the ENV values set
// between the first RUN and it; false when one cannot be written safely
// (or an ARG is declared between: a build argument may override it).
func (p *pass) envCarry(first, in *dockerfile.Instruction, done map[string]string) ([]string, bool) {
	var out []string
	for _, d := range p.f.Instructions {
		if d.Index <= first.Index || d.Index >= in.Index || d.Stage != in.Stage {
			continue
		}
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

var validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

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
func leavesState(rc *runCtx) (changesDir, ok bool) {
	fs := rc.facts()
	if fs == nil {
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
	syntax.Walk(rc.sc.File, func(n syntax.Node) bool {
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
func (rc *runCtx) scriptText(last bool) (string, bool) {
	stmts := rc.sc.File.Stmts
	if len(stmts) == 0 {
		return "", false
	}
	start := rc.sc.Offset(stmts[0].Pos())
	if strings.Contains(string(rc.f.Src[rc.in.Range.Start.Offset:start]), "#") {
		return "", false // a comment before the first command would be lost
	}
	end := rc.appendAt
	rest := strings.TrimSpace(string(rc.f.Src[end:rc.in.Range.End.Offset]))
	chain := len(stmts) == 1 && andChain(stmts[0])
	switch {
	case rest == "" || rest == ";":
	case last && chain && strings.HasPrefix(rest, "#") && !strings.ContainsAny(rest, "\r\n"):
		// A comment ending the last moved RUN can end the merged one.
		end = rc.in.Range.End.Offset
	default:
		return "", false
	}
	text := string(rc.f.Src[start:end])
	if chain {
		return text, true
	}
	if len(rc.sc.File.Last) > 0 {
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
		lines = append([]string{line}, lines...)
		start = ls
	}
	return start, lines
}

// cachesFilled returns the cache directories a package operation fills
// when nothing in the same RUN empties them.
func cachesFilled(c *shellfacts.Command) []string {
	p := c.Pkg
	if p == nil {
		return nil
	}
	install := p.Verb == shellfacts.Install || p.Verb == shellfacts.Upgrade
	switch p.Manager {
	case shellfacts.Apt:
		if p.Verb == shellfacts.Update {
			return []string{"/var/lib/apt/lists"}
		}
		if install {
			return []string{"/var/cache/apt"}
		}
	case shellfacts.Apk:
		if (install || p.Verb == shellfacts.Update) && !p.NoCache {
			return []string{"/var/cache/apk"}
		}
	case shellfacts.Pip:
		if install && !p.NoCache {
			return []string{"/root/.cache/pip"}
		}
	case shellfacts.Npm:
		if install {
			return []string{"/root/.npm"}
		}
	case shellfacts.Yarn:
		if install {
			return []string{"/usr/local/share/.cache/yarn"}
		}
	case shellfacts.Dnf, shellfacts.Microdnf:
		if install {
			return []string{"/var/cache/dnf"}
		}
	case shellfacts.Yum:
		if install {
			return []string{"/var/cache/yum"}
		}
	case shellfacts.Zypper:
		if install {
			return []string{"/var/cache/zypp"}
		}
	case shellfacts.Go:
		if install || p.Verb == shellfacts.Build {
			return []string{"/root/.cache/go-build"}
		}
	}
	return nil
}

// cachesCleaned returns the cache directories a clean operation empties.
func cachesCleaned(p *shellfacts.PkgOp) []string {
	switch p.Manager {
	case shellfacts.Apt:
		return []string{"/var/cache/apt"}
	case shellfacts.Apk:
		return []string{"/var/cache/apk"}
	case shellfacts.Pip:
		return []string{"/root/.cache/pip"}
	case shellfacts.Npm:
		return []string{"/root/.npm"}
	case shellfacts.Yarn:
		return []string{"/usr/local/share/.cache/yarn"}
	case shellfacts.Dnf, shellfacts.Microdnf:
		return []string{"/var/cache/dnf"}
	case shellfacts.Yum:
		return []string{"/var/cache/yum"}
	case shellfacts.Zypper:
		return []string{"/var/cache/zypp"}
	case shellfacts.Go:
		if p.All {
			return []string{"/root/.cache/go-build"}
		}
	}
	return nil
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

package dockerfile

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// defaultShell is the SHELL of a Linux image.
var defaultShell = []string{"/bin/sh", "-c"}

// windowsShell is the default SHELL of a Windows image.
var windowsShell = []string{"cmd", "/S", "/C"}

// isWindowsImage reports whether an image reference names a Windows base
// (Server Core, Nano Server and the images built on them by name).
func isWindowsImage(ref string) bool {
	r := strings.ToLower(ref)
	return strings.Contains(r, "mcr.microsoft.com/windows") || strings.Contains(r, "windowsservercore") ||
		strings.Contains(r, "nanoserver") || strings.Contains(r, "windows/servercore")
}

// envGetter adapts a Scope (plus meta args) to BuildKit's shell.EnvGetter.
type envGetter map[string]string

func (e envGetter) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }
func (e envGetter) Keys() []string              { return slices.Sorted(maps.Keys(e)) }

func (s *Scope) env() envGetter {
	e := envGetter{}
	if s == nil {
		return e
	}
	for k, v := range s.Vars {
		if v.Set {
			e[k] = v.Value
		}
	}
	return e
}

// Expand expands $VAR and ${VAR} references in word with the variables in
// scope, as BuildKit does for WORKDIR, COPY, ENV and the like. Unknown
// variables expand to "". On a syntax error the word is returned unchanged.
func (s *Scope) Expand(word string, escape byte) string {
	lex := shell.NewLex(rune(escape))
	out, _, err := lex.ProcessWord(word, s.env())
	if err != nil {
		return word
	}
	return out
}

// with returns a copy of s for modification.
func (s *Scope) with() *Scope {
	n := &Scope{Vars: maps.Clone(s.Vars), Shell: s.Shell, Workdir: s.Workdir, User: s.User}
	if n.Vars == nil {
		n.Vars = map[string]Var{}
	}
	return n
}

// resolve makes p absolute against dir and cleans it, keeping a trailing
// slash.
func resolve(dir, p string) string {
	if p == "" {
		return dir
	}
	trail := strings.HasSuffix(p, "/") && p != "/"
	if !path.IsAbs(p) {
		p = path.Join(dir, p)
	}
	p = path.Clean(p)
	if trail && p != "/" {
		p += "/"
	}
	return p
}

// buildStages assigns instructions to stages, computes every scope,
// resolves stage references, parses RUN scripts and marks the stages that
// reach the target image.
func (f *File) buildStages(o *options) error {
	meta := &Scope{Vars: map[string]Var{}, Shell: defaultShell, Workdir: "/"}
	// The automatic platform ARGs are in the global scope without a
	// declaration; a stage sees them once it declares them.
	for k, v := range o.platformArgs() {
		meta.Vars[k] = Var{Name: k, Value: v, Set: true, Kind: KindArg}
	}
	byName := map[string]*Stage{}
	var st *Stage
	var cur *Scope
	for _, in := range f.Instructions {
		if in.Kind == KindFrom {
			st = &Stage{Index: len(f.Stages), From: in}
			in.Scope = meta
			if in.From != nil {
				in.From.Expanded = meta.Expand(in.From.Image, f.Escape)
				st.Name = strings.ToLower(in.From.Alias)
				st.Base = in.From.Expanded
				if b, ok := byName[strings.ToLower(st.Base)]; ok {
					st.BaseStage = b
				}
			}
			if st.BaseStage != nil {
				cur = st.BaseStage.FinalScope().with()
				for k, v := range cur.Vars {
					if v.Kind != KindEnv {
						delete(cur.Vars, k)
					}
				}
			} else {
				cur = &Scope{Vars: map[string]Var{}, Shell: defaultShell, Workdir: "/"}
				if isWindowsImage(st.Base) {
					cur.Shell = windowsShell
				}
			}
			st.end = cur
			f.Stages = append(f.Stages, st)
			if st.Name != "" {
				if _, dup := byName[st.Name]; !dup {
					byName[st.Name] = st
				}
			}
			in.Stage = st
			st.Instructions = append(st.Instructions, in)
			continue
		}
		if st == nil {
			in.Scope = meta
			if in.Kind == KindArg {
				f.MetaArgs = append(f.MetaArgs, in)
				meta = meta.with()
				f.declareArgs(meta, in, o, meta)
				in.Scope = meta
			} else {
				// Not valid before FROM, but still modelled (scripts
				// parsed) so that the rest of the file can be linted.
				f.detail(in, meta, byName, nil)
			}
			continue
		}
		in.Stage = st
		st.Instructions = append(st.Instructions, in)
		in.Scope = cur
		cur = f.apply(cur, in, o, meta, byName)
		st.end = cur
		if in.Onbuild != nil {
			in.Onbuild.Stage = st
			in.Onbuild.Scope = in.Scope
			f.detail(in.Onbuild, in.Scope, byName, st)
		}
	}
	return f.markTarget(o)
}

// FinalScope is the scope after the stage's last instruction: what a stage
// built FROM this one starts with (its ENV, WORKDIR, USER and SHELL).
func (s *Stage) FinalScope() *Scope {
	if s.end != nil {
		return s.end
	}
	return &Scope{Vars: map[string]Var{}, Shell: defaultShell, Workdir: "/"}
}

// declareArgs adds an ARG instruction's names to sc (already a copy).
func (f *File) declareArgs(sc *Scope, in *Instruction, o *options, meta *Scope) {
	for _, kv := range in.Vars {
		v := Var{Name: kv.Name, Kind: KindArg, Decl: in}
		if kv.Set {
			v.Value, v.Set = sc.Expand(kv.Value, f.Escape), true
		} else if meta != nil {
			if mv, ok := meta.Vars[kv.Name]; ok && mv.Set {
				v.Value, v.Set = mv.Value, true
			}
		}
		if b, ok := o.buildArgs[kv.Name]; ok {
			v.Value, v.Set = b, true
		}
		if old, ok := sc.Vars[kv.Name]; ok && old.Kind == KindEnv {
			continue // ENV wins over ARG
		}
		sc.Vars[kv.Name] = v
	}
}

// apply returns the scope after in (cur itself when in changes nothing),
// and fills in's kind-specific details.
func (f *File) apply(cur *Scope, in *Instruction, o *options, meta *Scope, byName map[string]*Stage) *Scope {
	f.detail(in, cur, byName, in.Stage)
	switch in.Kind {
	case KindArg:
		n := cur.with()
		f.declareArgs(n, in, o, meta)
		return n
	case KindEnv:
		n := cur.with()
		for _, kv := range in.Vars {
			n.Vars[kv.Name] = Var{Name: kv.Name, Value: n.Expand(kv.Value, f.Escape), Set: true, Kind: KindEnv, Decl: in}
		}
		return n
	case KindWorkdir:
		if len(in.Args) == 0 {
			return cur
		}
		n := cur.with()
		n.Workdir = resolve(cur.Workdir, cur.Expand(in.Args[0], f.Escape))
		n.Workdir = strings.TrimSuffix(n.Workdir, "/")
		if n.Workdir == "" {
			n.Workdir = "/"
		}
		return n
	case KindUser:
		if len(in.Args) == 0 {
			return cur
		}
		n := cur.with()
		n.User = cur.Expand(in.Args[0], f.Escape)
		return n
	case KindShell:
		var sh []string
		if in.JSON {
			sh = append(sh, in.Args...)
		} else if len(in.Args) > 0 && json.Unmarshal([]byte(in.Args[0]), &sh) != nil {
			return cur
		}
		if len(sh) == 0 {
			return cur
		}
		n := cur.with()
		n.Shell = sh
		return n
	}
	return cur
}

// detail fills what depends on the scope: stage references, destination
// paths, mount targets, and the parsed RUN script.
func (f *File) detail(in *Instruction, sc *Scope, byName map[string]*Stage, st *Stage) {
	lookup := func(ref string) *Stage {
		if ref == "" {
			return nil
		}
		if s, ok := byName[strings.ToLower(ref)]; ok && s != st {
			return s
		}
		if i, err := strconv.Atoi(ref); err == nil && i >= 0 && i < len(f.Stages) && f.Stages[i] != st {
			return f.Stages[i]
		}
		return nil
	}
	if c := in.Copy; c != nil {
		c.From = sc.Expand(c.From, f.Escape)
		c.FromStage = lookup(c.From)
		if c.FromStage != nil && st != nil {
			st.addCopiesFrom(c.FromStage)
		}
		if c.Dest != "" {
			c.DestPath = resolve(sc.Workdir, sc.Expand(c.Dest, f.Escape))
		}
	}
	if r := in.Run; r != nil {
		f.mounts(in, sc)
		for i := range r.Mounts {
			m := &r.Mounts[i]
			if m.Type == "" {
				m.Type = "bind"
			}
			if m.Target != "" {
				m.Target = strings.TrimSuffix(resolve(sc.Workdir, sc.Expand(m.Target, f.Escape)), "/")
				if m.Target == "" {
					m.Target = "/"
				}
			}
			if m.From != "" {
				m.From = sc.Expand(m.From, f.Escape)
				m.FromStage = lookup(m.From)
				if m.FromStage != nil && st != nil {
					st.addCopiesFrom(m.FromStage)
				}
			}
		}
		if r.Script != nil {
			r.Script.parse(sc.Shell)
		}
	}
}

func (s *Stage) addCopiesFrom(o *Stage) {
	if !slices.Contains(s.CopiesFrom, o) {
		s.CopiesFrom = append(s.CopiesFrom, o)
	}
}

// stage returns the stage named name (case-insensitively), or else the
// stage whose index name is, as COPY --from finds a stage; nil if none.
func (f *File) stage(name string) *Stage {
	for _, st := range f.Stages {
		if st.Name == strings.ToLower(name) {
			return st
		}
	}
	if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < len(f.Stages) && strconv.Itoa(i) == name {
		return f.Stages[i]
	}
	return nil
}

// markTarget picks the target stage and marks the stages reaching it.
func (f *File) markTarget(o *options) error {
	if len(f.Stages) == 0 {
		if o.target != "" {
			return fmt.Errorf("target stage %q not found: the file has no stage", o.target)
		}
		return nil
	}
	f.Target = f.Stages[len(f.Stages)-1]
	if o.target != "" {
		if f.Target = f.stage(o.target); f.Target == nil {
			var stages []string
			for _, st := range f.Stages {
				s := strconv.Itoa(st.Index)
				if st.Name != "" {
					s += " named " + st.Name
				}
				stages = append(stages, s+" (FROM "+st.Base+")")
			}
			return fmt.Errorf("target stage %q not found: the stages are %s", o.target, strings.Join(stages, ", "))
		}
	}
	work := []*Stage{f.Target}
	for len(work) > 0 {
		st := work[len(work)-1]
		work = work[:len(work)-1]
		if st.Reaches {
			continue
		}
		st.Reaches = true
		if st.BaseStage != nil {
			work = append(work, st.BaseStage)
		}
		work = append(work, st.CopiesFrom...)
	}
	return nil
}

// mounts reads the RUN's --mount flags with BuildKit, expanding variables
// in scope.
func (f *File) mounts(in *Instruction, sc *Scope) {
	if in.runCmd == nil {
		return
	}
	err := in.runCmd.Expand(func(word string) (string, error) { return sc.Expand(word, f.Escape), nil })
	if err != nil {
		if in.Err == nil {
			in.Err = f.instructionError(in, err)
		}
		return
	}
	var raws []string
	for _, fl := range in.Flags {
		if fl.Name == "mount" {
			raws = append(raws, fl.Value)
		}
	}
	for i, mt := range instructions.GetMounts(in.runCmd) {
		m := Mount{
			Type: string(mt.Type), Target: mt.Target, From: mt.From, Source: mt.Source,
			ID: mt.CacheID, Sharing: string(mt.CacheSharing), ReadOnly: mt.ReadOnly,
		}
		if i < len(raws) {
			m.Raw = raws[i]
		}
		in.Run.Mounts = append(in.Run.Mounts, m)
	}
}

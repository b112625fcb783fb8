package shellfacts

import (
	"fmt"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"mvdan.cc/sh/v3/syntax"
)

// Analyze reads the facts of a parsed script. A nil file gives empty facts
// marked Unparsed.
func Analyze(file *syntax.File, opts ...Option) (*Facts, error) {
	o := options{workdir: "/"}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("applying option: %w", err)
		}
	}
	f := &Facts{CacheMounts: o.cacheMounts, Errexit: o.errexit, Pipefail: o.pipefail}
	if file == nil {
		f.Unparsed = true
		return f, nil
	}
	w := newWalker(f, &o)
	w.stmts(file.Stmts, w.top())
	return f, nil
}

// OfRun reads the facts of a RUN instruction: its script (or exec-form
// argv) with the instruction's WORKDIR, variables, SHELL flags and cache
// mounts. Command ranges are mapped to the Dockerfile. It returns nil for
// an instruction that is not a RUN.
func OfRun(in *dockerfile.Instruction) (*Facts, error) {
	if in == nil || in.Run == nil {
		return nil, nil
	}
	env := map[string]string{}
	workdir := "/"
	var shellArgs, shell []string
	if in.Scope != nil {
		shell = in.Scope.Shell
		for k, v := range in.Scope.Vars {
			if v.Set {
				env[k] = v.Value
			}
		}
		workdir = in.Scope.Workdir
		if len(in.Scope.Shell) > 1 {
			shellArgs = in.Scope.Shell[1:]
		}
	}
	opts := []Option{WithEnv(env), WithWorkdir(workdir), WithCacheMounts(in.Run.CacheTargets()...), WithShellFlags(shellArgs...), WithShell(shell...)}
	if in.Run.Exec != nil {
		return ofArgv(in, opts)
	}
	sc := in.Run.Script
	var file *syntax.File
	if sc != nil {
		file = sc.File
		if file == nil && sc.Err == nil && sc.Interpreter == "" {
			// A script the model left unparsed (an instruction outside
			// any stage, such as an ONBUILD RUN before the first FROM):
			// parse it here. Positions are relative to Text, which
			// sc.Range maps to the file.
			if parsed, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(sc.Text), ""); err == nil && !tooDeep(parsed) {
				file = parsed
			}
		}
	}
	f, err := Analyze(file, opts...)
	if err != nil {
		return nil, fmt.Errorf("reading RUN at line %d: %w", in.Range.Start.Line, err)
	}
	for _, c := range f.Commands {
		c.Range = sc.Range(c.Call)
	}
	return f, nil
}

// tooDeep reports whether a script nests deeper than whittle reads
// (dockerfile.MaxShellNesting): reading it would cost time in the square
// of its depth. Such a script is not read (Unparsed, or an opaque
// command for a `sh -c` script).
func tooDeep(f *syntax.File) bool {
	_, deep := dockerfile.TooDeep(f)
	return deep
}

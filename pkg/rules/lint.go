package rules

import (
	"context"
	"fmt"
	"sort"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// Lint runs the rules over a parsed Dockerfile and returns the findings
// sorted by position then rule ID. It applies, in order: rule selection
// (WithRules, WithoutRules), inline ignores ("# whittle ignore=WH201,WH202"
// or "# hadolint ignore=DL3009" on the comment lines right before an
// instruction; "# whittle global ignore=..." anywhere), severity overrides,
// and stage awareness: a finding in a stage whose layers do not reach the
// final image is lowered to Info.
//
// ctx is used only by rules that do I/O (WithRegistryLookups).
func Lint(ctx context.Context, f *dockerfile.File, opts ...Option) ([]Finding, error) {
	if f == nil {
		return nil, fmt.Errorf("linting: no Dockerfile")
	}
	o := &options{skip: map[string]bool{}, severity: map[string]Severity{}, rules: All()}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, fmt.Errorf("linting %s: %w", f.Name, err)
		}
	}
	sh := newShared(f)
	ign := ignores{}
	if !o.noPragmas {
		ign = readIgnores(f)
	}
	var out []Finding
	for _, r := range o.rules {
		m := r.Meta()
		if (o.only != nil && !o.only[m.ID]) || o.skip[m.ID] {
			continue
		}
		p := &Pass{File: f, Filename: f.Name, RegistryLookups: o.registryLookups, BaseImage: o.baseImage, Context: o.context, meta: m, shared: sh}
		var found []Finding
		if cr, ok := r.(ContextRule); ok {
			var err error
			found, err = cr.CheckContext(ctx, p)
			if err != nil {
				return nil, fmt.Errorf("linting %s: rule %s: %w", f.Name, m.ID, err)
			}
		} else {
			found = r.Check(p)
		}
		for _, fd := range found {
			fd.Rule, fd.Doc, fd.File = m.ID, m.Doc, f.Name
			if len(m.Hadolint) > 0 {
				fd.Hadolint = m.Hadolint[0]
			}
			in := sh.instructionAt(fd.Line)
			if ign.ignored(in, m) {
				continue
			}
			sh.holdForIntent(in, m, fd.Repair)
			if s, ok := o.severity[m.ID]; ok {
				fd.Severity = s
			}
			fd.InFinalImage = true
			if in != nil && in.Stage != nil {
				fd.Stage = in.Stage.Label()
				if !sh.ships(in.Stage) {
					fd.InFinalImage = false
					fd.Severity = Info
				}
			}
			out = append(out, fd)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Rule < b.Rule
	})
	return out, nil
}

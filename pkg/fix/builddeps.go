package fix

import (
	"sort"
	"strings"

	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// buildDeps repairs, inside one RUN, build dependencies that are installed
// and removed again (usually after a merge):
//
//   - apt: the removal becomes `apt-get purge -y --auto-remove PKGS`, so
//     that the dependencies that came in with them go too;
//   - apk: `apk add PKGS ... apk del PKGS` becomes
//     `apk add --virtual .build-deps PKGS ... apk del .build-deps`.
func buildDeps(p *pass) []repair {
	var out []repair
	for _, rc := range p.runs {
		fs := rc.facts()
		// Not gated by lint: lint reports the removal in a later RUN
		// (fixed by the merge); this finishes the job inside one RUN.
		if fs == nil {
			continue
		}
		out = append(out, aptPurge(rc, fs)...)
		if r, ok := apkVirtual(rc, fs); ok {
			out = append(out, r)
		}
	}
	return out
}

func aptPurge(rc *runCtx, fs *shellfacts.Facts) []repair {
	var out []repair
	installed := map[string]bool{}
	for _, c := range fs.Pkgs(shellfacts.Apt) {
		op := c.Pkg
		switch op.Verb {
		case shellfacts.Install:
			for _, p := range op.Packages {
				installed[pkgName(p)] = true
			}
		case shellfacts.Remove, shellfacts.Purge:
			if op.AutoRemove || len(op.Packages) == 0 || c.Subshell {
				continue
			}
			all := true
			for _, p := range op.Packages {
				if !installed[pkgName(p)] || !safeWord.MatchString(p) {
					all = false
				}
			}
			if !all || !literalCall(rc, c) {
				continue
			}
			start, end := rc.sc.Offset(c.Call.Pos()), rc.sc.EndOffset(c.Call.End())
			if strings.Contains(string(rc.f.Src[start:end]), "#") {
				continue
			}
			text := "apt-get purge -y --auto-remove " + strings.Join(op.Packages, " ")
			out = append(out, repair{
				rule:  "WH101",
				at:    start,
				msg:   "build dependencies removed with apt-get purge -y --auto-remove",
				edits: []edit.Edit{edit.Replace(start, end, text)},
				insts: []int{rc.in.Index},
			})
		}
	}
	return out
}

// literalCall reports whether every word of the command is literal and it
// has no prefix assignments (which a rewrite would drop).
func literalCall(rc *runCtx, c *shellfacts.Command) bool {
	if len(c.Call.Assigns) > 0 {
		return false
	}
	for _, w := range c.Call.Args {
		if _, ok := wordLit(w); !ok {
			return false
		}
	}
	return true
}

func apkVirtual(rc *runCtx, fs *shellfacts.Facts) (repair, bool) {
	var add, del *shellfacts.Command
	for _, c := range fs.Pkgs(shellfacts.Apk) {
		switch c.Pkg.Verb {
		case shellfacts.Install:
			if add != nil {
				// Several adds: which one holds the build deps is a guess.
				if del == nil {
					return repair{}, false
				}
				continue
			}
			add = c
		case shellfacts.Remove:
			if add == nil || del != nil {
				return repair{}, false
			}
			del = c
		}
	}
	if add == nil || del == nil || add.Pkg.Virtual != "" || add.Subshell || del.Subshell {
		return repair{}, false
	}
	if !sameSet(add.Pkg.Packages, del.Pkg.Packages) || !literalCall(rc, add) || !literalCall(rc, del) {
		return repair{}, false
	}
	// Insert after "add"; replace del's operands.
	var verbEnd int
	for _, w := range add.Call.Args {
		if v, _ := wordLit(w); v == add.Pkg.RawVerb {
			verbEnd = rc.sc.EndOffset(w.End())
			break
		}
	}
	var first, last int
	for i, w := range del.Call.Args {
		v, _ := wordLit(w)
		if i == 0 || strings.HasPrefix(v, "-") || v == del.Pkg.RawVerb {
			continue
		}
		if first == 0 {
			first = rc.sc.Offset(w.Pos())
		}
		last = rc.sc.EndOffset(w.End())
	}
	if verbEnd == 0 || first == 0 || strings.Contains(string(rc.f.Src[first:last]), "#") {
		return repair{}, false
	}
	return repair{
		rule: "WH101",
		at:   verbEnd,
		msg:  "build dependencies grouped with apk add --virtual .build-deps and removed with apk del .build-deps",
		edits: []edit.Edit{
			edit.Insert(verbEnd, " --virtual .build-deps"),
			edit.Replace(first, last, ".build-deps"),
		},
		insts: []int{rc.in.Index},
	}, true
}

func sameSet(a, b []string) bool {
	if len(a) == 0 || len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

package fix

import (
	"path"
	"sort"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// WH601: files a RUN creates under /tmp (or /var/tmp) and leaves there.
// The repair chains `rm -rf PATHS` at the end of the RUN, for the paths the
// script writes literally, when no later instruction of the file mentions
// the temporary directory at all (it could read them).
func tmpFiles(p *pass) []repair {
	var out []repair
	for _, rc := range p.runs {
		if rc.appendAt < 0 || !p.g.known["WH601"] || !p.g.allows("WH601", rc.in) {
			continue
		}
		fs := rc.facts()
		if fs == nil {
			continue
		}
		var paths []string
		for _, c := range fs.Commands {
			for _, q := range tmpWritten(c) {
				tmp := tmpRoot(q)
				if tmp == "" || q == tmp || !strings.Contains(rc.in.Original, q) || !pathText.MatchString(q) ||
					strings.Contains(q, "$") || removedLater(fs, c, q) || p.mentionedLater(rc.in, tmp) {
					continue
				}
				paths = append(paths, q)
			}
		}
		paths = outermost(paths)
		if len(paths) == 0 {
			continue
		}
		out = append(out, repair{
			rule:  "WH601",
			at:    rc.in.Range.Start.Offset,
			msg:   "removed " + strings.Join(paths, " ") + " at the end of the RUN",
			edits: []edit.Edit{rc.appendCmds("rm -rf " + strings.Join(paths, " "))},
			insts: []int{rc.in.Index},
		})
	}
	return out
}

// tmpWritten returns the paths a command writes.
func tmpWritten(c *shellfacts.Command) []string {
	switch {
	case c.Download != nil && c.Download.Output != "":
		return []string{c.Download.Output}
	case c.Extract != nil && !c.Extract.Create && c.Extract.Dest != "":
		return []string{c.Extract.Dest}
	case c.File != nil:
		switch c.File.Op {
		case "cp", "mv", "install":
			return []string{c.File.Dest}
		case "mkdir", "touch":
			return c.File.Paths
		}
	}
	return nil
}

// tmpRoot returns "/tmp" or "/var/tmp" when p lies below it.
func tmpRoot(p string) string {
	p = path.Clean(p)
	for _, t := range []string{"/tmp", "/var/tmp"} {
		if strings.HasPrefix(p, t+"/") || p == t {
			return t
		}
	}
	return ""
}

// mentionedLater reports whether an instruction after in names dir.
func (p *pass) mentionedLater(in *dockerfile.Instruction, dir string) bool {
	for _, x := range p.f.Instructions {
		if x.Index > in.Index && strings.Contains(x.Original, dir) {
			return true
		}
	}
	return false
}

// outermost drops paths below another path of the list, and duplicates.
func outermost(paths []string) []string {
	sort.Strings(paths)
	var out []string
	for _, q := range paths {
		if len(out) > 0 && shellfacts.Under(q, out[len(out)-1]) {
			continue
		}
		out = append(out, q)
	}
	return out
}

// goCache is WH505: `go clean -cache` at the end of a RUN that builds, in
// stages that reach the final image (a build stage's cache does not ship).
func goCache(p *pass) []repair {
	var out []repair
	for _, rc := range p.runs {
		if rc.appendAt < 0 || rc.in.Stage == nil || !descends(p.f.Target, rc.in.Stage) || !p.g.known["WH505"] || !p.g.allows("WH505", rc.in) {
			continue
		}
		if rc.has(func(c call) bool {
			if pk := c.pkgOf(shellfacts.Go); pk == nil || pk.RawVerb != "clean" {
				return false
			}
			for _, a := range c.args {
				if a == "-cache" || a == "--cache" {
					return true
				}
			}
			return false
		}) {
			continue // cleaned already; lint and fix disagree on how
		}
		out = append(out, repair{
			rule:  "WH505",
			at:    rc.in.Range.Start.Offset,
			msg:   "added go clean -cache at the end of the RUN",
			edits: []edit.Edit{rc.appendCmds(rc.sudoFor("go") + "go clean -cache")},
			insts: []int{rc.in.Index},
		})
	}
	return out
}

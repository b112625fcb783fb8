package rules

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// goModCache is WH507: go mod download, go get or go install PKG@VERSION
// fill Go's module cache (GOMODCACHE, by default GOPATH/pkg/mod) with the
// modules' archives (cache/download) and extracted sources, which stay in
// the layer.
type goModCache struct{}

func (goModCache) Meta() Meta {
	return Meta{
		ID:       "WH507",
		Name:     "go-module-cache",
		Summary:  "go mod download, go get and go install PKG@VERSION fill Go's module cache (GOMODCACHE, GOPATH/pkg/mod), which stays in the layer unless the same RUN cleans it or a cache mount holds it.",
		Severity: Warning,
		Doc:      "docs/rules/WH507.md",
		Repair:   Safe,
		Measure:  MeasurePaths,
		Intent:   []string{"module cache", "modcache", "gomodcache"},
	}
}

// goModDefault is root's module cache, GOPATH unset.
const goModDefault = "/root/go/pkg/mod"

// goModDir is where a go command keeps its module cache: GOMODCACHE, else
// GOPATH/pkg/mod (the first GOPATH entry), else /root/go/pkg/mod; from a
// prefix assignment, else the stage's ENV. "" when it cannot be told.
func (p *Pass) goModDir(ri *runInfo, c command) (string, bool) {
	lookup := func(name string) (string, bool) {
		if v, ok := c.Assigns[name]; ok {
			return v, true
		}
		return envLookup(p.File, ri.in, name)
	}
	dir := goModDefault
	if v, ok := lookup("GOPATH"); ok && v != "" {
		dir = path.Join(strings.Split(v, ":")[0], "pkg", "mod")
	}
	_, assigned := c.Assigns["GOMODCACHE"]
	if v, ok := lookup("GOMODCACHE"); ok && v != "" {
		dir = v
	}
	if !path.IsAbs(dir) || strings.Contains(dir, "$") {
		return "", false
	}
	return path.Clean(dir), assigned
}

// downloadsModules reports whether a go command fetches modules into the
// module cache.
func downloadsModules(pk *shellfacts.PkgOp) bool {
	switch pk.RawVerb {
	case "mod download", "get":
		return true
	case "install":
		for _, op := range pk.Packages {
			if strings.Contains(op, "@") {
				return true
			}
		}
	}
	return false
}

func (goModCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		for i, c := range ri.cmds {
			pk := c.pkg(shellfacts.Go)
			if pk == nil || !downloadsModules(pk) {
				continue
			}
			dir, assigned := p.goModDir(ri, c)
			if dir == "" || mountCovers(ri, dir) || goModCleanedAfter(ri.cmds, i, dir) {
				continue
			}
			shown, abs := dir, dir
			if dir == goModDefault {
				shown, abs = p.underHome(ri, dir)
			}
			target := "RUN --mount=type=cache,target=" + shown
			if abs == "" {
				target = "a cache mount on " + shown
			}
			f := p.FindingAt(ri.rangeOf(c),
				"go "+pk.RawVerb+" leaves the downloaded modules in Go's module cache ("+shown+") in this layer",
				"build in a separate stage and copy only the binary, or end the RUN with `go clean -modcache`, or use "+target)
			if abs != "" {
				f.Paths = []string{abs}
			}
			f.Repair = p.goModRepair(ri, dir, shown, assigned)
			out = append(out, f)
			break
		}
	}
	return out
}

// goCommand matches a go command that reads modules (go run, go build,
// ...) in a CMD or ENTRYPOINT, exec or shell form.
var goCommand = regexp.MustCompile(`(^|[\s"'\[,;&|/])go["',]?\s+"?(run|build|test|install|vet|generate|mod|get|list)\b`)

// goStartsLater reports whether a CMD or ENTRYPOINT after the RUN, in its
// stage or a stage built on it, runs go: the container reads the modules
// when it starts, and without them it fetches them then, or fails offline.
func (p *Pass) goStartsLater(ri *runInfo) bool {
	for _, in := range p.File.Instructions {
		if in.Range.Start.Offset <= ri.in.Range.Start.Offset || in.Kind != dockerfile.KindCmd && in.Kind != dockerfile.KindEntrypoint {
			continue
		}
		if !slices.Contains(stageChain(in.Stage), ri.in.Stage) {
			continue
		}
		if goCommand.MatchString(strings.Join(in.Args, " ")) {
			return true
		}
	}
	return false
}

// goModCleanedAfter reports whether the module cache dir is emptied after
// index i: go clean -modcache, or an rm of it or of a directory above it.
func goModCleanedAfter(cmds []command, i int, dir string) bool {
	for _, c := range cmds[i+1:] {
		if pk := c.pkg(shellfacts.Go); pk != nil && pk.Verb == shellfacts.Clean && c.hasArg("-modcache", "--modcache") {
			return true
		}
		if removes(c, dir) {
			return true
		}
	}
	return false
}

// goModRepair chains go clean -modcache after go's last use in the RUN
// (with the RUN's GOMODCACHE when the command was given one), unless a
// later RUN of the stage runs go: it would fetch every module again.
func (p *Pass) goModRepair(ri *runInfo, dir, shown string, assigned bool) *Repair {
	if _, ok := p.cmdIndex("runs go", func(c command) bool { return c.pkg(shellfacts.Go) != nil }).afterRuns(ri); ok {
		return nil
	}
	if p.goStartsLater(ri) {
		return nil
	}
	clean := "go clean -modcache"
	if assigned {
		if !pathText.MatchString(dir) {
			return nil
		}
		clean = "GOMODCACHE=" + dir + " " + clean
	}
	r, _ := p.cleanupRepair(ri, toolGo, func(c command) bool { return c.pkg(shellfacts.Go) != nil }, "run "+clean, clean)
	if r != nil {
		r.Reason = fmt.Sprintf("no later RUN of the stage runs go: nothing needs the modules in %s again", shown)
	}
	return r
}

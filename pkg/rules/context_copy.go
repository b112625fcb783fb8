package rules

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// contextCopy is WH108: COPY (or ADD) of the whole build context when the
// context holds what no image needs (a .git directory, node_modules,
// virtual environments, build outputs) and .dockerignore does not exclude
// it. It needs the build context (WithContext); without it, it is quiet.
type contextCopy struct{}

func (contextCopy) Meta() Meta {
	return Meta{
		ID:       "WH108",
		Name:     "context-copied-unfiltered",
		Summary:  "COPY . copies the whole build context: what .dockerignore does not exclude (a .git directory, node_modules, build outputs) ships.",
		Severity: Warning,
		Doc:      "docs/rules/WH108.md",
		Measure:  MeasurePaths,
	}
}

// contextJunk are names at the context's top that an image rarely needs,
// with what they are.
var contextJunk = []struct{ name, what string }{
	{".git", "the repository's history"},
	{".hg", "the repository's history"},
	{".svn", "the repository's metadata"},
	{"node_modules", "installed dependencies (a RUN should install them for the image's platform)"},
	{".venv", "a virtual environment"},
	{"venv", "a virtual environment"},
	{"__pycache__", "compiled Python files"},
	{".tox", "test environments"},
	{".pytest_cache", "a test cache"},
	{".mypy_cache", "a type checker's cache"},
	{"coverage", "coverage reports"},
	{".next", "a build output"},
	{".gradle", "Gradle's cache"},
}

func (contextCopy) Check(p *Pass) []Finding {
	if p.Context == nil {
		return nil
	}
	ignore, name, err := dockerignore(p.Context, p.Filename)
	if err != nil {
		return []Finding{p.Finding(1, 1, 1, 1, "the build context's "+name+" does not parse: "+err.Error(), "fix the .dockerignore")}
	}
	var out []Finding
	for in := range p.File.All() {
		if in.Kind != dockerfile.KindCopy && in.Kind != dockerfile.KindAdd || in.Copy == nil || in.Copy.From != "" {
			continue
		}
		if in.Stage != nil && !p.Ships(in.Stage) {
			continue
		}
		srcs, _ := copyWords(in)
		if !copiesWholeContext(srcs) {
			continue
		}
		var names, whats, paths []string
		for _, j := range contextJunk {
			fi, err := fs.Stat(p.Context, j.name)
			if err != nil || !fi.IsDir() {
				continue
			}
			if ignore != nil {
				if excluded, err := ignore.MatchesOrParentMatches(j.name); err == nil && excluded {
					continue
				}
			}
			names, whats = append(names, j.name), append(whats, j.name+" ("+j.what+")")
			if dest := copiedTo(in, copyDest(in), j.name); dest != "" {
				paths = append(paths, dest)
			}
		}
		if len(names) == 0 {
			continue
		}
		why := name + " does not exclude them"
		if ignore == nil {
			why = "there is no .dockerignore"
		}
		verb := "go"
		if len(whats) == 1 {
			verb = "goes"
		}
		f := p.FindingAt(in.Range,
			fmt.Sprintf("%s copies the whole build context, and %s: %s %s into the layer", in.Kind, why, layerJoin(whats), verb),
			"exclude them in "+name+" (add "+strings.Join(names, ", ")+"), or copy only what the image needs")
		f.Paths = paths
		out = append(out, f)
	}
	return out
}

// copiesWholeContext reports whether sources name the context's root.
func copiesWholeContext(srcs []string) bool {
	for _, s := range srcs {
		switch path.Clean(strings.TrimPrefix(s, "./")) {
		case ".", "*", "/":
			return true
		}
	}
	return false
}

// copyDest is the destination of a COPY as written.
func copyDest(in *dockerfile.Instruction) string {
	_, dest := copyWords(in)
	if !strings.HasSuffix(dest, "/") {
		dest += "/" // copying a directory's contents: names go below it
	}
	return dest
}

// dockerignore reads the ignore file BuildKit uses for a Dockerfile:
// NAME.dockerignore beside it first, else .dockerignore at the context's
// root. Nil (no error) when there is none.
func dockerignore(fsys fs.FS, dockerfile string) (*patternmatcher.PatternMatcher, string, error) {
	for _, name := range []string{path.Base(dockerfile) + ".dockerignore", ".dockerignore"} {
		if name == "-.dockerignore" || name == "..dockerignore" {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			continue
		}
		patterns, err := ignorefile.ReadAll(bytes.NewReader(b))
		if err != nil {
			return nil, name, err
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			return nil, name, err
		}
		return pm, name, nil
	}
	return nil, ".dockerignore", nil
}

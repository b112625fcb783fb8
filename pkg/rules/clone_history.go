package rules

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// cloneHistory is WH607: a RUN clones a git repository into a directory
// the image keeps, and keeps the clone's .git directory with it.
type cloneHistory struct{}

func (cloneHistory) Meta() Meta {
	return Meta{
		ID:       "WH607",
		Name:     "clone-history-kept",
		Summary:  "A RUN that clones a git repository and keeps the checkout also keeps its .git directory, the repository's objects and history, in the layer unless it removes it.",
		Severity: Warning,
		Doc:      "docs/rules/WH607.md",
		Measure:  MeasurePaths,
	}
}

func (cloneHistory) Check(p *Pass) []Finding {
	var out []Finding
	runs := imageCommands(p.File)
	var later *laterGit
	for _, ri := range p.runs() {
		var trees map[string]int
		for i, c := range ri.cmds {
			if c.Name != "git" || len(c.Args) < 2 || c.Args[0] != "clone" || cloneKeepsNoGitDir(c) {
				continue
			}
			tree := layerCloneDest(c.Command)
			if tree == "" || !path.IsAbs(tree) || tree == "/" || strings.ContainsAny(tree, "$*?[") {
				continue
			}
			gitDir := path.Join(tree, ".git")
			if mountCovers(ri, gitDir) || goneAfter(ri, i, gitDir) {
				continue
			}
			// WH606 reports a tree built and installed from, and its
			// remedy (remove the tree) takes the .git with it.
			if trees == nil {
				trees = sourceTrees(ri)
			}
			if _, ok := trees[tree]; ok {
				built, installed := treeUses(ri, trees)
				if built[tree] && installed[tree] && p.mentionedLater(ri.in, tree) == nil {
					continue
				}
			}
			// A later RUN that runs git in the checkout uses its .git; one
			// that removes it is WH101's finding.
			if later == nil {
				later = newLaterGit(p)
			}
			if later.usedAfter(ri.in.Index, tree) {
				continue
			}
			depth := "every revision of its history"
			if c.hasFlag("depth", "shallow-since", "shallow-exclude") {
				depth = "the objects of the revisions it fetched"
			}
			f := p.FindingAt(ri.rangeOf(c),
				fmt.Sprintf("git clone keeps %s, the repository's .git directory (%s), in the layer with the checkout", gitDir, depth),
				"clone with --depth 1 and remove it at the end of the same RUN (`rm -rf "+gitDir+"`), or fetch the sources with ADD (`ADD https://host/repo.git#TAG "+tree+"`, which keeps no .git) or in a build stage")
			switch l := runs["git"]; {
			case l > 0:
				f.Severity = Info
				f.Message += fmt.Sprintf(" (the image's command runs git, line %d: it may need the repository)", l)
			case selfUpdating.MatchString(path.Base(tree)):
				f.Severity = Info
				f.Message += " (" + path.Base(tree) + " looks like a tool that updates itself, or reads its versions, with git: it may need its repository)"
			}
			f.Paths = []string{gitDir}
			out = append(out, f)
		}
	}
	return out
}

// selfUpdating matches the checkout names of tools that run git on their
// own repository (an update, a tap, a version baseline): Homebrew and
// Linuxbrew, oh-my-zsh, pyenv, rbenv, nodenv, asdf, nvm, emsdk, vcpkg.
var selfUpdating = regexp.MustCompile(`(?i)(^|[-_.])(home|linux)?brew($|[-_.])|^\.?(oh-my-zsh|pyenv|rbenv|nodenv|asdf|nvm|emsdk|vcpkg)$`)

// cloneKeepsNoGitDir reports whether a git clone makes no .git directory
// in its checkout: a bare or mirror clone is a git directory itself, and
// --separate-git-dir puts it elsewhere (a file names it).
func cloneKeepsNoGitDir(c command) bool {
	for _, a := range c.Args[1:] {
		if a == "--bare" || a == "--mirror" || a == "--separate-git-dir" || strings.HasPrefix(a, "--separate-git-dir=") || a == "--no-checkout" || a == "-n" {
			return true
		}
	}
	return false
}

// laterGit indexes, for a file, the last instruction (by index) whose RUN
// runs git at or below each directory (its working directory and its
// absolute operands, with their ancestors) and the last that removes or
// moves each path (globs by their directory), so that whether a RUN after
// another uses or removes a checkout's .git is answered without reading
// every later RUN again for every clone.
type laterGit struct {
	git, gone map[string]int
	globs     map[string][]globGone
}

// globGone is a removal whose operand is a glob.
type globGone struct {
	pattern string
	at      int
}

func newLaterGit(p *Pass) *laterGit {
	x := &laterGit{git: map[string]int{}, gone: map[string]int{}, globs: map[string][]globGone{}}
	up := func(m map[string]int, q string, at int) {
		for q = path.Clean(q); ; q = path.Dir(q) {
			if m[q] < at {
				m[q] = at
			}
			if q == "/" || q == "." {
				return
			}
		}
	}
	for _, r := range p.runs() {
		at := r.in.Index
		for _, c := range r.cmds {
			if c.Name == "git" {
				if path.IsAbs(c.Dir) {
					up(x.git, c.Dir, at)
				}
				for _, a := range c.Args {
					if path.IsAbs(a) {
						up(x.git, a, at)
					}
				}
			}
			if fo := c.File; fo != nil && (fo.Op == "rm" || fo.Op == "mv") {
				for _, q := range fo.Paths {
					switch {
					case strings.ContainsAny(q, "*?["):
						d := path.Dir(q)
						x.globs[d] = append(x.globs[d], globGone{q, at})
					case x.gone[q] < at:
						x.gone[q] = at
					}
				}
			}
		}
	}
	return x
}

// usedAfter reports whether an instruction after index at runs git in the
// checkout tree, or removes or moves tree/.git (or a directory holding it).
func (x *laterGit) usedAfter(at int, tree string) bool {
	if x.git[path.Clean(tree)] > at {
		return true
	}
	for q := path.Join(tree, ".git"); ; q = path.Dir(q) {
		if x.gone[q] > at {
			return true
		}
		for _, g := range x.globs[path.Dir(q)] {
			if ok, _ := path.Match(g.pattern, q); ok && g.at > at {
				return true
			}
		}
		if q == "/" || q == "." {
			return false
		}
	}
}

package rules

import (
	"path"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// This file indexes what the layer technique (WH101) looks back over, so
// that a stage of n layer-creating instructions costs time in n rather
// than n squared: the things earlier steps made, by package name and by
// path, so that a later command looks only at those it may undo; and what
// the steps between two of them did, counted once.

// liveItems is the index of what the steps read so far made and nothing
// has removed since.
type liveItems struct {
	items []layerItem
	dead  []bool
	// pkgs: packages by family and name; groups: packages by family and
	// the apk --virtual group they were installed in.
	pkgs, groups map[[2]string][]int
	// paths: paths, caches and downloads, by path.
	paths *pathNode
}

// pathNode is a node of a tree of absolute paths, one node per name.
type pathNode struct {
	kids  map[string]*pathNode
	items []int
	// sys are the items of a directory copied to a system directory
	// (layerSystemDirs): nothing strictly below it is attributed to
	// them (layerSubpathOK), so a command on a plain path below looks
	// past them, and they cost nothing however many there are.
	sys []int
}

func newLiveItems() *liveItems {
	return &liveItems{pkgs: map[[2]string][]int{}, groups: map[[2]string][]int{}, paths: &pathNode{}}
}

func (n *pathNode) child(name string, create bool) *pathNode {
	c := n.kids[name]
	if c == nil && create {
		if n.kids == nil {
			n.kids = map[string]*pathNode{}
		}
		c = &pathNode{}
		n.kids[name] = c
	}
	return c
}

// add indexes it.
func (l *liveItems) add(it layerItem) {
	k := len(l.items)
	l.items = append(l.items, it)
	l.dead = append(l.dead, false)
	switch it.kind {
	case itemPackage:
		key := [2]string{it.family, it.name}
		l.pkgs[key] = append(l.pkgs[key], k)
		if it.virtual != "" {
			g := [2]string{it.family, it.virtual}
			l.groups[g] = append(l.groups[g], k)
		}
	default:
		if !path.IsAbs(it.name) {
			return // no path matches it (layerPathOverlaps)
		}
		n := l.paths
		name := path.Clean(it.name)
		for _, name := range pathNames(name) {
			n = n.child(name, true)
		}
		if it.dirCopy && layerSystemDirs[name] {
			n.sys = append(n.sys, k)
			return
		}
		n.items = append(n.items, k)
	}
}

// pathNames splits a clean absolute path into its names ("/" has none).
func pathNames(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// alive drops the dead items of a list, in place, and returns it.
func (l *liveItems) alive(list []int) []int {
	out := list[:0]
	for _, k := range list {
		if !l.dead[k] {
			out = append(out, k)
		}
	}
	return out
}

// candidates returns the live items c may undo: every item for which
// layerVerb can answer, and maybe a few more (layerVerb decides).
func (l *liveItems) candidates(c *shellfacts.Command, out []int) []int {
	if p := c.Pkg; p != nil {
		fam := layerFamily(p.Manager)
		if p.Verb == shellfacts.Remove || p.Verb == shellfacts.Purge {
			for _, op := range p.Packages {
				key := [2]string{fam, layerPkgName(p.Manager, op)}
				l.pkgs[key] = l.alive(l.pkgs[key])
				out = append(out, l.pkgs[key]...)
			}
		}
		if p.Verb == shellfacts.Clean {
			for _, dir := range layerCleanDirs {
				// Only what c's own manager cleans (layerVerb).
				if n := l.exact(dir); n != nil && layerCleans(c, dir) {
					n.items = l.alive(n.items)
					out = append(out, n.items...)
					n.sys = l.alive(n.sys)
					out = append(out, n.sys...)
				}
			}
		}
	}
	if f := c.File; f != nil {
		for _, p := range f.Paths {
			if !path.IsAbs(p) {
				continue
			}
			out = l.pathCandidates(p, out)
		}
	}
	return out
}

// layerCleanDirs are the caches a package manager's own clean verb
// empties (see layerCleans).
var layerCleanDirs = []string{
	"/var/cache/apk", "/root/.cache/pip", "/root/.npm", "/usr/local/share/.cache/yarn",
	"/root/.cache/go-build", "/var/cache/dnf", "/var/cache/yum",
}

func (l *liveItems) exact(p string) *pathNode {
	n := l.paths
	for _, name := range pathNames(p) {
		if n = n.child(name, false); n == nil {
			return nil
		}
	}
	return n
}

// pathCandidates adds the items a command on target may touch
// (layerPathOverlaps): those at target or above it, and those below it;
// for a glob, those at or above the directory before its first pattern,
// and every one below that directory.
func (l *liveItems) pathCandidates(target string, out []int) []int {
	base := path.Clean(target)
	glob := strings.ContainsAny(target, "*?[")
	if glob {
		base = layerGlobDir(path.Clean(target))
	}
	// Above a plain target, the items of a system directory are not
	// touched (pathNode.sys); a glob may still remove them (kill).
	names := pathNames(base)
	n := l.paths
	n.items = l.alive(n.items)
	out = append(out, n.items...)
	if glob || len(names) == 0 {
		n.sys = l.alive(n.sys)
		out = append(out, n.sys...)
	}
	for i, name := range names {
		if n = n.child(name, false); n == nil {
			return out
		}
		n.items = l.alive(n.items)
		out = append(out, n.items...)
		if glob || i == len(names)-1 {
			n.sys = l.alive(n.sys)
			out = append(out, n.sys...)
		}
	}
	// Below base.
	var walk func(n *pathNode)
	walk = func(n *pathNode) {
		for name, c := range n.kids {
			c.items = l.alive(c.items)
			c.sys = l.alive(c.sys)
			out = append(out, c.items...)
			out = append(out, c.sys...)
			walk(c)
			if len(c.items) == 0 && len(c.sys) == 0 && len(c.kids) == 0 {
				delete(n.kids, name) // nothing lives there any more
			}
		}
	}
	walk(n)
	return out
}

// kill marks what command c removes, purges, cleans or moves away as gone:
// a later command cannot undo it again. An item only partly removed (a
// file under a copied directory) stays.
func (l *liveItems) kill(c *shellfacts.Command, hit []int, verbs []string) {
	for i, k := range hit {
		it := l.items[k]
		switch it.kind {
		case itemPackage:
			if verbs[i] == "removes" || verbs[i] == "purges" {
				l.dead[k] = true
				for _, m := range l.groups[[2]string{it.family, it.name}] {
					l.dead[m] = true // the members of a removed group
				}
			}
		case itemCache:
			if verbs[i] == "cleans" {
				l.dead[k] = true
			}
		}
	}
	f := c.File
	if f == nil || (f.Op != "rm" && f.Op != "rmdir" && f.Op != "mv") {
		return
	}
	for _, k := range hit {
		it := l.items[k]
		if it.kind != itemPath && it.kind != itemDownload {
			continue
		}
		for _, p := range f.Paths {
			if name := path.Clean(it.name); path.Clean(p) == name || shellfacts.Under(name, p) || layerGlobCovers(p, name) {
				l.dead[k] = true
				break
			}
		}
	}
}

// stepFacts is what layerVerb needs to know of the steps of a history,
// counted once: whether a step ran only quiet commands (layerSubpathOK),
// and which archives later steps extract (layerCopiedArchiveExtracted).
type stepFacts struct {
	// loud[k] counts the steps before k that ran something not quiet.
	loud []int
	// firstLoud[k] is the index of the first command of step k that is
	// not quiet (len(commands) when all are).
	firstLoud []int
	// lastExtract is the last step extracting each archive path.
	lastExtract map[string]int
}

func newStepFacts(steps []layerStep) *stepFacts {
	sf := &stepFacts{loud: make([]int, len(steps)+1), firstLoud: make([]int, len(steps)), lastExtract: map[string]int{}}
	for k, st := range steps {
		sf.loud[k+1] = sf.loud[k]
		if st.facts == nil {
			continue
		}
		cmds := st.facts.Commands
		sf.firstLoud[k] = len(cmds)
		for ci, c := range cmds {
			if !layerQuiet[c.Name] && sf.firstLoud[k] == len(cmds) {
				sf.firstLoud[k] = ci
			}
			if c.Extract != nil && !c.Extract.Create {
				sf.lastExtract[c.Extract.Archive] = k
			}
		}
		if sf.firstLoud[k] < len(cmds) {
			sf.loud[k+1]++
		}
	}
	return sf
}

// quietBetween reports whether every step strictly between a and b ran
// only quiet commands.
func (sf *stepFacts) quietBetween(a, b int) bool {
	if a+1 >= b {
		return true
	}
	return sf.loud[b] == sf.loud[a+1]
}

// extractedAfter reports whether a step after k extracts the archive.
func (sf *stepFacts) extractedAfter(archive string, k int) bool {
	last, ok := sf.lastExtract[archive]
	return ok && last > k
}

// stageSpan returns the instructions of a's stage from a to b, both
// included, as a slice of the stage's own list (found by binary search,
// nothing is copied); nil when they are not in one stage in that order.
func stageSpan(a, b *dockerfile.Instruction) []*dockerfile.Instruction {
	if a == nil || b == nil || a.Stage == nil || a.Stage != b.Stage || a.Index >= b.Index {
		return nil
	}
	ins := a.Stage.Instructions
	i, j := indexOf(ins, a.Index), indexOf(ins, b.Index)
	if i < 0 || j < 0 {
		return nil
	}
	return ins[i : j+1 : j+1]
}

// indexOf finds the instruction of the given index in a list sorted by
// index, or -1.
func indexOf(ins []*dockerfile.Instruction, index int) int {
	lo, hi := 0, len(ins)
	for lo < hi {
		m := (lo + hi) / 2
		if ins[m].Index < index {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(ins) && ins[lo].Index == index {
		return lo
	}
	return -1
}

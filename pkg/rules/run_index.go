package rules

import (
	"path"
	"strings"
	"sync"

	"github.com/whittle/whittle/pkg/shellfacts"
)

// Many rules ask, for one command of a RUN, whether a later command of
// the same RUN removes, moves, extracts or cleans what it made. Asked by
// scanning the rest of the RUN, each question costs time in the length of
// the RUN, and a RUN of n chained commands with something made by each
// costs n squared (2000 lines of five commands: seconds). This file
// answers them from indexes of the RUN built once: the paths later
// commands remove, by path (a question walks the ancestors of its path),
// with the few glob operands in a list; and, for a predicate on commands,
// the last command for which it holds.

// pathsAfter indexes path operands by the position of the last command
// that names each: "does a command after i name target or one of its
// ancestors" (covers) is answered by walking target's ancestors.
type pathsAfter struct {
	last map[string]int
	// globs are the operands with glob characters (they also stand in
	// last, for operands that name a path with those characters
	// literally).
	globs globsAfter
}

type posPath struct {
	pos  int
	path string
}

// globsAfter holds distinct glob patterns with the position of the last
// command that names each: a RUN that repeats `rm -rf /tmp/*` holds it
// once. A question reads every distinct pattern (a RUN of thousands of
// distinct globs costs that many steps per question: docs/limits.md).
type globsAfter struct {
	at   map[string]int
	list []posPath
}

func (g *globsAfter) add(pat string, pos int) {
	if i, ok := g.at[pat]; ok {
		g.list[i].pos = max(g.list[i].pos, pos)
		return
	}
	if g.at == nil {
		g.at = map[string]int{}
	}
	g.at[pat] = len(g.list)
	g.list = append(g.list, posPath{pos, pat})
}

// after reports whether fn holds for a pattern named after position i.
func (g *globsAfter) after(i int, fn func(pat string) bool) bool {
	for _, e := range g.list {
		compared(1)
		if e.pos > i && fn(e.path) {
			return true
		}
	}
	return false
}

// add records operand dir (normalised as covers does) at position pos.
func (x *pathsAfter) add(dir string, pos int) {
	dir = normPath(dir)
	if dir == "" {
		return
	}
	if x.last == nil {
		x.last = map[string]int{}
	}
	if old, ok := x.last[dir]; !ok || pos > old {
		x.last[dir] = pos
	}
	if strings.ContainsAny(dir, "*?[") {
		x.globs.add(dir, pos)
	}
}

// coversAfter reports whether an operand recorded at a position after i
// covers target (covers(operand, target)).
func (x *pathsAfter) coversAfter(i int, target string) bool {
	target = normPath(target)
	if target == "" || len(x.last) == 0 {
		return false
	}
	for t := target; ; t = path.Dir(t) {
		compared(1)
		if pos, ok := x.last[t]; ok && pos > i {
			return true
		}
		if x.globs.after(i, func(pat string) bool { ok, _ := path.Match(pat, t); return ok }) {
			return true
		}
		if t == "/" || t == "." || !strings.Contains(t, "/") {
			return false
		}
	}
}

// runIndex is what the commands of one RUN remove, move and extract, and
// the last command for which each predicate asked about holds.
type runIndex struct {
	// removed: rm operands (resolved against the command's directory)
	// and the directories of find ... -delete (removes); moved: mv
	// sources; varRm is the last rm of an operand that starts with a
	// variable (-1 for none).
	removed, moved pathsAfter
	varRm          int
	// extracted: what the extracting commands read (extracts).
	extracted extractsAfter

	mu   sync.Mutex
	last map[string]int
}

func (ri *runInfo) index() *runIndex {
	ri.indexOnce.Do(func() {
		x := &runIndex{varRm: -1}
		for j, c := range ri.cmds {
			switch c.Name {
			case "rm":
				if c.File != nil {
					for _, op := range c.File.Paths {
						x.removed.add(c.at(op), j)
					}
				}
			case "find":
				if ops := c.Args; len(ops) > 0 && (containsWord(ops, "-delete") || containsWord(ops, "rm")) {
					x.removed.add(ops[0], j)
				}
			}
			if f := c.File; f != nil {
				if f.Op == "mv" {
					for _, src := range f.Paths {
						x.moved.add(c.at(src), j)
					}
				}
				if f.Op == "rm" {
					for _, op := range f.Paths {
						if strings.HasPrefix(op, "$") {
							x.varRm = j
						}
					}
				}
			}
			x.extracted.add(c, j)
		}
		ri.idx = x
	})
	return ri.idx
}

// lastWhere returns the position of the last command of the RUN for which
// fn holds, -1 if none. key names the predicate: one key, one predicate.
func (ri *runInfo) lastWhere(key string, fn func(c command) bool) int {
	x := ri.index()
	x.mu.Lock()
	defer x.mu.Unlock()
	if at, ok := x.last[key]; ok {
		return at
	}
	at := -1
	for j := len(ri.cmds) - 1; j >= 0; j-- {
		compared(1)
		if fn(ri.cmds[j]) {
			at = j
			break
		}
	}
	if x.last == nil {
		x.last = map[string]int{}
	}
	x.last[key] = at
	return at
}

// removedAfter reports whether a command after index i removes target
// (removes).
func removedAfter(ri *runInfo, i int, target string) bool {
	return ri.index().removed.coversAfter(i, target)
}

// goneAfter reports whether a made path is removed or moved away by a
// command after index i; an rm of a variable is taken to remove a
// temporary path (mktemp).
func goneAfter(ri *runInfo, i int, p string) bool {
	x := ri.index()
	if x.removed.coversAfter(i, p) || x.moved.coversAfter(i, p) {
		return true
	}
	return x.varRm > i && strings.Contains(p, "tmp.*")
}

// extractsAfter indexes the operands of the commands that extract (or
// install from) an archive, as extracts reads them, so that whether a
// command after i extracts a made file is answered without reading them
// all (sameFile).
type extractsAfter struct {
	// byPath: operands resolved against their command's directory;
	// byBase: their base names (read one by one for made paths with an
	// expansion in their name); globs: the base names that are globs.
	byPath, byBase map[string]int
	globs          globsAfter
}

// extractOperands are the operands extracts matches against a made file.
func extractOperands(c command) []string {
	if e := c.Extract; e != nil {
		switch e.Tool {
		case "tar", "bsdtar", "unzip", "7z", "7za", "unrar":
			if !e.Create && e.Archive != "" {
				return []string{e.Archive}
			}
		}
		return nil
	}
	var ops []string
	switch c.Name {
	case "dpkg", "rpm", "jar", "bsdcpio":
		if c.Name == "dpkg" && !c.hasFlag("i", "install") {
			return nil
		}
		if c.Name == "rpm" && !c.hasFlag("i", "U", "install", "upgrade") {
			return nil
		}
		ops = append(ops, c.Args...)
	}
	if aptVerb(c) == "install" {
		for _, a := range c.Pkg.Packages {
			if strings.HasSuffix(a, ".deb") {
				ops = append(ops, a)
			}
		}
	}
	return ops
}

func (x *extractsAfter) add(c command, pos int) {
	for _, op := range extractOperands(c) {
		op = unquote(op)
		if op == "" || strings.HasPrefix(op, "-") {
			continue
		}
		if x.byPath == nil {
			x.byPath, x.byBase = map[string]int{}, map[string]int{}
		}
		x.byPath[resolve(c.cwd(), op)] = pos
		ob := baseName(op)
		x.byBase[ob] = pos
		if strings.ContainsAny(ob, "*?[") {
			x.globs.add(ob, pos)
		}
	}
}

// extractedAfter reports whether a command after index i extracts (or
// installs from) the archive at p (extracts).
func (x *extractsAfter) extractedAfter(i int, p string) bool {
	if len(x.byBase) == 0 {
		return false
	}
	compared(1)
	if pos, ok := x.byPath[p]; ok && pos > i {
		return true
	}
	pb := baseName(p)
	if pos, ok := x.byBase[pb]; ok && pos > i {
		return true
	}
	if x.globs.after(i, func(pat string) bool { ok, _ := path.Match(pat, pb); return ok }) {
		return true
	}
	if strings.Contains(pb, "$") {
		pat := expansion.ReplaceAllString(pb, "*")
		for ob, pos := range x.byBase {
			compared(1)
			if ok, _ := path.Match(pat, ob); ok && pos > i {
				return true
			}
		}
	}
	return false
}

// extractedAfter reports whether a command after index i extracts (or
// installs from) the archive at p, a path made by the RUN.
func extractedAfter(ri *runInfo, i int, p string) bool {
	return ri.index().extracted.extractedAfter(i, p)
}

// overlapsAfter indexes absolute paths by position for layerPathOverlaps:
// whether a path recorded after k is made, one of its ancestors or below
// it, or a glob matching made or an ancestor (or whose directory holds
// made), is answered by walking made's names down a tree that knows, at
// each node, the last position recorded there and below it.
type overlapsAfter struct {
	root  overlapNode
	globs globsAfter
	n     int
}

type overlapNode struct {
	kids        map[string]*overlapNode
	here, below int // last positions (-1: none)
}

func newOverlapNode() *overlapNode { return &overlapNode{here: -1, below: -1} }

// add records target at pos (positions are added in increasing order).
func (x *overlapsAfter) add(target string, pos int) {
	if target == "" || !path.IsAbs(target) {
		return
	}
	target = path.Clean(target)
	if x.n == 0 {
		x.root = overlapNode{here: -1, below: -1}
	}
	x.n++
	n := &x.root
	for _, name := range pathNames(target) {
		n.below = pos
		c := n.kids[name]
		if c == nil {
			if n.kids == nil {
				n.kids = map[string]*overlapNode{}
			}
			c = newOverlapNode()
			n.kids[name] = c
		}
		n = c
	}
	n.here = pos
	if strings.ContainsAny(target, "*?[") {
		x.globs.add(target, pos)
	}
}

// overlapsAfter reports whether a target recorded after position k
// overlaps made (layerPathOverlaps(made, target)).
func (x *overlapsAfter) overlapsAfter(k int, made string) bool {
	if x.n == 0 || made == "" || !path.IsAbs(made) {
		return false
	}
	made = path.Clean(made)
	// A target at made or above it (Under(made, target)), or below made
	// (Under(target, made)).
	n := &x.root
	if n.here > k {
		return true // "/"
	}
	found := true
	for _, name := range pathNames(made) {
		compared(1)
		if n = n.kids[name]; n == nil {
			found = false
			break
		}
		if n.here > k {
			return true
		}
	}
	if found && n.below > k {
		return true
	}
	return x.globs.after(k, func(pat string) bool { return layerGlobOverlaps(made, pat) })
}

// layerGlobOverlaps is the glob part of layerPathOverlaps, for a clean
// absolute made path and a clean glob target.
func layerGlobOverlaps(made, target string) bool {
	for m := made; ; m = path.Dir(m) {
		if ok, _ := path.Match(target, m); ok {
			return true
		}
		if m == "/" {
			break
		}
	}
	dir := layerGlobDir(target)
	return dir != "/" && shellfacts.Under(made, dir)
}

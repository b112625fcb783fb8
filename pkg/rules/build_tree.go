package rules

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/shellfacts"
)

// buildTree is WH606: a RUN fetches sources (extracts an archive, clones a
// repository), builds and installs them, and leaves the source tree, with
// every object file the build made, in the layer.
type buildTree struct{}

func (buildTree) Meta() Meta {
	return Meta{
		ID:       "WH606",
		Name:     "build-tree-left",
		Summary:  "A RUN that builds and installs software from a source tree it extracted or cloned keeps the tree, object files included, in the layer unless it removes it.",
		Severity: Warning,
		Doc:      "docs/rules/WH606.md",
		Repair:   Unsafe,
		Measure:  MeasurePaths,
		Intent:   []string{"source", "tree", "build dir"},
	}
}

// buildCommands build in the directory they run in.
var buildCommands = map[string]bool{
	"make": true, "gmake": true, "cmake": true, "ninja": true, "meson": true, "configure": true,
	"autoreconf": true, "bootstrap": true, "scons": true, "bazel": true, "mvn": true, "gradle": true,
}

// installsFromTree reports whether c installs what was built in its
// working directory (make install, ninja install, cmake --install,
// python setup.py install, pip install ., go install, cargo install
// --path), and is not an editable install that keeps using the tree.
func installsFromTree(c command) bool {
	switch c.Name {
	case "make", "gmake", "ninja", "checkinstall":
		return c.Name == "checkinstall" || containsWord(c.Args, "install")
	case "cmake":
		return c.hasFlag("install")
	case "meson":
		return c.verb() == "install"
	}
	if strings.HasPrefix(c.Name, "python") && containsWord(c.Args, "setup.py") && containsWord(c.Args, "install") {
		return true
	}
	if pk := c.pkg(shellfacts.Pip); pk != nil && pk.Verb == shellfacts.Install && !c.hasFlag("e", "editable") {
		for _, op := range pk.Packages {
			if op == "." || strings.HasPrefix(op, "./") || op == c.cwd() {
				return true
			}
		}
	}
	if pk := c.pkg(shellfacts.Go); pk != nil && pk.RawVerb == "install" {
		return true
	}
	if pk := c.pkg(shellfacts.Cargo); pk != nil && pk.RawVerb == "install" && c.hasFlag("path") {
		return true
	}
	return false
}

// builds reports whether c builds in its working directory.
func builds(c command) bool {
	name := path.Base(c.Name)
	if buildCommands[name] || strings.HasSuffix(c.Name, "/configure") || c.Name == "configure" {
		return true
	}
	if pk := c.Pkg; pk != nil && pk.Verb == shellfacts.Build {
		return true
	}
	return strings.HasPrefix(name, "python") && containsWord(c.Args, "setup.py")
}

// sourceTrees returns the directories the commands of a RUN extract or
// clone sources into, with the index of the command that makes each.
func sourceTrees(ri *runInfo) map[string]int {
	out := map[string]int{}
	for i, c := range ri.cmds {
		var dirs []string
		switch {
		case c.Extract != nil && !c.Extract.Create:
			dirs = extractedTree(c.Command)
		case c.Name == "git" && len(c.Args) > 1 && c.Args[0] == "clone":
			if d := layerCloneDest(c.Command); d != "" {
				dirs = []string{d}
			}
		}
		for _, d := range dirs {
			if path.IsAbs(d) && !layerSystemDirs[d] && d != "/" {
				if _, ok := out[d]; !ok {
					out[d] = i
				}
			}
		}
	}
	return out
}

func (buildTree) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		trees := sourceTrees(ri)
		if len(trees) == 0 {
			continue
		}
		built, installed := treeUses(ri, trees)
		for _, tree := range slices.Sorted(maps.Keys(trees)) {
			at := trees[tree]
			if mountCovers(ri, tree) || goneAfter(ri, at, tree) {
				continue
			}
			built, installed := built[tree], installed[tree]
			// Without an install the tree is what the image runs; and a
			// later instruction that names it uses it.
			if !built || !installed || p.mentionedLater(ri.in, tree) != nil {
				continue
			}
			f := p.FindingAt(ri.rangeOf(ri.cmds[at]),
				fmt.Sprintf("this RUN builds and installs from %s and keeps the source tree, object files included, in the layer", tree),
				"remove the tree at the end of the same RUN once installed (`cd / && rm -rf "+tree+"`), or build in a separate stage and copy only what was installed")
			f.Paths = []string{tree}
			f.Repair = p.treeRepair(ri, tree)
			out = append(out, f)
		}
	}
	return out
}

// treeUses reports, for each tree, whether a command after the one that
// makes it builds, and whether one installs, in the tree or below it: each
// command looks up the ancestors of its directory among the trees, rather
// than each tree reading the commands after it.
func treeUses(ri *runInfo, trees map[string]int) (built, installed map[string]bool) {
	built, installed = map[string]bool{}, map[string]bool{}
	byClean := map[string][]string{}
	for tree := range trees {
		c := path.Clean(tree)
		byClean[c] = append(byClean[c], tree)
	}
	for j, c := range ri.cmds {
		if c.Dir == "" {
			continue
		}
		b, inst, known := false, false, false
		for t := path.Clean(c.Dir); ; t = path.Dir(t) {
			for _, tree := range byClean[t] {
				if j <= trees[tree] || !shellfacts.Under(c.Dir, tree) {
					continue
				}
				if !known {
					b, inst, known = builds(c), installsFromTree(c), true
				}
				built[tree] = built[tree] || b
				installed[tree] = installed[tree] || inst
			}
			if t == "/" || t == "." {
				break
			}
		}
	}
	return built, installed
}

// treeRepair removes the tree at the end of the RUN. It is unsafe: what
// was installed may still use files of the tree (a symbolic link into it,
// a path compiled in).
func (p *Pass) treeRepair(ri *runInfo, tree string) *Repair {
	se := ri.shell()
	if se == nil || !pathText.MatchString(tree) || unsafeText.MatchString(tree) {
		return nil
	}
	e, ok := se.appendCmds("cd /", "rm -rf "+tree)
	if !ok {
		return nil
	}
	return newRepair(p.File, Unsafe, "remove the source tree "+tree+" at the end of the RUN",
		"what the RUN installed may still use files of the tree (a symbolic link into it, a path compiled in)", e)
}

// extractedTree is the directory an extraction makes its tree in: the
// -C/-d directory when it is the archive's own (not a directory many
// things share, such as /usr/src or /tmp); else, as tarballs unpack, the
// archive's name without its suffix below it (tar -xzf redis-7.2.tar.gz
// -C /usr/src makes /usr/src/redis-7.2).
func extractedTree(c *shellfacts.Command) []string {
	e := c.Extract
	dest := e.Dest
	if dest == "" {
		dest = c.Dir
	}
	if dest == "" || !path.IsAbs(dest) {
		return nil
	}
	if e.Dest != "" && e.Dest != c.Dir && !layerSystemDirs[e.Dest] {
		return []string{e.Dest}
	}
	stem := layerStem(path.Base(e.Archive))
	if stem == "" || e.Archive == "" || slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--strip") }) {
		return nil
	}
	switch e.Tool {
	case "tar", "bsdtar", "unzip", "7z":
		return []string{path.Join(dest, stem)}
	}
	return nil
}

package rules

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// layerTechnique is WH101: something one RUN, COPY or ADD made is removed,
// purged, moved or re-moded by a later RUN of the same stage (or of a stage
// built on it). The later layer only hides it; the earlier layer still
// ships every byte.
type layerTechnique struct{}

func (layerTechnique) Meta() Meta {
	return Meta{
		ID:       "WH101",
		Name:     "removed-in-later-layer",
		Summary:  "A file, package or cache made by one instruction is removed, moved or re-moded by a later RUN, so its bytes still ship in the earlier layer.",
		Severity: Warning,
		Doc:      "docs/rules/WH101.md",
		Repair:   Safe,
		Measure:  MeasureHidden,
		Intent:   []string{"layer", "separate", "split"},
	}
}

// layerItemKind says what an earlier step made.
type layerItemKind int

const (
	itemPackage  layerItemKind = iota // an installed package (or apk virtual group)
	itemCache                         // a package-manager or build cache directory
	itemPath                          // a file or directory written by RUN, COPY or ADD
	itemDownload                      // a file fetched by curl/wget or ADD <url> (WH103 owns extract/delete)
)

// layerItem is one thing an earlier step made.
type layerItem struct {
	step    int
	kind    layerItemKind
	family  string // package family or cache manager
	name    string // package name or absolute path
	dirCopy bool   // a COPY of a directory: its subpaths may be made later
	isDir   bool   // certainly a directory (extracted into, cloned)
	virtual string // apk: the --virtual group the package belongs to
}

// layerCaches maps a package operation to the cache directories it fills
// when nothing cleans them.
func layerCaches(c *shellfacts.Command) []string {
	p := c.Pkg
	if p == nil {
		return nil
	}
	if p.CacheDir != "" && path.IsAbs(p.CacheDir) && (p.Verb == shellfacts.Install || p.Verb == shellfacts.Build) && !p.NoCache {
		switch p.Manager {
		case shellfacts.Pip, shellfacts.Npm, shellfacts.Yarn, shellfacts.Go:
			return []string{p.CacheDir}
		}
	}
	switch p.Manager {
	case shellfacts.Apt:
		if p.Verb == shellfacts.Update {
			return []string{"/var/lib/apt/lists"}
		}
	case shellfacts.Apk:
		if (p.Verb == shellfacts.Install || p.Verb == shellfacts.Update || p.Verb == shellfacts.Upgrade) && !p.NoCache {
			return []string{"/var/cache/apk"}
		}
	case shellfacts.Pip:
		if p.Verb == shellfacts.Install && !p.NoCache {
			return []string{"/root/.cache/pip"}
		}
	case shellfacts.Npm:
		if p.Verb == shellfacts.Install {
			return []string{"/root/.npm"}
		}
	case shellfacts.Yarn:
		if p.Verb == shellfacts.Install {
			return []string{"/usr/local/share/.cache/yarn"}
		}
	case shellfacts.Go:
		if p.Verb == shellfacts.Build || p.Verb == shellfacts.Install {
			return []string{"/root/.cache/go-build"}
		}
	case shellfacts.Dnf, shellfacts.Microdnf:
		if p.Verb == shellfacts.Install || p.Verb == shellfacts.Upgrade {
			return []string{"/var/cache/dnf"}
		}
	case shellfacts.Yum:
		if p.Verb == shellfacts.Install || p.Verb == shellfacts.Upgrade {
			return []string{"/var/cache/yum"}
		}
	}
	return nil
}

// layerCleans reports whether c empties the cache dir (by rm or the
// manager's own clean verb).
func layerCleans(c *shellfacts.Command, dir string) bool {
	compared(1)
	if c.File != nil && (c.File.Op == "rm" || c.File.Op == "rmdir") {
		for _, p := range c.File.Paths {
			if layerPathOverlaps(dir, p) {
				return true
			}
		}
	}
	p := c.Pkg
	if p == nil || p.Verb != shellfacts.Clean {
		return false
	}
	switch dir {
	case "/var/cache/apk":
		return p.Manager == shellfacts.Apk
	case "/root/.cache/pip":
		return p.Manager == shellfacts.Pip
	case "/root/.npm":
		return p.Manager == shellfacts.Npm
	case "/usr/local/share/.cache/yarn":
		return p.Manager == shellfacts.Yarn
	case "/root/.cache/go-build":
		return p.Manager == shellfacts.Go && p.All
	case "/var/cache/dnf", "/var/cache/yum":
		return layerFamily(p.Manager) == "rpm" && p.All
	}
	return false
}

// layerRemovesPkg reports whether c removes the package or group name of
// the family.
func layerRemovesPkg(c *shellfacts.Command, family, name string) bool {
	compared(1)
	p := c.Pkg
	if p == nil || (p.Verb != shellfacts.Remove && p.Verb != shellfacts.Purge) || layerFamily(p.Manager) != family {
		return false
	}
	for _, op := range p.Packages {
		if layerPkgName(p.Manager, op) == name {
			return true
		}
	}
	return false
}

// layerMade lists what step i made and kept (not undone later in the same
// RUN).
func layerMade(steps []layerStep, i int) []layerItem {
	st := steps[i]
	var items []layerItem
	if st.facts == nil {
		paths, dirs := layerCopyTargets(st.in)
		remote := st.in.Kind == dockerfile.KindAdd && len(st.in.Copy.Sources) > 0 && strings.Contains(st.in.Copy.Sources[0], "://")
		for k, p := range paths {
			it := layerItem{step: i, kind: itemPath, name: p, dirCopy: dirs[k]}
			if remote {
				it.kind, it.dirCopy = itemDownload, false
			}
			items = append(items, it)
		}
		return items
	}
	cmds := st.facts.Commands
	ux := newMadeUndos(cmds)
	for k, c := range cmds {
		if p := c.Pkg; p != nil && p.Verb == shellfacts.Install {
			fam := layerFamily(p.Manager)
			switch p.Manager {
			case shellfacts.Apt, shellfacts.Apk, shellfacts.Dnf, shellfacts.Yum, shellfacts.Microdnf, shellfacts.Zypper, shellfacts.Pip, shellfacts.Gem:
				if p.Virtual != "" && !ux.pkgRemoved(k, fam, p.Virtual) {
					items = append(items, layerItem{step: i, kind: itemPackage, family: fam, name: p.Virtual})
				}
				for _, op := range p.Packages {
					if strings.HasPrefix(op, "-") || strings.ContainsAny(op, "/$") {
						continue
					}
					name := layerPkgName(p.Manager, op)
					if name == "" || ux.pkgRemoved(k, fam, name) || (p.Virtual != "" && ux.pkgRemoved(k, fam, p.Virtual)) {
						continue
					}
					items = append(items, layerItem{step: i, kind: itemPackage, family: fam, name: name, virtual: p.Virtual})
				}
			}
		}
		for _, dir := range layerCaches(c) {
			if _, ok := st.facts.CacheCovers(dir); ok {
				continue
			}
			if ux.cleaned(k, dir) {
				continue
			}
			items = append(items, layerItem{step: i, kind: itemCache, family: string(c.Pkg.Manager), name: dir})
		}
		var made []string
		kind := itemPath
		dirLike, isDir := true, false
		switch {
		case c.Download != nil && c.Download.Output != "":
			made, kind, dirLike = []string{c.Download.Output}, itemDownload, false
		case c.Extract != nil && !c.Extract.Create:
			made, isDir = layerExtracted(c), true
		case c.File != nil && (c.File.Op == "cp" || c.File.Op == "mv" || c.File.Op == "install") && c.File.Dest != "" && !layerSystemDirs[c.File.Dest]:
			made = []string{c.File.Dest}
		case c.Name == "git" && len(c.Args) > 1 && c.Args[0] == "clone":
			if dst := layerCloneDest(c); dst != "" {
				made, isDir = []string{dst}, true
			}
		}
		for _, p := range made {
			if !path.IsAbs(p) {
				continue
			}
			if ux.rmMv.overlapsAfter(k, p) {
				continue
			}
			items = append(items, layerItem{step: i, kind: kind, name: p, dirCopy: dirLike && kind == itemPath, isDir: isDir && kind == itemPath})
		}
	}
	// One item per thing made, however many commands made it.
	seen := map[layerItem]bool{}
	out := items[:0]
	for _, it := range items {
		if !seen[it] {
			seen[it] = true
			out = append(out, it)
		}
	}
	return out
}

// madeUndos indexes what the commands of one RUN remove, purge, clean and
// move, so that whether a later command of the RUN undoes what one made
// costs no reading of the commands after it.
type madeUndos struct {
	// pkgs: the last command removing or purging each package (by
	// family and name, layerRemovesPkg); cleanVerb: the last command
	// whose manager's clean verb empties each cache (layerCleans).
	pkgs      map[[2]string]int
	cleanVerb map[string]int
	// cleanRm: the operands of rm and rmdir; rmMv: those of rm and mv.
	cleanRm, rmMv overlapsAfter
}

func newMadeUndos(cmds []*shellfacts.Command) *madeUndos {
	ux := &madeUndos{pkgs: map[[2]string]int{}, cleanVerb: map[string]int{}}
	for j, d := range cmds {
		if p := d.Pkg; p != nil {
			if p.Verb == shellfacts.Remove || p.Verb == shellfacts.Purge {
				fam := layerFamily(p.Manager)
				for _, op := range p.Packages {
					ux.pkgs[[2]string{fam, layerPkgName(p.Manager, op)}] = j
				}
			}
			if p.Verb == shellfacts.Clean {
				for _, dir := range layerCleanDirs {
					if layerCleans(d, dir) {
						ux.cleanVerb[dir] = j
					}
				}
			}
		}
		if f := d.File; f != nil {
			for _, q := range f.Paths {
				if f.Op == "rm" || f.Op == "rmdir" {
					ux.cleanRm.add(q, j)
				}
				if f.Op == "rm" || f.Op == "mv" {
					ux.rmMv.add(q, j)
				}
			}
		}
	}
	return ux
}

// pkgRemoved reports whether a command after k removes the package (or
// group) name of the family.
func (ux *madeUndos) pkgRemoved(k int, family, name string) bool {
	at, ok := ux.pkgs[[2]string{family, name}]
	return ok && at > k
}

// cleaned reports whether a command after k empties the cache dir.
func (ux *madeUndos) cleaned(k int, dir string) bool {
	if at, ok := ux.cleanVerb[dir]; ok && at > k {
		return true
	}
	return ux.cleanRm.overlapsAfter(k, dir)
}

// layerCloneDest is the directory "git clone URL [DIR]" writes.
func layerCloneDest(c *shellfacts.Command) string {
	var ops []string
	for i := 1; i < len(c.Args); i++ {
		a := c.Args[i]
		if strings.HasPrefix(a, "-") {
			if a == "-b" || a == "--branch" || a == "--depth" || a == "-o" || a == "--origin" || a == "-c" || a == "--config" {
				i++
			}
			continue
		}
		ops = append(ops, a)
	}
	if len(ops) == 0 || c.Dir == "" {
		return ""
	}
	dst := ""
	if len(ops) > 1 {
		dst = ops[1]
	} else {
		dst = strings.TrimSuffix(path.Base(strings.TrimSuffix(ops[0], "/")), ".git")
	}
	if !path.IsAbs(dst) {
		dst = path.Join(c.Dir, dst)
	}
	if layerSystemDirs[dst] {
		return ""
	}
	return dst
}

// layerVerb says how c undoes item it, or "" if it does not. WH101 leaves
// COPY followed by chmod/chown to WH102, and deleting or extracting a
// download to WH103.
func layerVerb(steps []layerStep, sf *stepFacts, j, ci int, it layerItem) (string, string) {
	c := steps[j].facts.Commands[ci]
	switch it.kind {
	case itemPackage:
		if layerRemovesPkg(c, it.family, it.name) {
			if c.Pkg.Verb == shellfacts.Purge {
				return "purges", ""
			}
			return "removes", ""
		}
	case itemCache:
		if layerCleans(c, it.name) {
			return "cleans", ""
		}
	case itemPath, itemDownload:
		f := c.File
		if f == nil {
			return "", ""
		}
		fromCopy := steps[it.step].facts == nil
		var verb string
		switch f.Op {
		case "rm", "rmdir":
			if it.kind == itemDownload || (fromCopy && layerCopiedArchiveExtracted(steps, sf, it)) {
				return "", ""
			}
			verb = "removes"
		case "mv":
			verb = "moves"
		case "chmod":
			if fromCopy {
				return "", ""
			}
			verb = "changes the mode of"
		case "chown", "chgrp":
			if fromCopy {
				return "", ""
			}
			verb = "changes the owner of"
		default:
			return "", ""
		}
		for _, p := range f.Paths {
			if !layerPathOverlaps(it.name, p) {
				continue
			}
			// A non-recursive chmod or chown of a directory rewrites only
			// its own entry: of one above what was made, or of a made
			// directory, nothing of the files.
			if (f.Op == "chmod" || f.Op == "chown" || f.Op == "chgrp") && !f.Recursive &&
				!strings.ContainsAny(p, "*?[") && (path.Clean(p) != it.name && shellfacts.Under(it.name, p) || path.Clean(p) == it.name && it.isDir) {
				continue
			}
			if !layerSubpathOK(it, p, sf, j, ci) {
				return "", ""
			}
			return verb, p
		}
	}
	return "", ""
}

// layerGlobCovers reports whether glob matches name or one of its
// ancestors.
func layerGlobCovers(glob, name string) bool {
	if !strings.ContainsAny(glob, "*?[") || !path.IsAbs(name) {
		return false
	}
	for m := path.Clean(name); ; m = path.Dir(m) {
		if ok, _ := path.Match(glob, m); ok {
			return true
		}
		if m == "/" {
			return false
		}
	}
}

// LayerUndo is one WH101 finding as data, for repairs and for measuring
// its cost: an instruction made something and a command of a later RUN
// removes, purges, cleans, moves or re-modes it.
type LayerUndo struct {
	// Made is the RUN, COPY or ADD that made it; Undo the later RUN, and
	// Command the command in it.
	Made    *dockerfile.Instruction
	Undo    *dockerfile.Instruction
	Command *shellfacts.Command
	// Verb is "removes", "purges", "cleans", "moves", "changes the mode
	// of" or "changes the owner of".
	Verb string
	// Packages are the packages (or apk --virtual groups) removed, by
	// family ("apt", "apk", "rpm", "zypper", "pip", "gem"); Caches the
	// cache directories cleaned; Paths the files or directories touched.
	Packages map[string][]string
	Caches   []string
	Paths    []string
}

// LayerUndos lists what WH101 finds in f: for every stage, each later RUN
// command that undoes something an earlier instruction of the stage (or
// of a stage it is built FROM) made. ONBUILD triggers are not included.
// What a command removes, purges, cleans or moves away is gone: a later
// command does not undo it again.
//
// What the earlier steps made is indexed (layer_index.go), so that a
// command looks only at what it may undo: a stage of n steps costs time
// in n, not n squared.
func LayerUndos(f *dockerfile.File) []LayerUndo {
	if f == nil {
		return nil
	}
	return layerUndos(&Pass{File: f, shared: newShared(f)})
}

func layerUndos(p *Pass) []LayerUndo {
	var out []LayerUndo
	for _, s := range p.File.Stages {
		steps, own := layerHistory(p, s)
		sf := newStepFacts(steps)
		live := newLiveItems()
		var cand []int
		var verbs []string
		seen := map[int]bool{}
		for j := range steps {
			// The steps of the stages s is built FROM are read too, for
			// what they remove: it is gone in s as well. Only s's own
			// are reported.
			if steps[j].facts != nil {
				for ci, c := range steps[j].facts.Commands {
					cand = live.candidates(c, cand[:0])
					clear(seen)
					hit := cand[:0]
					for _, k := range cand {
						if !seen[k] {
							seen[k] = true
							hit = append(hit, k)
						}
					}
					slices.Sort(hit) // in the order things were made
					// group what c undoes by the step that made it
					hits := map[int]*LayerUndo{}
					verbs = verbs[:0]
					for _, k := range hit {
						it := live.items[k]
						v, hitPath := layerVerb(steps, sf, j, ci, it)
						verbs = append(verbs, v)
						if v == "" {
							continue
						}
						if it.kind == itemPackage && it.virtual != "" && layerRemovesPkg(c, it.family, it.virtual) {
							continue // reported as the group
						}
						u := hits[it.step]
						if u == nil {
							u = &LayerUndo{Made: steps[it.step].in, Undo: steps[j].in, Command: c, Verb: v, Packages: map[string][]string{}}
							hits[it.step] = u
						}
						switch it.kind {
						case itemPackage:
							if !slices.Contains(u.Packages[it.family], it.name) {
								u.Packages[it.family] = append(u.Packages[it.family], it.name)
							}
						case itemCache:
							if !slices.Contains(u.Caches, it.name) {
								u.Caches = append(u.Caches, it.name)
							}
						default:
							label := it.name
							if hitPath != "" && path.Clean(hitPath) != it.name && shellfacts.Under(hitPath, it.name) {
								label = path.Clean(hitPath)
							}
							if !slices.Contains(u.Paths, label) {
								u.Paths = append(u.Paths, label)
							}
						}
					}
					live.kill(c, hit, verbs)
					if j < own {
						continue
					}
					var made []int
					for k := range hits {
						made = append(made, k)
					}
					sort.Ints(made)
					for _, k := range made {
						out = append(out, *hits[k])
					}
				}
			}
			for _, it := range layerMade(steps, j) {
				live.add(it)
			}
		}
	}
	return out
}

// what lists what an undo touches, for messages.
func (u LayerUndo) what() []string {
	var names []string
	fams := make([]string, 0, len(u.Packages))
	for fam := range u.Packages {
		fams = append(fams, fam)
	}
	sort.Strings(fams)
	for _, fam := range fams {
		for _, n := range u.Packages[fam] {
			names = append(names, fmt.Sprintf("package %s (%s)", n, fam))
		}
	}
	for _, c := range u.Caches {
		names = append(names, "the cache "+c)
	}
	names = append(names, u.Paths...)
	return names
}

func (layerTechnique) Check(p *Pass) []Finding {
	var out []Finding
	for _, u := range layerUndos(p) {
		first, later := u.Made, u.Undo
		msg := fmt.Sprintf("%s at %s %s %s, which the %s at %s made: the bytes still ship in the layer of %s",
			later.Kind, layerLine(later), u.Verb, layerJoin(u.what()), first.Kind, layerLine(first), layerLine(first))
		kinds := map[layerItemKind]bool{itemPackage: len(u.Packages) > 0, itemCache: len(u.Caches) > 0, itemPath: len(u.Paths) > 0}
		fams := map[string]bool{}
		for fam := range u.Packages {
			fams[fam] = true
		}
		f := p.FindingAt(layerRange(u.Command, later), msg, layerFixText(first, later, kinds, fams))
		f.RelatedLine = first.Range.Start.Line
		if first.Kind == dockerfile.KindRun {
			if span := stageSpan(first, later); span != nil {
				f.Repair, _ = p.mergeRepair(span, "merge the RUNs at "+lineRange(span)+" into one, so that what line "+fmt.Sprint(later.Range.Start.Line)+" removes is never committed")
			}
		}
		out = append(out, f)
	}
	return out
}

func layerJoin(names []string) string {
	if len(names) > 4 {
		return strings.Join(names[:4], ", ") + fmt.Sprintf(" and %d more", len(names)-4)
	}
	return strings.Join(names, ", ")
}

func layerFixText(first, later *dockerfile.Instruction, kinds map[layerItemKind]bool, families map[string]bool) string {
	a, b := layerLine(first), layerLine(later)
	switch {
	case kinds[itemPackage] && families["apk"]:
		return fmt.Sprintf("install, use and remove the packages in one RUN (%s to %s chained with &&), grouped: `apk add --no-cache --virtual .build-deps ... && ... && apk del .build-deps`", a, b)
	case kinds[itemPackage] && families["apt"]:
		return fmt.Sprintf("install, use and remove the packages in one RUN (%s to %s chained with &&), ending with `apt-get purge -y --auto-remove ...`", a, b)
	case kinds[itemPackage]:
		return fmt.Sprintf("install, use and remove the packages in one RUN (%s to %s chained with &&)", a, b)
	case kinds[itemCache]:
		return fmt.Sprintf("clean the cache in the RUN that fills it (%s), or mount a cache there (RUN --mount=type=cache)", a)
	case first.Kind == dockerfile.KindCopy || first.Kind == dockerfile.KindAdd:
		return fmt.Sprintf("do not copy what %s removes: exclude it in .dockerignore, copy only what is needed, or build it in another stage", b)
	}
	return fmt.Sprintf("do it in the RUN that makes the files (merge %s into %s with &&)", b, a)
}

// layerSubpathOK decides whether an operation on p, a path strictly below
// a directory that an earlier step wrote (a copied or extracted tree),
// undoes that step's files. A system directory such as / or /usr/bin is
// written by many steps, so nothing below it is attributed to one; and if
// a RUN between the two steps, or the later RUN before the operation, ran
// anything but quiet commands, it may have made p itself (npm install
// after COPY . . makes node_modules).
func layerSubpathOK(it layerItem, p string, sf *stepFacts, j, ci int) bool {
	if !it.dirCopy || path.Clean(p) == it.name || shellfacts.Under(it.name, p) {
		return true
	}
	if layerSystemDirs[it.name] {
		return false
	}
	return sf.quietBetween(it.step, j) && sf.firstLoud[j] >= ci
}

// layerStem strips an archive suffix from a file name ("" if it has none).
func layerStem(name string) string {
	for _, ext := range archiveExts {
		if strings.HasSuffix(name, ext) && len(name) > len(ext) {
			return strings.TrimSuffix(name, ext)
		}
	}
	return ""
}

// layerExtracted is what an extraction writes: the -C/-d directory when it
// is specific to this archive; else, extracting in place, the directory a
// tarball conventionally unpacks to (its name without the suffix), or the
// decompressed file for gunzip and friends.
func layerExtracted(c *shellfacts.Command) []string {
	e := c.Extract
	var out []string
	explicit := e.Dest != "" && e.Dest != c.Dir
	if explicit && !layerSystemDirs[e.Dest] {
		out = append(out, e.Dest)
	}
	if e.Archive == "" || !path.IsAbs(e.Archive) {
		return out
	}
	stem := layerStem(path.Base(e.Archive))
	if stem == "" {
		return out
	}
	switch e.Tool {
	case "tar", "bsdtar", "unzip", "7z":
		if explicit || slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--strip") }) {
			return out
		}
		if e.Dest != "" && path.IsAbs(e.Dest) {
			out = append(out, path.Join(e.Dest, stem))
		}
	default:
		out = append(out, path.Join(path.Dir(e.Archive), stem))
	}
	return out
}

// layerCopiedArchiveExtracted reports whether a local archive that a COPY
// wrote is extracted by a later RUN: WH105 reports that case (at the COPY,
// with ADD as the repair), so WH101 does not report its removal again.
func layerCopiedArchiveExtracted(steps []layerStep, sf *stepFacts, it layerItem) bool {
	cp := steps[it.step].in
	if cp.Kind != dockerfile.KindCopy || cp.Copy == nil || cp.Copy.From != "" || layerStem(path.Base(it.name)) == "" {
		return false
	}
	return sf.extractedAfter(it.name, it.step)
}

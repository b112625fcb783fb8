package packages

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/account"
)

// claims maps each listed path to the packages that list it (indices
// into the sorted packages): the first in one map, the rarer others in a
// second.
type claims struct {
	first map[string]int32
	more  map[string][]int32
}

func newClaims(pkgs []*pkg) *claims {
	n := 0
	for _, p := range pkgs {
		n += len(p.files)
	}
	c := &claims{first: make(map[string]int32, n), more: map[string][]int32{}}
	for i, p := range pkgs {
		for _, f := range p.files {
			c.add(f, int32(i))
		}
	}
	return c
}

func (c *claims) add(p string, i int32) {
	f, ok := c.first[p]
	switch {
	case !ok:
		c.first[p] = i
	case f != i && !slices.Contains(c.more[p], i):
		c.more[p] = append(c.more[p], i)
	}
}

// of returns the packages that list p.
func (c *claims) of(p string) []int32 {
	f, ok := c.first[p]
	if !ok {
		return nil
	}
	return append([]int32{f}, c.more[p]...)
}

// divert applies dpkg's diversions: the file that a package other than
// the diverting one lists at From is on disk at To, so its claim moves
// there; the diverting package keeps its claim on From (for a local
// diversion, By ":", every claim moves).
func (c *claims) divert(divs []Diversion, pkgs []*pkg) {
	for _, d := range divs {
		var keep, move []int32
		for _, i := range c.of(d.From) {
			if pkgs[i].Manager == Dpkg && pkgs[i].Name == d.By {
				keep = append(keep, i)
			} else {
				move = append(move, i)
			}
		}
		if len(move) == 0 {
			continue
		}
		delete(c.first, d.From)
		delete(c.more, d.From)
		for _, i := range keep {
			c.add(d.From, i)
		}
		for _, i := range move {
			c.add(d.To, i)
		}
	}
}

// usrMerged are the top directories that a merged /usr makes symlinks
// into /usr (bin -> usr/bin, lib -> usr/lib, ...). Packages built before
// the merge (Debian 12's, Ubuntu 22.04's) list their files there, and
// dpkg writes them through the symlink, so the file is visible under usr/.
var usrMerged = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32", "libo32"}

// mergeUsr moves the claims on paths under a directory of usrMerged to the
// same path under usr/ when the image has merged /usr there: no visible
// regular file under the directory (a symlink, whose target the layers do
// not tell the account) and some under its usr/ twin. A claim that moves
// onto a path another package lists makes a shared file.
func (c *claims) mergeUsr(vf []account.VisibleFile) {
	under := map[string]bool{} // top directories (and usr/ twins) holding a visible file
	for i := range vf {
		first, rest, ok := strings.Cut(vf[i].Path, "/")
		if !ok {
			continue
		}
		under[first] = true
		if first == "usr" {
			if second, _, ok := strings.Cut(rest, "/"); ok {
				under["usr/"+second] = true
			}
		}
	}
	merged := map[string]bool{}
	for _, d := range usrMerged {
		merged[d] = !under[d] && under["usr/"+d]
	}
	type move struct {
		from string
		who  []int32
	}
	var moves []move
	for p := range c.first {
		if d, _, ok := strings.Cut(p, "/"); ok && merged[d] {
			moves = append(moves, move{p, c.of(p)})
		}
	}
	slices.SortFunc(moves, func(a, b move) int { return strings.Compare(a.from, b.from) })
	for _, m := range moves {
		delete(c.first, m.from)
		delete(c.more, m.from)
		for _, i := range m.who {
			c.add("usr/"+m.from, i)
		}
	}
}

// dirAcc sums one Unowned group.
type dirAcc struct {
	d      DirBytes
	layers map[int]int64
}

// attribution walks the visible files once.
type attribution struct {
	rep     *account.Report
	pkgs    []*pkg
	claims  *claims
	res     *Result
	unowned map[string]*dirAcc
	// per package: bytes and files by layer
	byLayer, filesByLayer [][]int64
}

// files gives each visible file to one owner. A file (hard links to one
// another are one file) is known by its first name in path order that a
// package lists, or, when no package lists any, by its first name.
func (a *attribution) assign() {
	vf := a.rep.VisibleFiles
	n := 0
	for i := range vf {
		n = max(n, vf[i].File+1)
	}
	type choice struct{ name, owner int32 } // index into vf; first claimant or -1
	ch := make([]choice, n)
	for i := range ch {
		ch[i] = choice{-1, -1}
	}
	for k := range vf {
		f := &vf[k]
		if db, ok := rpmDatabase(f.Path); ok {
			a.res.Databases = append(a.res.Databases, Database{
				Manager: Rpm, Path: "/" + f.Path, Layer: f.Layer, Status: StatusNotSupported,
				Reason: fmt.Sprintf("rpm's %s database is not read: no Go reader of it fit to run on untrusted images is available (see docs/packages.md)", db),
			})
		}
		o := int32(-1)
		if v, ok := a.claims.first[f.Path]; ok {
			o = v
		}
		c := &ch[f.File]
		if c.name < 0 || o >= 0 && c.owner < 0 || (o >= 0) == (c.owner >= 0) && f.Path < vf[c.name].Path {
			c.name, c.owner = int32(k), o
		}
	}
	layers := len(a.rep.Layers)
	a.byLayer, a.filesByLayer = make([][]int64, len(a.pkgs)), make([][]int64, len(a.pkgs))
	for _, c := range ch {
		if c.name < 0 {
			continue
		}
		f := &vf[c.name]
		a.res.Bytes += f.Bytes
		a.res.Files++
		if c.owner < 0 {
			a.addUnowned(f)
			continue
		}
		owner := c.owner
		if more := a.claims.more[f.Path]; len(more) > 0 {
			owner = a.shared(f, c.owner, more)
		}
		if a.byLayer[owner] == nil {
			a.byLayer[owner], a.filesByLayer[owner] = make([]int64, layers+1), make([]int64, layers+1)
		}
		l := min(max(f.Layer, 0), layers) // layers[layers] catches a layer out of range
		a.byLayer[owner][l] += f.Bytes
		a.filesByLayer[owner][l]++
	}
}

// rpmDatabase returns the format of rpm's database file at p, if p is one.
func rpmDatabase(p string) (string, bool) {
	if !strings.HasPrefix(p, "var/lib/rpm/") && !strings.HasPrefix(p, "usr/lib/sysimage/rpm/") {
		return "", false
	}
	db, ok := rpmDatabases[p]
	return db, ok
}

// shared picks the owner of a file several packages list: the first (in
// order of manager, name, architecture) whose record was written by the
// layer that shipped the file, else the first. It records the choice in
// Result.Shared.
func (a *attribution) shared(f *account.VisibleFile, first int32, more []int32) int32 {
	all := append([]int32{first}, more...)
	slices.Sort(all)
	owner := all[0]
	for _, i := range all {
		if a.pkgs[i].recordLayer == f.Layer {
			owner = i
			break
		}
	}
	s := SharedFile{Path: "/" + f.Path, Bytes: f.Bytes, Owner: a.pkgs[owner].ref()}
	for _, i := range all {
		if i != owner {
			s.Others = append(s.Others, a.pkgs[i].ref())
		}
	}
	a.res.Shared = append(a.res.Shared, s)
	return owner
}

// TopDir is the group of a path (relative to the root) that no package
// owns: "/" and its first directory, or its first two under usr and var
// ("usr/local/bin/x" is "/usr/local", "app/main.py" is "/app", a file at
// the root is "/").
func TopDir(p string) string {
	first, rest, ok := strings.Cut(p, "/")
	if !ok {
		return "/"
	}
	if first == "usr" || first == "var" {
		if second, _, ok := strings.Cut(rest, "/"); ok {
			return "/" + first + "/" + second
		}
	}
	return "/" + first
}

func (a *attribution) addUnowned(f *account.VisibleFile) {
	dir := TopDir(f.Path)
	d := a.unowned[dir]
	if d == nil {
		d = &dirAcc{d: DirBytes{Dir: dir}, layers: map[int]int64{}}
		a.unowned[dir] = d
	}
	d.d.Bytes += f.Bytes
	d.d.Files++
	d.layers[f.Layer] += f.Bytes
}

// finish makes the packages and groups of the result, in order.
func (a *attribution) finish() {
	layers := len(a.rep.Layers)
	for i, p := range a.pkgs {
		p.Layer = p.recordLayer
		if b, nf := a.byLayer[i], a.filesByLayer[i]; b != nil {
			best := -1
			for l := 0; l < layers; l++ {
				p.Bytes += b[l]
				p.Files += nf[l]
				if b[l] > 0 {
					p.Layers = append(p.Layers, account.LayerBytes{Layer: l, Bytes: b[l]})
				}
				if nf[l] == 0 {
					continue
				}
				if best < 0 || b[l] > b[best] || b[l] == b[best] && (nf[l] > nf[best] ||
					nf[l] == nf[best] && l == p.recordLayer) {
					best = l
				}
			}
			p.Bytes += b[layers] // out of range: counted, never a layer
			p.Files += nf[layers]
			if best >= 0 {
				p.Layer = best
			}
		}
		if p.Layers == nil {
			p.Layers = []account.LayerBytes{}
		}
		if p.Layer >= 0 && p.Layer < layers {
			p.CreatedBy = a.rep.Layers[p.Layer].CreatedBy
		}
		a.res.Packages = append(a.res.Packages, p.Package)
	}
	slices.SortStableFunc(a.res.Packages, func(x, y Package) int { return cmp.Compare(y.Bytes, x.Bytes) })
	for _, d := range a.unowned {
		d.d.Layers = make([]account.LayerBytes, 0, len(d.layers))
		for l, b := range d.layers {
			d.d.Layers = append(d.d.Layers, account.LayerBytes{Layer: l, Bytes: b})
		}
		slices.SortFunc(d.d.Layers, func(x, y account.LayerBytes) int { return cmp.Compare(x.Layer, y.Layer) })
		a.res.Unowned = append(a.res.Unowned, d.d)
	}
	slices.SortFunc(a.res.Unowned, func(x, y DirBytes) int {
		return cmp.Or(cmp.Compare(y.Bytes, x.Bytes), strings.Compare(x.Dir, y.Dir))
	})
	slices.SortFunc(a.res.Shared, func(x, y SharedFile) int { return strings.Compare(x.Path, y.Path) })
}

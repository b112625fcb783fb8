package account

import (
	"errors"
	"path"
	"sort"
	"strings"

	"github.com/whittle/whittle/pkg/fstree"
)

// This file computes dive's figures (github.com/wagoodman/dive,
// filetree/efficiency.go and image/docker/image_archive.go) the way dive
// computes them, quirks included, so that .dive-ci thresholds carry over:
//
//   - Each layer is a tree of its tar entries (paths cleaned; missing
//     parents made as empty nodes; names starting ".wh..wh.." never added;
//     a later entry at the same path replaces the node's data).
//   - Every leaf of every layer, in depth-first order with names sorted,
//     adds to its path's record: a file its tar size; a whiteout ".wh.X"
//     the total size of the subtree X had in the layers below stacked
//     (0 when X was not a directory). A whiteout of a path absent below
//     ends the walk of that layer (dive logs the error and moves on), its
//     record holding a minimum of -1.
//   - efficiency = sum of each path's smallest size / sum of all sizes;
//     wasted = sum of the sizes of paths seen more than once;
//     user_wasted_percent = wasted / bytes of all layers but the first.

// dnode is a node of dive's tree.
type dnode struct {
	name     string
	parent   *dnode
	children map[string]*dnode
	size     int64
	isDir    bool
}

type dtree struct {
	root *dnode
	slab []dnode // nodes are allocated from here, in blocks
}

func newDtree() *dtree { return &dtree{root: &dnode{}} }

func (t *dtree) newNode(name string, parent *dnode) *dnode {
	if len(t.slab) == cap(t.slab) {
		t.slab = make([]dnode, 0, 1024)
	}
	t.slab = append(t.slab, dnode{name: name, parent: parent})
	return &t.slab[len(t.slab)-1]
}

const (
	diveWhiteout = ".wh."
	diveDouble   = ".wh..wh.."
)

func (t *dtree) addPath(p string, size int64, isDir bool) {
	rest := strings.Trim(path.Clean(p), "/")
	n := t.root
	for rest != "" {
		name, tail, more := strings.Cut(rest, "/")
		rest = tail
		if name == "" {
			continue
		}
		if c := n.children[name]; c != nil {
			n = c
		} else {
			if strings.HasPrefix(name, diveDouble) {
				return
			}
			c = t.newNode(name, n)
			if n.children == nil {
				n.children = map[string]*dnode{}
			}
			n.children[name] = c
			n = c
		}
		if !more {
			n.size, n.isDir = size, isDir
		}
	}
}

func (t *dtree) getNode(p string) *dnode {
	n := t.root
	for _, name := range strings.Split(strings.Trim(p, "/"), "/") {
		if name == "" {
			continue
		}
		n = n.children[name]
		if n == nil {
			return nil
		}
	}
	return n
}

func (t *dtree) removePath(p string) {
	n := t.getNode(p)
	if n == nil || n == t.root {
		return
	}
	delete(n.parent.children, n.name)
}

func isWhiteoutNode(n *dnode) bool { return strings.HasPrefix(n.name, diveWhiteout) }

// leaves calls fn for every node under n without children, depth first,
// children in name order (dive's VisitDepthChildFirst with its IsLeaf
// evaluator), with the record of the node's dive path: "/" and the names
// from the root, the whiteout prefix stripped from the last name only (d
// is the record of n's own path); an error from fn ends the walk.
func leaves(n *dnode, d *diveData, a *diveAcc, fn func(*dnode, *diveData) error) error {
	keys := make([]string, 0, len(n.children))
	for k := range n.children {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := n.children[k]
		if len(c.children) == 0 {
			if err := fn(c, a.child(d, strings.TrimPrefix(k, diveWhiteout))); err != nil {
				return err
			}
			continue
		}
		if err := leaves(c, a.child(d, k), a, fn); err != nil {
			return err
		}
	}
	return nil
}

// subtreeSize is the size of n and of every node under it.
func subtreeSize(n *dnode) int64 {
	s := n.size
	for _, c := range n.children {
		s += subtreeSize(c)
	}
	return s
}

func (t *dtree) stack(upper *dtree) {
	t.stackInto(t.root, upper.root)
}

func (t *dtree) stackInto(dst, src *dnode) {
	if len(src.children) == 0 {
		return
	}
	keys := make([]string, 0, len(src.children))
	for k := range src.children {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := src.children[k]
		if isWhiteoutNode(c) && len(c.children) == 0 {
			if name := strings.TrimPrefix(k, diveWhiteout); name != "" {
				delete(dst.children, name)
			}
			continue
		}
		d := dst.children[k]
		if d == nil {
			d = t.newNode(k, dst)
			if dst.children == nil {
				dst.children = map[string]*dnode{}
			}
			dst.children[k] = d
		}
		t.stackInto(d, c)
		if isWhiteoutNode(c) {
			// A whiteout with children (never in a real layer): its
			// children were added under its own name; now it removes.
			if name := strings.TrimPrefix(k, diveWhiteout); name != "" {
				delete(dst.children, name)
			}
			continue
		}
		d.size, d.isDir = c.size, c.isDir
	}
}

// diveRawPath turns a record back into the entry path dive sees.
func diveRawPath(r *fstree.Record) string {
	switch r.Type {
	case fstree.TypeWhiteout:
		dir, base := path.Split(r.Path)
		return dir + diveWhiteout + base
	case fstree.TypeOpaque:
		return path.Join(r.Path, ".wh..wh..opq")
	}
	return r.Path
}

func diveLayerTree(recs []fstree.Record) (*dtree, int64) {
	t := newDtree()
	var size int64
	for i := range recs {
		r := &recs[i]
		size += r.Size
		// dive's IsDir is the tar header's FileInfo().IsDir(): the
		// directory type flag, or the directory bits of the mode.
		isDir := r.Type == fstree.TypeDir || r.Mode&^0o7777 == 0o40000
		t.addPath(diveRawPath(r), r.Size, isDir)
	}
	return t, size
}

// diveData is dive's record of one path over all layers. The records
// form a trie of path names, never pruned: finding a path's record is a
// lookup in its directory's map, not in a map of every path, and a path's
// string is only made when dive reports it.
type diveData struct {
	name     string
	parent   *diveData
	children map[string]*diveData
	cum, min int64
	count    int
	listed   bool   // in diveAcc.seen
	path     string // set once count reaches 2
}

// fullPath is the dive path of d: "/" and the names from the root.
func (d *diveData) fullPath() string {
	n := 0
	for x := d; x.parent != nil; x = x.parent {
		n += len(x.name) + 1
	}
	b := make([]byte, n)
	for x := d; x.parent != nil; x = x.parent {
		n -= len(x.name)
		copy(b[n:], x.name)
		n--
		b[n] = '/'
	}
	return string(b)
}

type diveSlice []*diveData

func (s diveSlice) Len() int           { return len(s) }
func (s diveSlice) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s diveSlice) Less(i, j int) bool { return s[i].cum < s[j].cum }

var errDiveMissing = errors.New("path does not exist")

// diveAcc computes the dive block one layer at a time, bottom first.
type diveAcc struct {
	d       Dive
	root    diveData    // the trie of dive paths
	seen    []*diveData // the records of paths seen as a leaf
	matches diveSlice
	// stacked is dive's StackTreeRange(trees, 0, k-1): a copy of the
	// first tree with trees 0..k-1 stacked on it.
	stacked *dtree
	k       int
	slab    []diveData // records are allocated from here, in blocks
}

func newDiveAcc() *diveAcc {
	return &diveAcc{d: Dive{Inefficiencies: []DiveInefficient{}}}
}

// child returns the record of the path d/name, made when missing.
func (a *diveAcc) child(d *diveData, name string) *diveData {
	if c := d.children[name]; c != nil {
		return c
	}
	if len(a.slab) == cap(a.slab) {
		a.slab = make([]diveData, 0, 1024)
	}
	a.slab = append(a.slab, diveData{name: name, parent: d, min: -1})
	c := &a.slab[len(a.slab)-1]
	if d.children == nil {
		d.children = map[string]*diveData{}
	}
	d.children[name] = c
	return c
}

func (a *diveAcc) add(recs []fstree.Record) {
	tree, size := diveLayerTree(recs)
	if a.k == 0 {
		a.stacked, _ = diveLayerTree(recs)
	}
	a.d.SizeBytes += size
	if a.k > 0 {
		a.d.UserSizeBytes += size
	}
	// An error ends the walk of this layer, as in dive.
	_ = leaves(tree.root, &a.root, a, func(n *dnode, data *diveData) error {
		if !data.listed {
			// Listed even when the walk ends here (a whiteout of a
			// missing path): dive keeps such a record, minimum -1.
			data.listed = true
			a.seen = append(a.seen, data)
		}
		var sz int64
		if isWhiteoutNode(n) {
			prev := a.stacked.getNode(data.fullPath())
			if prev == nil {
				return errDiveMissing
			}
			if prev.isDir {
				sz = subtreeSize(prev)
			}
		} else {
			sz = n.size
		}
		data.cum += sz
		if data.min < 0 || sz < data.min {
			data.min = sz
		}
		data.count++
		if data.count == 2 {
			data.path = data.fullPath()
			a.matches = append(a.matches, data)
		}
		return nil
	})
	a.stacked.stack(tree)
	a.k++
}

func (a *diveAcc) result() Dive {
	d := a.d
	var minSum, cumSum int64
	for _, v := range a.seen {
		minSum += v.min
		cumSum += v.cum
	}
	d.Efficiency = 1
	if cumSum != 0 {
		d.Efficiency = float64(minSum) / float64(cumSum)
	}
	sort.Sort(a.matches)
	for i := len(a.matches) - 1; i >= 0; i-- {
		m := a.matches[i]
		d.WastedBytes += m.cum
		d.Inefficiencies = append(d.Inefficiencies, DiveInefficient{Path: m.path, Count: m.count, SizeBytes: m.cum})
	}
	if d.UserSizeBytes > 0 {
		d.UserWastedPercent = float64(d.WastedBytes) / float64(d.UserSizeBytes)
	}
	return d
}

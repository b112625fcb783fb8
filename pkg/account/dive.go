package account

import (
	"cmp"
	"path"
	"slices"
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

func isWhiteoutNode(n *dnode) bool { return strings.HasPrefix(n.name, diveWhiteout) }

// subtreeSize is the size of n and of every node under it.
func subtreeSize(n *dnode) int64 {
	s := n.size
	for _, c := range n.children {
		s += subtreeSize(c)
	}
	return s
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

// diveItem is a node of one layer's dive tree that an entry names, as
// indexes into its layer's diveList (12 bytes, not a copy of the record).
type diveItem struct {
	// ord is the entry's index (at the same path the later entry wins):
	// the record that gives the node's size and type.
	ord int32
	// spec indexes diveList.spec when the path as dive reads it is not
	// the record's path; -1 otherwise.
	spec int32
	// explicit is false for a node made only as the parent of an entry
	// dive drops (".wh..wh.*").
	explicit bool
}

// diveList is a layer's items with the records they index.
type diveList struct {
	recs  []fstree.Record
	spec  []string // paths as dive reads them, for whiteouts and the like
	items []diveItem
}

// raw is the path of item i as dive reads it: cleaned, whiteout prefix
// kept.
func (l *diveList) raw(i int) string { return l.rawOf(&l.items[i]) }

func (l *diveList) rawOf(it *diveItem) string {
	if it.spec >= 0 {
		return l.spec[it.spec]
	}
	return l.recs[it.ord].Path
}

// size is item i's size (0 for a parent no entry names).
func (l *diveList) size(i int) int64 {
	if it := &l.items[i]; it.explicit {
		return l.recs[it.ord].Size
	}
	return 0
}

// isDir is dive's IsDir of item i's entry: the tar header's
// FileInfo().IsDir(), the directory type flag or the directory bits of
// the mode (false for a parent no entry names).
func (l *diveList) isDir(i int) bool {
	it := &l.items[i]
	if !it.explicit {
		return false
	}
	r := &l.recs[it.ord]
	return r.Type == fstree.TypeDir || r.Mode&^0o7777 == 0o40000
}

// diveCompare orders paths as dive's depth-first walk with names sorted
// visits them: name by name, a parent before its children.
func diveCompare(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		switch {
		case ca == '/':
			return -1
		case cb == '/':
			return 1
		case ca < cb:
			return -1
		}
		return 1
	}
	return cmp.Compare(len(a), len(b))
}

// under reports whether p is below dir.
func under(p, dir string) bool {
	return len(p) > len(dir) && p[len(dir)] == '/' && strings.HasPrefix(p, dir)
}

// doubleAt is the offset of the first name of p that starts with
// ".wh..wh.." (dive never adds such a name, nor anything below it), or -1.
func doubleAt(p string) int {
	if strings.HasPrefix(p, diveDouble) {
		return 0
	}
	if i := strings.Index(p, "/"+diveDouble); i >= 0 {
		return i + 1
	}
	return -1
}

// diveItems turns a layer's records into the nodes of dive's tree of the
// layer that entries name, in dive's walk order, one per path. (Parents no
// entry names are left out: they are never leaves.) l's slices are
// reused.
func diveItems(recs []fstree.Record, l *diveList) {
	l.recs = recs
	l.spec = l.spec[:0]
	items := slices.Grow(l.items[:0], len(recs))
	for i := range recs {
		r := &recs[i]
		raw := r.Path
		special := r.Type == fstree.TypeWhiteout || r.Type == fstree.TypeOpaque
		if special {
			raw = diveRawPath(r)
		}
		if raw == "" {
			continue // the root: dive adds nothing
		}
		if j := doubleAt(raw); j >= 0 {
			if j > 0 {
				l.spec = append(l.spec, raw[:j-1])
				items = append(items, diveItem{ord: int32(i), spec: int32(len(l.spec) - 1)})
			}
			continue
		}
		it := diveItem{ord: int32(i), spec: -1, explicit: true}
		if special {
			l.spec = append(l.spec, raw)
			it.spec = int32(len(l.spec) - 1)
		}
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b diveItem) int {
		if c := diveCompare(l.rawOf(&a), l.rawOf(&b)); c != 0 {
			return c
		}
		return cmp.Compare(a.ord, b.ord)
	})
	out := items[:0]
	for _, it := range items {
		if n := len(out); n > 0 && l.rawOf(&out[n-1]) == l.rawOf(&it) {
			if it.explicit {
				// The same path: the later entry gives the size and type.
				out[n-1] = it
			}
			continue
		}
		out = append(out, it)
	}
	l.items = out
}

// stackItems stacks a layer, given as its items, on t, as dive's Stack
// does: depth first, names sorted; a whiteout leaf ".wh.X" removes X from
// its directory; any other node is found or made, its children stacked,
// then it takes the layer's size and IsDir (a parent no entry names: 0
// and false), or, for a whiteout with children, removes X.
func (t *dtree) stackItems(l *diveList) {
	items := l.items
	type frame struct {
		dst   *dnode
		name  string
		path  string // of this node
		size  int64
		isDir bool
	}
	stack := []frame{{dst: t.root}}
	finish := func() {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if strings.HasPrefix(f.name, diveWhiteout) {
			if name := f.name[len(diveWhiteout):]; name != "" {
				delete(stack[len(stack)-1].dst.children, name)
			}
			return
		}
		f.dst.size, f.dst.isDir = f.size, f.isDir
	}
	child := func(dst *dnode, name string) *dnode {
		d := dst.children[name]
		if d == nil {
			d = t.newNode(name, dst)
			if dst.children == nil {
				dst.children = map[string]*dnode{}
			}
			dst.children[name] = d
		}
		return d
	}
	for i := range items {
		raw := l.raw(i)
		for len(stack) > 1 && !under(raw, stack[len(stack)-1].path) {
			finish()
		}
		// Parents no entry names, then the node itself.
		start := len(stack[len(stack)-1].path)
		if start > 0 {
			start++ // the slash
		}
		for {
			name, _, more := strings.Cut(raw[start:], "/")
			end := start + len(name)
			if !more {
				leaf := i+1 == len(items) || !under(l.raw(i+1), raw)
				if leaf && strings.HasPrefix(name, diveWhiteout) {
					if x := name[len(diveWhiteout):]; x != "" {
						delete(stack[len(stack)-1].dst.children, x)
					}
				} else {
					d := child(stack[len(stack)-1].dst, name)
					stack = append(stack, frame{dst: d, name: name, path: raw[:end], size: l.size(i), isDir: l.isDir(i)})
				}
				break
			}
			d := child(stack[len(stack)-1].dst, name)
			stack = append(stack, frame{dst: d, name: name, path: raw[:end]})
			start = end + 1
		}
	}
	for len(stack) > 1 {
		finish()
	}
}

// diveData is dive's record of one path over all layers.
type diveData struct {
	cum, min int64
	count    int32
}

// diveMatch is a path seen more than once, with its record.
type diveMatch struct {
	d    *diveData
	path string // dive's path ("/" and the names)
}

type diveSlice []diveMatch

func (s diveSlice) Len() int           { return len(s) }
func (s diveSlice) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s diveSlice) Less(i, j int) bool { return s[i].d.cum < s[j].d.cum }

// diveBlock is how many records are allocated at once.
const diveBlock = 4096

// diveAcc computes the dive block one layer at a time, bottom first.
type diveAcc struct {
	d Dive
	// layers is the number of layers of the image (0: not known). The
	// last layer adds nothing that a later one would read: its paths seen
	// once are summed without a record, and its tree is not stacked.
	layers int
	// records holds dive's record of each path seen as a leaf, by the
	// path without its leading slash; blocks holds them all (the order
	// does not matter: only sums are taken over them).
	records map[string]*diveData
	blocks  [][]diveData
	// minSum and cumSum: the paths of the last layer seen only there.
	minSum, cumSum int64
	matches        diveSlice
	// stacked is dive's StackTreeRange(trees, 0, k-1): a copy of the
	// first tree with trees 0..k-1 stacked on it; made from the first
	// layer only when something reads it.
	stacked *dtree
	k       int
	items   diveList
}

// newDiveAcc returns the accumulator of an image of the given number of
// layers (0: not known).
func newDiveAcc(layers int) *diveAcc {
	return &diveAcc{d: Dive{Inefficiencies: []DiveInefficient{}}, layers: layers, records: map[string]*diveData{}}
}

// record returns the record of a path, made when missing.
func (a *diveAcc) record(key string) *diveData {
	if d := a.records[key]; d != nil {
		return d
	}
	if n := len(a.blocks); n == 0 || len(a.blocks[n-1]) == cap(a.blocks[n-1]) {
		a.blocks = append(a.blocks, make([]diveData, 0, diveBlock))
	}
	b := &a.blocks[len(a.blocks)-1]
	*b = append(*b, diveData{min: -1})
	d := &(*b)[len(*b)-1]
	a.records[key] = d
	return d
}

func (a *diveAcc) add(recs []fstree.Record) {
	var size int64
	for i := range recs {
		size += recs[i].Size
	}
	first := a.k == 0
	last := a.layers > 0 && a.k == a.layers-1
	if first && !last {
		a.stacked, _ = diveLayerTree(recs)
	}
	a.d.SizeBytes += size
	if a.k > 0 {
		a.d.UserSizeBytes += size
	}
	diveItems(recs, &a.items)
	l := &a.items
	items := l.items
	// A path of the last layer seen in no layer below needs no record,
	// unless a whiteout of the layer names it too.
	lone := last
	for i := range items {
		if raw := l.raw(i); lone && strings.HasPrefix(raw[strings.LastIndexByte(raw, '/')+1:], diveWhiteout) {
			lone = false
		}
	}
	// The leaves of the layer's tree, in dive's order: the record of each
	// is that of its path, the whiteout prefix stripped from the last
	// name. A whiteout of a path absent below ends the walk (dive logs
	// the error and moves on).
	for i := range items {
		raw := l.raw(i)
		if i+1 < len(items) && under(l.raw(i+1), raw) {
			continue
		}
		key := raw
		cut := strings.LastIndexByte(key, '/') + 1
		wh := strings.HasPrefix(key[cut:], diveWhiteout)
		if wh {
			key = key[:cut] + key[cut+len(diveWhiteout):]
		}
		if lone {
			if _, ok := a.records[key]; !ok {
				a.minSum += l.size(i)
				a.cumSum += l.size(i)
				continue
			}
		}
		// Recorded even when the walk ends here: dive keeps such a
		// record, minimum -1.
		data := a.record(key)
		var sz int64
		if wh {
			if a.stacked == nil {
				a.stacked, _ = diveLayerTree(recs) // the first layer's own
			}
			prev := a.stacked.getNode(key)
			if prev == nil {
				break
			}
			if prev.isDir {
				sz = subtreeSize(prev)
			}
		} else {
			sz = l.size(i)
		}
		data.cum += sz
		if data.min < 0 || sz < data.min {
			data.min = sz
		}
		data.count++
		if data.count == 2 {
			a.matches = append(a.matches, diveMatch{d: data, path: "/" + key})
		}
	}
	if !last {
		a.stacked.stackItems(l)
	}
	// The next layer's items need not keep this layer's strings.
	clear(l.spec)
	l.recs = nil
	a.k++
}

func (a *diveAcc) result() Dive {
	d := a.d
	minSum, cumSum := a.minSum, a.cumSum
	for _, b := range a.blocks {
		for k := range b {
			minSum += b[k].min
			cumSum += b[k].cum
		}
	}
	d.Efficiency = 1
	if cumSum != 0 {
		d.Efficiency = float64(minSum) / float64(cumSum)
	}
	sort.Sort(a.matches)
	for i := len(a.matches) - 1; i >= 0; i-- {
		m := a.matches[i]
		d.WastedBytes += m.d.cum
		d.Inefficiencies = append(d.Inefficiencies, DiveInefficient{Path: m.path, Count: int(m.d.count), SizeBytes: m.d.cum})
	}
	if d.UserSizeBytes > 0 {
		d.UserWastedPercent = float64(d.WastedBytes) / float64(d.UserSizeBytes)
	}
	return d
}

package account

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/fstree"
)

// The first implementation of dive's figures: one tree per layer, one
// trie of records. Kept as the oracle of TestDiveAgainstReference.

// leaves calls fn for every node under n without children, depth first,
// children in name order (dive's VisitDepthChildFirst with its IsLeaf
// evaluator), with the record of the node's dive path: "/" and the names
// from the root, the whiteout prefix stripped from the last name only (d
// is the record of n's own path); an error from fn ends the walk.
func refLeaves(n *dnode, d *refData, a *refDiveAcc, fn func(*dnode, *refData) error) error {
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
		if err := refLeaves(c, a.child(d, k), a, fn); err != nil {
			return err
		}
	}
	return nil
}

// refData is dive's record of one path over all layers. The records
// form a trie of path names, never pruned: finding a path's record is a
// lookup in its directory's map, not in a map of every path, and a path's
// string is only made when dive reports it.
type refData struct {
	name     string
	parent   *refData
	children map[string]*refData
	cum, min int64
	count    int
	listed   bool   // in refDiveAcc.seen
	path     string // set once count reaches 2
}

// fullPath is the dive path of d: "/" and the names from the root.
func (d *refData) fullPath() string {
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

type refSlice []*refData

func (s refSlice) Len() int           { return len(s) }
func (s refSlice) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s refSlice) Less(i, j int) bool { return s[i].cum < s[j].cum }

var errRefMissing = errors.New("path does not exist")

// refDiveAcc computes the dive block one layer at a time, bottom first.
type refDiveAcc struct {
	d       Dive
	root    refData    // the trie of dive paths
	seen    []*refData // the records of paths seen as a leaf
	matches refSlice
	// stacked is dive's StackTreeRange(trees, 0, k-1): a copy of the
	// first tree with trees 0..k-1 stacked on it.
	stacked *dtree
	k       int
	slab    []refData // records are allocated from here, in blocks
}

func newRefDiveAcc() *refDiveAcc {
	return &refDiveAcc{d: Dive{Inefficiencies: []DiveInefficient{}}}
}

// child returns the record of the path d/name, made when missing.
func (a *refDiveAcc) child(d *refData, name string) *refData {
	if c := d.children[name]; c != nil {
		return c
	}
	if len(a.slab) == cap(a.slab) {
		a.slab = make([]refData, 0, 1024)
	}
	a.slab = append(a.slab, refData{name: name, parent: d, min: -1})
	c := &a.slab[len(a.slab)-1]
	if d.children == nil {
		d.children = map[string]*refData{}
	}
	d.children[name] = c
	return c
}

func (a *refDiveAcc) add(recs []fstree.Record) {
	tree, size := diveLayerTree(recs)
	if a.k == 0 {
		a.stacked, _ = diveLayerTree(recs)
	}
	a.d.SizeBytes += size
	if a.k > 0 {
		a.d.UserSizeBytes += size
	}
	// An error ends the walk of this layer, as in dive.
	_ = refLeaves(tree.root, &a.root, a, func(n *dnode, data *refData) error {
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
				return errRefMissing
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

func (a *refDiveAcc) result() Dive {
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

// randomDiveLayers makes layers of records that stress dive's quirks:
// names that sort around "/" ("-a", "a.b", " z"), whiteouts of present and
// absent paths, opaque markers, aufs metadata, ".wh." directories, the same
// path twice in a layer, files with a directory's mode.
func randomDiveLayers(rng *rand.Rand) [][]fstree.Record {
	names := []string{"a", "b", "-a", "a.b", "a-", "ab", "A", "_", " z", "a.b.c"}
	randPath := func() string {
		n := 1 + rng.IntN(3)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = names[rng.IntN(len(names))]
			if i < n-1 && rng.IntN(20) == 0 {
				parts[i] = ".wh." + parts[i]
			}
			if i < n-1 && rng.IntN(30) == 0 {
				parts[i] = ".wh..wh.plnk"
			}
		}
		return strings.Join(parts, "/")
	}
	dirOf := func(p string) string {
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			return p[:i]
		}
		return ""
	}
	join := func(dir, name string) string {
		if dir == "" {
			return name
		}
		return dir + "/" + name
	}
	layers := make([][]fstree.Record, 1+rng.IntN(4))
	for i := range layers {
		recs := make([]fstree.Record, rng.IntN(14))
		for j := range recs {
			p := randPath()
			r := fstree.Record{Path: p, Mode: 0o644}
			switch k := rng.IntN(10); {
			case k < 4:
				r.Type, r.Size = fstree.TypeReg, int64(rng.IntN(100))
				if rng.IntN(15) == 0 {
					r.Mode = 0o40755
				}
			case k < 6:
				r.Type, r.Mode = fstree.TypeDir, 0o40755
			case k < 8:
				r.Type = fstree.TypeWhiteout
			case k == 8:
				r.Type, r.Path = fstree.TypeOpaque, dirOf(p)
			default:
				r.Type = fstree.TypeMeta
				if rng.IntN(2) == 0 {
					r.Path = join(dirOf(p), ".wh..wh.plnk")
				} else {
					r.Path = join(dirOf(p), ".wh.")
				}
			}
			if r.Type == fstree.TypeReg && rng.IntN(8) == 0 {
				r.Type, r.Link = fstree.TypeSymlink, "a"
			}
			recs[j] = r
		}
		layers[i] = recs
	}
	return layers
}

// The dive block equals the first implementation's on random layers.
func TestDiveAgainstReference(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 3000
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		layers := randomDiveLayers(rng)
		// The number of layers known or not, the figures are the same.
		known := 0
		if i%2 == 0 {
			known = len(layers)
		}
		got, want := newDiveAcc(known), newRefDiveAcc()
		for _, recs := range layers {
			got.add(slices.Clone(recs))
			want.add(slices.Clone(recs))
		}
		if g, w := got.result(), want.result(); !reflect.DeepEqual(g, w) {
			t.Fatalf("case %d: layers %+v\ngot  %+v\nwant %+v", i, layers, g, w)
		}
	}
}

package fstree

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
)

// naiveApply is a second model of the merge, sharing no code with Tree: a
// map from path to type, each rule applied by scanning every key.
func naiveApply(m map[string]Type, recs []Record) {
	under := func(p, dir string) bool { return dir == "" || strings.HasPrefix(p, dir+"/") }
	removeUnder := func(dir string) {
		for p := range m {
			if under(p, dir) {
				delete(m, p)
			}
		}
	}
	var hides []Record
	for _, r := range recs {
		if r.Type == TypeWhiteout || r.Type == TypeOpaque {
			hides = append(hides, r)
		}
	}
	for _, r := range hides {
		if r.Type == TypeWhiteout {
			if _, ok := m[r.Path]; ok {
				delete(m, r.Path)
				removeUnder(r.Path)
			}
		} else if t, ok := m[r.Path]; ok && t == TypeDir || r.Path == "" {
			removeUnder(r.Path)
		}
	}
	for _, r := range recs {
		if r.Type == TypeWhiteout || r.Type == TypeOpaque {
			continue
		}
		names := strings.Split(r.Path, "/")
		for i := 1; i < len(names); i++ {
			a := strings.Join(names[:i], "/")
			if t, ok := m[a]; !ok || t != TypeDir {
				removeUnder(a)
				m[a] = TypeDir
			}
		}
		if t, ok := m[r.Path]; ok && t == TypeDir && r.Type == TypeDir {
			continue
		}
		delete(m, r.Path)
		removeUnder(r.Path)
		m[r.Path] = r.Type
	}
}

// The tree (its index of children grown and emptied many times over)
// holds the paths a naive model of the rules holds, on random layers of
// files, directories, symlinks, whiteouts and opaque markers.
func TestTreeAgainstNaiveModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// A few top directories, many names under them.
	names := make([]string, 400)
	for i := range names {
		names[i] = fmt.Sprintf("n%d", i)
	}
	randPath := func() string {
		top := names[rng.IntN(6)]
		switch rng.IntN(10) {
		case 0:
			return top
		case 1:
			return top + "/" + names[rng.IntN(6)] + "/" + names[rng.IntN(len(names))]
		}
		return top + "/" + names[rng.IntN(len(names))]
	}
	maxIndexed := 0
	for c := 0; c < 12; c++ {
		tree, model := New(), map[string]Type{}
		for l := 0; l < 1+rng.IntN(5); l++ {
			recs := make([]Record, 0, 400)
			for range 50 + rng.IntN(1500) {
				r := Record{Path: randPath(), Size: 1}
				switch k := rng.IntN(40); {
				case k < 25:
					r.Type = TypeReg
				case k < 35:
					r.Type = TypeDir
				case k < 37:
					r.Type = TypeSymlink
				case k < 39:
					r.Type = TypeWhiteout
				default:
					r.Type = TypeOpaque
				}
				if !strings.Contains(r.Path, "/") && rng.IntN(50) != 0 {
					r.Type = TypeDir // top directories stay, most of the time
				}
				recs = append(recs, r)
			}
			if _, err := tree.Apply(l, recs); err != nil {
				t.Fatal(err)
			}
			if tree.indexed > maxIndexed {
				maxIndexed = tree.indexed
			}
			naiveApply(model, recs)
			got := map[string]Type{}
			tree.Walk(func(n Node) {
				if _, dup := got[n.Path]; dup {
					t.Fatalf("case %d layer %d: %s walked twice", c, l, n.Path)
				}
				typ := n.Type
				if typ == TypeOther {
					typ = TypeSymlink
				}
				got[n.Path] = typ
			})
			if !maps.Equal(got, model) {
				for p, typ := range model {
					if got[p] != typ {
						t.Errorf("case %d layer %d: %s is %v, model %v", c, l, p, got[p], typ)
					}
				}
				for p, typ := range got {
					if _, ok := model[p]; !ok {
						t.Errorf("case %d layer %d: %s (%v) not in the model", c, l, p, typ)
					}
				}
				t.FailNow()
			}
			var visible int
			for i := range tree.NumInodes() {
				if tree.Inode(i).Links > 0 {
					visible++
				}
			}
			var regs int
			for _, typ := range model {
				if typ == TypeReg {
					regs++
				}
			}
			if visible != regs || len(tree.FilesUnordered()) != regs {
				t.Fatalf("case %d layer %d: %d visible inodes, %d files; model %d", c, l, visible, len(tree.FilesUnordered()), regs)
			}
		}
	}
	t.Logf("at most %d paths indexed", maxIndexed)
	// The index grew from its first size many times over.
	if maxIndexed < 16*initialIndex {
		t.Errorf("at most %d paths indexed: the index never grew much", maxIndexed)
	}
}

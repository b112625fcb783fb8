package account

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/fstree"
	"github.com/whittle/whittle/pkg/layer"
)

// BenchmarkDuplicates: the duplicate search over 300,000 visible files in
// 3,000 directories, one in ten a copy of another.
func BenchmarkDuplicates(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 300000
	recs := make([]fstree.Record, 0, n)
	for i := range n {
		r := fstree.Record{Path: fmt.Sprintf("d%04d/f%06d", rng.IntN(3000), i), Type: fstree.TypeReg, Size: int64(1 + rng.IntN(5000)), Hashed: true}
		src := i
		if i > 0 && rng.IntN(10) == 0 {
			src = rng.IntN(i)
			r.Size = recs[src].Size
		}
		r.Hash[0], r.Hash[1], r.Hash[2] = byte(src), byte(src>>8), byte(src>>16)
		recs = append(recs, r)
	}
	tree := fstree.New()
	if _, err := tree.Apply(0, recs); err != nil {
		b.Fatal(err)
	}
	files := tree.FilesUnordered()
	b.ResetTimer()
	for b.Loop() {
		duplicates(files, tree)
	}
}

// naiveDuplicates is the duplicate search as its documentation reads,
// with a map and no cleverness: the oracle of TestDuplicatesRandom.
func naiveDuplicates(files []fstree.File, tree *fstree.Tree) []Duplicate {
	first := map[int]string{}
	for _, f := range files {
		if p, ok := first[f.Inode]; !ok || f.Path < p {
			first[f.Inode] = f.Path
		}
	}
	type k struct {
		size int64
		hash [16]byte
	}
	groups := map[k][]string{}
	for ino, p := range first {
		in := tree.Inode(ino)
		if in.Size == 0 || !in.Hashed {
			continue
		}
		key := k{in.Size, in.Hash}
		groups[key] = append(groups[key], "/"+p)
	}
	out := []Duplicate{}
	for key, paths := range groups {
		if len(paths) < 2 {
			continue
		}
		slices.Sort(paths)
		out = append(out, Duplicate{Digest: DuplicateDigestPrefix + hex.EncodeToString(key.hash[:]), Size: key.size, Paths: paths, Bytes: key.size * int64(len(paths)-1)})
	}
	slices.SortFunc(out, func(x, y Duplicate) int {
		if x.Bytes != y.Bytes {
			return cmp.Compare(y.Bytes, x.Bytes)
		}
		return strings.Compare(x.Paths[0], y.Paths[0])
	})
	return out
}

// Random trees with few distinct hashes, halves of hashes shared between
// different hashes, equal hashes of different sizes, hard links, deleted
// files and unhashed files.
func TestDuplicatesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	found := 0
	for c := 0; c < 300; c++ {
		var layers [][]fstree.Record
		for range 1 + rng.IntN(3) {
			var recs []fstree.Record
			for range rng.IntN(60) {
				p := fmt.Sprintf("d%d/f%d", rng.IntN(4), rng.IntN(30))
				switch rng.IntN(8) {
				case 0:
					recs = append(recs, fstree.Record{Path: p, Type: fstree.TypeWhiteout})
				case 1:
					recs = append(recs, fstree.Record{Path: p, Type: fstree.TypeHardlink, Link: fmt.Sprintf("d%d/f%d", rng.IntN(4), rng.IntN(30))})
				default:
					r := fstree.Record{Path: p, Type: fstree.TypeReg, Size: int64(rng.IntN(3)), Hashed: rng.IntN(10) > 0}
					binary.BigEndian.PutUint64(r.Hash[:8], uint64(rng.IntN(3))<<60|uint64(rng.IntN(2)))
					binary.BigEndian.PutUint64(r.Hash[8:], uint64(rng.IntN(2)))
					recs = append(recs, r)
				}
			}
			layers = append(layers, recs)
		}
		// Hard links to a missing path or a directory are invalid
		// (layer.CheckLink): drop each the tree refuses, and merge again.
		var tree *fstree.Tree
	merge:
		for {
			tree = fstree.New()
			for i, recs := range layers {
				_, err := tree.Apply(i, recs)
				var ie *layer.InvalidEntryError
				if errors.As(err, &ie) {
					layers[i] = slices.DeleteFunc(recs, func(r fstree.Record) bool { return r.Type == fstree.TypeHardlink && r.Path == ie.Path })
					continue merge
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			break
		}
		files := tree.FilesUnordered()
		got, want := duplicates(files, tree), naiveDuplicates(files, tree)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: layers %+v\ngot  %+v\nwant %+v", c, layers, got, want)
		}
		if len(want) > 1 {
			found++
		}
	}
	if found < 100 {
		t.Errorf("only %d cases with two groups or more: the test tests little", found)
	}
}

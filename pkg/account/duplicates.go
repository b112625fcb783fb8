package account

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"slices"
	"sort"

	"github.com/whittle/whittle/pkg/fstree"
)

// DuplicateDigestPrefix starts Duplicate.Digest: the content's XXH3-128
// (big endian, in hex) follows it.
const DuplicateDigestPrefix = "xxh3-128:"

// duplicates groups visible regular files of equal content (same size and
// XXH3-128). Each file (an inode: hard links to one another are one file)
// appears once, under its first name in path order; empty files are left
// out. In each group the first path is the original and every other
// copy's bytes are duplicate. Groups are ordered by duplicate bytes,
// largest first, then by first path.
func duplicates(files []fstree.File, tree *fstree.Tree) []Duplicate {
	type cand struct {
		size int64
		hash [16]byte
		ord  int32 // path order of the file's first name
		path string
	}
	seen := make([]bool, tree.NumInodes())
	var cands []cand
	for _, f := range files {
		in := tree.Inode(f.Inode)
		if in.Size == 0 || !in.Hashed || seen[f.Inode] {
			continue
		}
		seen[f.Inode] = true
		cands = append(cands, cand{in.Size, in.Hash, int32(len(cands)), f.Path})
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if c := cmp.Compare(a.size, b.size); c != 0 {
			return c
		}
		if c := bytes.Compare(a.hash[:], b.hash[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.ord, b.ord)
	})
	out := []Duplicate{}
	for i := 0; i < len(cands); {
		a := &cands[i]
		j := i + 1
		for j < len(cands) && cands[j].size == a.size && cands[j].hash == a.hash {
			j++
		}
		if j-i > 1 {
			paths := make([]string, 0, j-i)
			for _, c := range cands[i:j] {
				paths = append(paths, "/"+c.path)
			}
			out = append(out, Duplicate{
				Digest: DuplicateDigestPrefix + hex.EncodeToString(a.hash[:]),
				Size:   a.size,
				Paths:  paths,
				Bytes:  a.size * int64(j-i-1),
			})
		}
		i = j
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Paths[0] < out[j].Paths[0]
	})
	return out
}

package account

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"

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
	// Candidates are the visible files with content, read in inode order.
	type cand struct {
		hi, lo uint64 // the hash
		size   int64
		ino    int32
	}
	n := tree.NumInodes()
	candidate := func(in *fstree.Inode) bool { return in.Links > 0 && in.Size > 0 && in.Hashed }
	// Sorted by hash then size: one bucket pass on the hash's top 16
	// bits (the hash is uniform, so buckets are small), then each bucket.
	// The candidates are counted by bucket, then placed, straight from
	// the inodes: one array of them, not two.
	const bucketBits = 16
	start := make([]int32, 1<<bucketBits+1)
	for ino := range n {
		if in := tree.Inode(ino); candidate(in) {
			start[binary.BigEndian.Uint64(in.Hash[:8])>>(64-bucketBits)+1]++
		}
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	cands := make([]cand, start[1<<bucketBits])
	next := slices.Clone(start[:1<<bucketBits])
	for ino := range n {
		in := tree.Inode(ino)
		if !candidate(in) {
			continue
		}
		c := cand{binary.BigEndian.Uint64(in.Hash[:8]), binary.BigEndian.Uint64(in.Hash[8:]), in.Size, int32(ino)}
		b := c.hi >> (64 - bucketBits)
		cands[next[b]] = c
		next[b]++
	}
	for b := 0; b < 1<<bucketBits; b++ {
		if bucket := cands[start[b]:start[b+1]]; len(bucket) > 1 {
			slices.SortFunc(bucket, func(x, y cand) int {
				if x.hi != y.hi {
					return cmp.Compare(x.hi, y.hi)
				}
				if x.lo != y.lo {
					return cmp.Compare(x.lo, y.lo)
				}
				return cmp.Compare(x.size, y.size)
			})
		}
	}
	same := func(a, b *cand) bool { return a.hi == b.hi && a.lo == b.lo && a.size == b.size }
	member := make([]bool, n)
	any := false
	for i := 1; i < len(cands); i++ {
		if same(&cands[i-1], &cands[i]) {
			member[cands[i-1].ino], member[cands[i].ino] = true, true
			any = true
		}
	}
	out := []Duplicate{}
	if !any {
		return out
	}
	// Only files in a group of two or more need their first name.
	first := make([]string, n)
	for _, f := range files {
		if member[f.Inode] {
			if p := first[f.Inode]; p == "" || f.Path < p {
				first[f.Inode] = f.Path
			}
		}
	}
	for i := 0; i < len(cands); {
		a := &cands[i]
		j := i + 1
		for j < len(cands) && same(&cands[j], a) {
			j++
		}
		if j-i > 1 {
			g := cands[i:j]
			slices.SortFunc(g, func(x, y cand) int { return strings.Compare(first[x.ino], first[y.ino]) })
			group := make([]string, 0, j-i)
			for _, c := range g {
				group = append(group, "/"+first[c.ino])
			}
			var h [16]byte
			binary.BigEndian.PutUint64(h[:8], a.hi)
			binary.BigEndian.PutUint64(h[8:], a.lo)
			out = append(out, Duplicate{
				Digest: DuplicateDigestPrefix + hex.EncodeToString(h[:]),
				Size:   a.size,
				Paths:  group,
				Bytes:  a.size * int64(j-i-1),
			})
		}
		i = j
	}
	slices.SortFunc(out, func(x, y Duplicate) int {
		if x.Bytes != y.Bytes {
			return cmp.Compare(y.Bytes, x.Bytes)
		}
		return strings.Compare(x.Paths[0], y.Paths[0])
	})
	return out
}

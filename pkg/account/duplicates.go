package account

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sort"
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
	// Each file's first name in path order; files may come in any order.
	first := make([]string, tree.NumInodes())
	for _, f := range files {
		in := tree.Inode(f.Inode)
		if in.Size == 0 || !in.Hashed {
			continue
		}
		if p := first[f.Inode]; p == "" || f.Path < p {
			first[f.Inode] = f.Path
		}
	}
	// cand holds no pointer, so that sorting moves plain words; paths are
	// compared only between files of equal size and hash.
	type cand struct {
		size   int64
		hi, lo uint64 // the hash
		ino    int32
	}
	var cands []cand
	for ino, p := range first {
		if p == "" {
			continue
		}
		in := tree.Inode(ino)
		cands = append(cands, cand{in.Size, binary.BigEndian.Uint64(in.Hash[:8]), binary.BigEndian.Uint64(in.Hash[8:]), int32(ino)})
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.size != b.size {
			return cmp.Compare(a.size, b.size)
		}
		if a.hi != b.hi {
			return cmp.Compare(a.hi, b.hi)
		}
		if a.lo != b.lo {
			return cmp.Compare(a.lo, b.lo)
		}
		return strings.Compare(first[a.ino], first[b.ino])
	})
	out := []Duplicate{}
	for i := 0; i < len(cands); {
		a := &cands[i]
		j := i + 1
		for j < len(cands) && cands[j].size == a.size && cands[j].hi == a.hi && cands[j].lo == a.lo {
			j++
		}
		if j-i > 1 {
			group := make([]string, 0, j-i)
			for _, c := range cands[i:j] {
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
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Paths[0] < out[j].Paths[0]
	})
	return out
}

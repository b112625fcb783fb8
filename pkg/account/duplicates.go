package account

import (
	"bytes"
	"encoding/hex"
	"sort"

	"github.com/whittle/whittle/pkg/fstree"
)

// duplicates groups visible regular files of equal content (same size and
// sha256). Each file (an inode: hard links to one another are one file)
// appears once, under its first name in path order; empty files are left
// out. In each group the first path is the original and every other
// copy's bytes are duplicate. Groups are ordered by duplicate bytes,
// largest first, then by first path.
func duplicates(files []fstree.File, inodes []fstree.Inode) []Duplicate {
	type cand struct {
		ino  int32
		path string
	}
	seen := make([]bool, len(inodes))
	var cands []cand
	for _, f := range files {
		in := &inodes[f.Inode]
		if in.Size == 0 || !in.Hashed || seen[f.Inode] {
			continue
		}
		seen[f.Inode] = true
		cands = append(cands, cand{int32(f.Inode), f.Path})
	}
	// Stable: files come in path order, and stay so within a group.
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := &inodes[cands[i].ino], &inodes[cands[j].ino]
		if a.Size != b.Size {
			return a.Size < b.Size
		}
		return bytes.Compare(a.Hash[:], b.Hash[:]) < 0
	})
	out := []Duplicate{}
	for i := 0; i < len(cands); {
		a := &inodes[cands[i].ino]
		j := i + 1
		for j < len(cands) {
			b := &inodes[cands[j].ino]
			if b.Size != a.Size || b.Hash != a.Hash {
				break
			}
			j++
		}
		if j-i > 1 {
			paths := make([]string, 0, j-i)
			for _, c := range cands[i:j] {
				paths = append(paths, "/"+c.path)
			}
			out = append(out, Duplicate{
				Digest: "sha256:" + hex.EncodeToString(a.Hash[:]),
				Size:   a.Size,
				Paths:  paths,
				Bytes:  a.Size * int64(j-i-1),
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

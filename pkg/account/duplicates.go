package account

import (
	"encoding/hex"
	"sort"

	"github.com/whittle/whittle/pkg/fstree"
)

// duplicates groups visible regular files of equal content. Each file (an
// inode: hard links to one another are one file) appears once, under its
// first name in path order; empty files are left out. In each group the
// first path is the original and every other copy's bytes are duplicate.
func duplicates(files []fstree.File, inodes []fstree.Inode) []Duplicate {
	type key struct {
		size int64
		hash [32]byte
	}
	groups := map[key][]string{}
	var order []key
	seen := make(map[int]bool)
	for _, f := range files {
		in := &inodes[f.Inode]
		if in.Size == 0 || !in.Hashed || seen[f.Inode] {
			continue
		}
		seen[f.Inode] = true
		k := key{in.Size, in.Hash}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], "/"+f.Path)
	}
	out := []Duplicate{}
	for _, k := range order {
		paths := groups[k]
		if len(paths) < 2 {
			continue
		}
		out = append(out, Duplicate{
			Digest: "sha256:" + hex.EncodeToString(k.hash[:]),
			Size:   k.size,
			Paths:  paths,
			Bytes:  k.size * int64(len(paths)-1),
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Paths[0] < out[j].Paths[0]
	})
	return out
}

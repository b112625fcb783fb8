package account

import (
	"cmp"
	"slices"
	"strings"
)

// SizeNode is a directory or a file of the final filesystem with the
// visible bytes at or under it: a node of the size chart of an image.
type SizeNode struct {
	// Name is the base name ("/" for the root); Path is absolute.
	Name, Path string
	// Dir is true for a directory.
	Dir bool
	// Bytes and Files: the visible regular files at or under the node, a
	// hard-linked file once (under its first name in path order).
	Bytes, Files int64
	// Children are the directories and files under a directory that hold
	// at least the tree's minimum bytes, down to its depth, largest first
	// (then by name). Their bytes add up to at most Bytes; the rest is in
	// smaller entries.
	Children []*SizeNode
}

// SizeTree sums the visible files of a report (Report.VisibleFiles, from
// WithVisibleFiles) by directory: the root, and under it every directory
// and file of at least minBytes down to depth levels below the root
// (depth 1: the top directories only). Its root's bytes and files are the
// image's VisibleBytes and Files. Without visible files it returns a root
// of 0 bytes.
func SizeTree(files []VisibleFile, depth int, minBytes int64) *SizeNode {
	// A file is known by its first name in path order.
	first := make(map[int]int, len(files))
	for i := range files {
		if j, ok := first[files[i].File]; !ok || files[i].Path < files[j].Path {
			first[files[i].File] = i
		}
	}
	type node struct {
		n    SizeNode
		kids map[string]*node
	}
	root := &node{n: SizeNode{Name: "/", Path: "/", Dir: true}}
	for _, i := range first {
		f := &files[i]
		cur := root
		cur.n.Bytes += f.Bytes
		cur.n.Files++
		parts := strings.Split(f.Path, "/")
		for k, name := range parts {
			if k == depth {
				break
			}
			isFile := k == len(parts)-1
			if isFile && f.Bytes < minBytes {
				break
			}
			if cur.kids == nil {
				cur.kids = map[string]*node{}
			}
			next := cur.kids[name]
			if next == nil {
				next = &node{n: SizeNode{Name: name, Path: "/" + strings.Join(parts[:k+1], "/"), Dir: !isFile}}
				cur.kids[name] = next
			}
			next.n.Bytes += f.Bytes
			next.n.Files++
			cur = next
		}
	}
	var build func(*node) *SizeNode
	build = func(x *node) *SizeNode {
		out := x.n
		for _, k := range x.kids {
			if k.n.Bytes >= minBytes && k.n.Bytes > 0 {
				out.Children = append(out.Children, build(k))
			}
		}
		slices.SortFunc(out.Children, func(a, b *SizeNode) int {
			return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.Name, b.Name))
		})
		return &out
	}
	return build(root)
}

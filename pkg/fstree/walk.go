package fstree

import "strings"

// Node is one visible path of the merged filesystem, as Walk reports it.
type Node struct {
	// Path is relative to the root, without a leading slash.
	Path string
	// Type is TypeReg (a regular file, or a hard link to one), TypeDir,
	// or TypeOther for anything else: a symbolic link, a device, a fifo,
	// or a hard link whose target was not a regular file. The records
	// that made the node tell these apart.
	Type Type
	// Layer is the layer of the entry that made the node. For a
	// directory it is the last layer that wrote an entry for it, or that
	// made it as the parent of an entry (a directory no entry names).
	Layer int
	// Inode indexes Tree.Inode for TypeReg; -1 otherwise.
	Inode int
}

// Walk calls fn for every visible path of the tree, the root excepted: a
// directory before what it holds, otherwise in no particular order.
func (t *Tree) Walk(fn func(Node)) {
	var walk func(n int32, p string)
	walk = func(n int32, p string) {
		for ci := t.n(n).first; ci >= 0; ci = t.n(ci).next {
			c := t.n(ci)
			switch c.kind {
			case nodeDir:
				cp := join(p, c.name)
				fn(Node{Path: cp, Type: TypeDir, Layer: int(c.layer), Inode: -1})
				walk(ci, cp)
			case nodeReg:
				if c.ino < 0 {
					break // a tree of paths only
				}
				// As in FilesUnordered, the entry's own path is reused
				// when it names the file.
				cp := t.Inode(int(c.ino)).Path
				if !isJoin(cp, p, c.name) {
					cp = join(p, c.name)
				}
				fn(Node{Path: cp, Type: TypeReg, Layer: int(c.layer), Inode: int(c.ino)})
			default:
				fn(Node{Path: join(p, c.name), Type: TypeOther, Layer: int(c.layer), Inode: -1})
			}
		}
	}
	walk(root, "")
}

// isJoin reports whether p is join(dir, name).
func isJoin(p, dir, name string) bool {
	if dir == "" {
		return p == name
	}
	return len(p) == len(dir)+1+len(name) && p[len(dir)] == '/' &&
		strings.HasPrefix(p, dir) && strings.HasSuffix(p, name)
}

// join is dir/name, or name at the root.
func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

package fstree

import (
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/layer"
)

// Reasons a regular file's bytes are not visible in the final filesystem
// (the same words as account's Reason constants).
const (
	ReasonOverwritten    = "overwritten"
	ReasonDeleted        = "deleted"
	ReasonOpaque         = "opaque"
	ReasonParentDeleted  = "parent-deleted"
	ReasonParentReplaced = "parent-replaced"
)

// kinds of node
const (
	nodeDir uint8 = iota
	nodeReg
	nodeOther // symlink, device, fifo, dangling hard link
)

type node struct {
	name     string
	parent   *node
	children map[string]*node // directories only
	layer    int32            // layer of the entry that made the node
	ino      int32            // index into Tree.inodes for regular files
	kind     uint8
}

// Inode is one regular file's content as shipped by one tar entry, maybe
// named by several paths through hard links.
type Inode struct {
	// Path is the entry's path, Layer its layer.
	Path string
	Size int64
	// Hash is the content's XXH3-128, when Hashed (see Record.Hash).
	Hash  [16]byte
	Layer int32
	// Links is the number of visible names of the file.
	Links int32
	// ShadowedBy is the layer whose entry took the last visible name
	// away (when Links is 0); Reason says how.
	ShadowedBy int32
	Hashed     bool
	reason     uint8 // index into reasons
}

// reasons are the words of Inode.Reason, by code.
var reasons = [...]string{"", ReasonOverwritten, ReasonDeleted, ReasonOpaque, ReasonParentDeleted, ReasonParentReplaced}

// reason codes (the index of each word in reasons)
const (
	codeOverwritten uint8 = iota + 1
	codeDeleted
	codeOpaque
	codeParentDeleted
	codeParentReplaced
)

// Reason says why the last visible name of the file went away (one of
// the Reason constants), when Links is 0; "" otherwise.
func (in *Inode) Reason() string { return reasons[in.reason] }

// inodeChunk is how many inodes are allocated at once: chunks, unlike one
// growing slice, are never copied.
const inodeChunk = 4096

// LayerStats counts what one layer did to the merged filesystem.
type LayerStats struct {
	// Added: non-directory entries at paths not visible in the layers below.
	// Modified: non-directory entries at paths visible in the layers below.
	// Deleted: non-directory paths of the layers below removed from view by
	// this layer's whiteouts and opaque markers (paths under a deleted
	// directory included).
	Added, Modified, Deleted int64
}

// Tree is the merged filesystem of the layers applied so far.
type Tree struct {
	root    *node
	inodes  [][]Inode // chunks of inodeChunk
	ninodes int
	slab    []node // nodes are allocated from here, in blocks
	layers  int
	removed map[string]bool // paths removed by the current layer's whiteouts
	pathBuf []byte          // reused by removeChildren
	// pathsOnly: no inodes are made (NewPathsOnly).
	pathsOnly bool
}

// New returns an empty tree.
func New() *Tree {
	return &Tree{
		root: &node{children: map[string]*node{}, layer: -1, ino: -1, kind: nodeDir},
	}
}

// NewPathsOnly returns an empty tree that follows the paths and their
// kinds only, for checking hard links (Apply's errors): it makes no
// inodes (NumInodes stays 0, Files and Walk report no regular files),
// which saves their bytes.
func NewPathsOnly() *Tree {
	t := New()
	t.pathsOnly = true
	return t
}

// NumInodes returns the number of regular file entries applied so far.
func (t *Tree) NumInodes() int { return t.ninodes }

// Inode returns the i-th regular file entry applied (0 <= i < NumInodes),
// in the order applied; Links says whether it is visible.
func (t *Tree) Inode(i int) *Inode { return &t.inodes[i/inodeChunk][i%inodeChunk] }

func (t *Tree) newInode(in Inode) int32 {
	if t.ninodes%inodeChunk == 0 {
		t.inodes = append(t.inodes, make([]Inode, 0, inodeChunk))
	}
	c := len(t.inodes) - 1
	t.inodes[c] = append(t.inodes[c], in)
	t.ninodes++
	return int32(t.ninodes - 1)
}

// newNode allocates a node from the current block.
func (t *Tree) newNode(n node) *node {
	if len(t.slab) == cap(t.slab) {
		t.slab = make([]node, 0, 1024)
	}
	t.slab = append(t.slab, n)
	return &t.slab[len(t.slab)-1]
}

// lookup finds the node at p without creating anything, not following
// symlinks; nil when absent.
func (t *Tree) lookup(p string) *node {
	n := t.root
	if p == "" {
		return n
	}
	for p != "" {
		if n.children == nil {
			return nil
		}
		var c string
		c, p, _ = strings.Cut(p, "/")
		n = n.children[c]
		if n == nil {
			return nil
		}
	}
	return n
}

// Apply merges one layer's records (in tar order) on top of the tree.
// Layers must be applied bottom first, with increasing index. A hard link
// whose target is missing or a directory, in the layers below or before
// it in this layer, stops it with the *layer.InvalidEntryError of
// layer.CheckLink (its Layer left for the caller to name).
func (t *Tree) Apply(idx int, recs []Record) (LayerStats, error) {
	var st LayerStats
	t.layers = idx + 1
	t.removed = map[string]bool{}
	// Whiteouts and opaque markers hide LOWER layers only: apply them all
	// before any entry of this layer.
	for i := range recs {
		r := &recs[i]
		switch r.Type {
		case TypeWhiteout:
			n := t.lookup(r.Path)
			if n == nil || n == t.root {
				continue
			}
			if n.kind == nodeDir {
				st.Deleted += t.removeChildren(n, r.Path, codeParentDeleted, idx)
			} else {
				st.Deleted++
			}
			t.removed[r.Path] = true
			t.drop(n, codeDeleted, idx)
		case TypeOpaque:
			n := t.lookup(r.Path)
			if n == nil || n.kind != nodeDir {
				continue
			}
			st.Deleted += t.removeChildren(n, r.Path, codeOpaque, idx)
		}
	}
	for i := range recs {
		r := &recs[i]
		switch r.Type {
		case TypeWhiteout, TypeOpaque, TypeMeta:
			continue
		}
		if err := t.add(idx, r, &st); err != nil {
			t.removed = nil
			return st, err
		}
	}
	t.removed = nil
	return st, nil
}

// parentOf returns the directory that holds p, creating missing
// directories and replacing non-directories in the way (their bytes are
// then overwritten: a tar extractor would have to remove them).
func (t *Tree) parentOf(idx int, p string) (*node, string) {
	n := t.root
	for {
		c, rest, more := strings.Cut(p, "/")
		if !more {
			return n, c
		}
		next := n.children[c]
		if next == nil || next.kind != nodeDir {
			if next != nil {
				t.drop(next, codeOverwritten, idx)
			}
			next = t.newNode(node{name: c, parent: n, children: map[string]*node{}, layer: int32(idx), ino: -1, kind: nodeDir})
			n.children[next.name] = next
		}
		n, p = next, rest
	}
}

func (t *Tree) add(idx int, r *Record, st *LayerStats) error {
	if r.Type == TypeHardlink {
		target := t.lookup(r.Link)
		kind := layer.TargetOther
		switch {
		case target == nil:
			kind = layer.TargetMissing
		case target.kind == nodeDir:
			kind = layer.TargetDir
		}
		if err := layer.CheckLink("", r.Path, r.Link, kind); err != nil {
			return err
		}
	}
	parent, name := t.parentOf(idx, r.Path)
	old := parent.children[name]
	if r.Type == TypeDir {
		if old != nil && old.kind == nodeDir {
			old.layer = int32(idx)
			return nil
		}
		if old != nil {
			t.drop(old, codeOverwritten, idx)
		}
		nn := t.newNode(node{name: name, parent: parent, children: map[string]*node{}, layer: int32(idx), ino: -1, kind: nodeDir})
		parent.children[nn.name] = nn
		return nil
	}
	nn := t.newNode(node{name: name, parent: parent, layer: int32(idx), ino: -1, kind: nodeOther})
	switch r.Type {
	case TypeReg:
		nn.kind = nodeReg
		if t.pathsOnly {
			break
		}
		nn.ino = t.newInode(Inode{Path: r.Path, Layer: int32(idx), Size: r.Size, Hashed: r.Hashed, Hash: r.Hash, Links: 1, ShadowedBy: -1})
	case TypeHardlink:
		// Resolve the target before removing what the link replaces.
		if tn := t.lookup(r.Link); tn != nil && tn.kind == nodeReg {
			nn.kind, nn.ino = nodeReg, tn.ino
			if tn.ino >= 0 {
				t.Inode(int(tn.ino)).Links++
			}
		}
	}
	switch {
	case old == nil:
		if t.removed[r.Path] {
			st.Modified++
		} else {
			st.Added++
		}
	case int(old.layer) < idx:
		st.Modified++
	}
	if old != nil {
		if old.kind == nodeDir {
			t.removeChildren(old, r.Path, codeParentReplaced, idx)
		}
		t.drop(old, codeOverwritten, idx)
	}
	parent.children[nn.name] = nn
	return nil
}

// drop unlinks n from its parent; a regular file loses one visible name.
// Children of a directory must have been removed before.
func (t *Tree) drop(n *node, reason uint8, idx int) {
	if n.parent != nil && n.parent.children[n.name] == n {
		delete(n.parent.children, n.name)
	}
	if n.kind == nodeReg {
		t.unlink(n.ino, reason, idx)
	}
	if n.kind == nodeDir && len(n.children) > 0 {
		t.removeChildren(n, t.pathOf(n), reason, idx)
	}
}

func (t *Tree) unlink(ino int32, reason uint8, idx int) {
	if ino < 0 {
		return // a tree of paths only
	}
	in := t.Inode(int(ino))
	in.Links--
	if in.Links == 0 {
		in.reason, in.ShadowedBy = reason, int32(idx)
	}
}

// removeChildren removes everything under directory n (at path p) and
// returns the number of non-directory paths removed.
func (t *Tree) removeChildren(n *node, p string, reason uint8, idx int) int64 {
	var count int64
	buf := append(t.pathBuf[:0], p...)
	for _, c := range n.children {
		var k int64
		k, buf = t.removeSubtree(c, buf, reason, idx)
		count += k
	}
	t.pathBuf = buf
	n.children = map[string]*node{}
	return count
}

// removeSubtree removes n, whose parent's path is in buf, and everything
// under it. The path of each node is built in buf, one name at a time, and
// made a string only for a non-directory recorded in t.removed: never one
// copy of a full path per level, which would make a deep path cost the
// square of its depth.
func (t *Tree) removeSubtree(n *node, buf []byte, reason uint8, idx int) (int64, []byte) {
	mark := len(buf)
	if mark > 0 {
		buf = append(buf, '/')
	}
	buf = append(buf, n.name...)
	var count int64
	if n.kind == nodeDir {
		for _, c := range n.children {
			var k int64
			k, buf = t.removeSubtree(c, buf, reason, idx)
			count += k
		}
		n.children = nil
	} else {
		count = 1
		if t.removed != nil {
			t.removed[string(buf)] = true
		}
	}
	if n.kind == nodeReg {
		t.unlink(n.ino, reason, idx)
	}
	return count, buf[:mark]
}

// File is a visible regular file of the final filesystem.
type File struct {
	Path string
	// Inode indexes Tree.Inode; hard-linked names share it.
	Inode int
}

// Files returns the visible regular files (every name, hard links
// included) in path order (byte order of the full path).
func (t *Tree) Files() []File {
	out := t.FilesUnordered()
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// FilesUnordered returns the same files as Files, in no particular order
// (and without the cost of sorting them).
func (t *Tree) FilesUnordered() []File {
	out := make([]File, 0, t.ninodes)
	// The path of the node visited is built in one buffer, a name at a
	// time: a string is made only for a file, and only when the entry
	// that made it named it otherwise (a hard link, a path written
	// differently), so a deep path costs its length, not its length
	// times its depth.
	buf := make([]byte, 0, 256)
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.children {
			mark := len(buf)
			if mark > 0 {
				buf = append(buf, '/')
			}
			buf = append(buf, c.name...)
			switch c.kind {
			case nodeDir:
				walk(c)
			case nodeReg:
				if c.ino < 0 {
					break // a tree of paths only
				}
				cp := t.Inode(int(c.ino)).Path
				if cp != string(buf) {
					cp = string(buf)
				}
				out = append(out, File{Path: cp, Inode: int(c.ino)})
			}
			buf = buf[:mark]
		}
	}
	walk(t.root)
	return out
}

// pathOf returns the path of n, built from the root down.
func (t *Tree) pathOf(n *node) string {
	var names []string
	for ; n != nil && n != t.root; n = n.parent {
		names = append(names, n.name)
	}
	slices.Reverse(names)
	return strings.Join(names, "/")
}

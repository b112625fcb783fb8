package fstree

import (
	"hash/maphash"
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

// node is one path of the tree. Nodes are known by their index (a
// node's index never changes: they are allocated in chunks that are never
// copied); a directory's children are a list, found by name through the
// tree's index of (parent, name).
type node struct {
	name string // a part of the path of the entry that made the node
	// parent is the directory holding the node (-1 for the root); first
	// a directory's first child, next and prev the node's siblings (-1:
	// none).
	parent, first, next, prev int32
	layer                     int32 // layer of the entry that made the node
	ino                       int32 // index into Tree.inodes for regular files
	kind                      uint8
	linked                    bool // in its parent's list and the index
}

// nodeChunk is how many nodes are allocated at once.
const nodeChunk = 1024

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
	nodes   [][]node // chunks of nodeChunk; node 0 is the root
	nnodes  int32
	inodes  [][]Inode // chunks of inodeChunk
	ninodes int
	// index finds a child by its parent and name: open addressing with
	// linear probing, each slot a node's index plus one (0: empty).
	index   []int32
	indexed int
	seed    maphash.Seed
	layers  int
	removed map[string]bool // paths removed by the current layer's whiteouts
	pathBuf []byte          // reused by removeChildren
	// pathsOnly: no inodes are made (NewPathsOnly).
	pathsOnly bool
}

// initialIndex is the first size of the index (a power of two).
const initialIndex = 64

// root is the index of the root node.
const root int32 = 0

// New returns an empty tree.
func New() *Tree {
	t := &Tree{index: make([]int32, initialIndex), seed: maphash.MakeSeed()}
	t.newNode("", -1, -1, nodeDir)
	return t
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

// n returns node i.
func (t *Tree) n(i int32) *node { return &t.nodes[i/nodeChunk][i%nodeChunk] }

// newNode allocates a node, not yet linked to its parent.
func (t *Tree) newNode(name string, parent int32, layer int, kind uint8) int32 {
	if t.nnodes%nodeChunk == 0 {
		t.nodes = append(t.nodes, make([]node, 0, nodeChunk))
	}
	c := len(t.nodes) - 1
	t.nodes[c] = append(t.nodes[c], node{name: name, parent: parent, first: -1, next: -1, prev: -1, layer: int32(layer), ino: -1, kind: kind})
	t.nnodes++
	return t.nnodes - 1
}

// home is the slot of (parent, name) in the index when nothing is in the
// way.
func (t *Tree) home(parent int32, name string) int {
	h := maphash.String(t.seed, name) ^ uint64(uint32(parent))*0x9e3779b97f4a7c15
	h ^= h >> 32
	return int(h & uint64(len(t.index)-1))
}

// child returns the child of directory parent named name, or -1.
func (t *Tree) child(parent int32, name string) int32 {
	mask := len(t.index) - 1
	for j := t.home(parent, name); ; j = (j + 1) & mask {
		v := t.index[j]
		if v == 0 {
			return -1
		}
		if c := t.n(v - 1); c.parent == parent && c.name == name {
			return v - 1
		}
	}
}

// link adds node i to its parent's children, where no child has its name.
func (t *Tree) link(i int32) {
	if (t.indexed+1)*4 > len(t.index)*3 {
		old := t.index
		t.index = make([]int32, 2*len(old))
		for _, v := range old {
			if v != 0 {
				t.put(v)
			}
		}
	}
	t.put(i + 1)
	t.indexed++
	nd := t.n(i)
	p := t.n(nd.parent)
	nd.next, nd.prev, nd.linked = p.first, -1, true
	if p.first >= 0 {
		t.n(p.first).prev = i
	}
	p.first = i
}

// put stores v (a node's index plus one) in the first free slot from its
// home.
func (t *Tree) put(v int32) {
	nd := t.n(v - 1)
	mask := len(t.index) - 1
	j := t.home(nd.parent, nd.name)
	for t.index[j] != 0 {
		j = (j + 1) & mask
	}
	t.index[j] = v
}

// unindex removes node i from the index (moving back the entries after
// it that would no longer be found) and marks it unlinked; its parent's
// list is the caller's.
func (t *Tree) unindex(i int32) {
	nd := t.n(i)
	mask := len(t.index) - 1
	j := t.home(nd.parent, nd.name)
	for t.index[j] != i+1 {
		j = (j + 1) & mask
	}
	for {
		t.index[j] = 0
		k := j
		for {
			k = (k + 1) & mask
			v := t.index[k]
			if v == 0 {
				t.indexed--
				nd.linked = false
				return
			}
			c := t.n(v - 1)
			h := t.home(c.parent, c.name)
			// The entry at k stays when its home lies cyclically in
			// (j, k]; otherwise it moves to j.
			if j <= k && j < h && h <= k || j > k && (j < h || h <= k) {
				continue
			}
			t.index[j] = v
			j = k
			break
		}
	}
}

// unlinkNode removes node i from its parent's children.
func (t *Tree) unlinkNode(i int32) {
	t.unindex(i)
	nd := t.n(i)
	if nd.prev >= 0 {
		t.n(nd.prev).next = nd.next
	} else {
		t.n(nd.parent).first = nd.next
	}
	if nd.next >= 0 {
		t.n(nd.next).prev = nd.prev
	}
	nd.next, nd.prev = -1, -1
}

// lookup finds the node at p without creating anything, not following
// symlinks; -1 when absent.
func (t *Tree) lookup(p string) int32 {
	n := root
	for p != "" {
		if t.n(n).kind != nodeDir {
			return -1
		}
		var c string
		c, p, _ = strings.Cut(p, "/")
		n = t.child(n, c)
		if n < 0 {
			return -1
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
			if n <= root {
				continue
			}
			if t.n(n).kind == nodeDir {
				st.Deleted += t.removeChildren(n, r.Path, codeParentDeleted, idx)
			} else {
				st.Deleted++
			}
			t.removed[r.Path] = true
			t.drop(n, codeDeleted, idx)
		case TypeOpaque:
			n := t.lookup(r.Path)
			if n < 0 || t.n(n).kind != nodeDir {
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
func (t *Tree) parentOf(idx int, p string) (int32, string) {
	n := root
	for {
		c, rest, more := strings.Cut(p, "/")
		if !more {
			return n, c
		}
		next := t.child(n, c)
		if next < 0 || t.n(next).kind != nodeDir {
			if next >= 0 {
				t.drop(next, codeOverwritten, idx)
			}
			next = t.newNode(c, n, idx, nodeDir)
			t.link(next)
		}
		n, p = next, rest
	}
}

func (t *Tree) add(idx int, r *Record, st *LayerStats) error {
	if r.Type == TypeHardlink {
		target := t.lookup(r.Link)
		kind := layer.TargetOther
		switch {
		case target < 0:
			kind = layer.TargetMissing
		case t.n(target).kind == nodeDir:
			kind = layer.TargetDir
		}
		if err := layer.CheckLink("", r.Path, r.Link, kind); err != nil {
			return err
		}
	}
	parent, name := t.parentOf(idx, r.Path)
	old := t.child(parent, name)
	if r.Type == TypeDir {
		if old >= 0 && t.n(old).kind == nodeDir {
			t.n(old).layer = int32(idx)
			return nil
		}
		if old >= 0 {
			t.drop(old, codeOverwritten, idx)
		}
		t.link(t.newNode(name, parent, idx, nodeDir))
		return nil
	}
	ni := t.newNode(name, parent, idx, nodeOther)
	nn := t.n(ni)
	switch r.Type {
	case TypeReg:
		nn.kind = nodeReg
		if t.pathsOnly {
			break
		}
		nn.ino = t.newInode(Inode{Path: r.Path, Layer: int32(idx), Size: r.Size, Hashed: r.Hashed, Hash: r.Hash, Links: 1, ShadowedBy: -1})
	case TypeHardlink:
		// Resolve the target before removing what the link replaces.
		if tn := t.lookup(r.Link); tn >= 0 && t.n(tn).kind == nodeReg {
			nn.kind, nn.ino = nodeReg, t.n(tn).ino
			if nn.ino >= 0 {
				t.Inode(int(nn.ino)).Links++
			}
		}
	}
	switch {
	case old < 0:
		if t.removed[r.Path] {
			st.Modified++
		} else {
			st.Added++
		}
	case int(t.n(old).layer) < idx:
		st.Modified++
	}
	if old >= 0 {
		if t.n(old).kind == nodeDir {
			t.removeChildren(old, r.Path, codeParentReplaced, idx)
		}
		t.drop(old, codeOverwritten, idx)
	}
	t.link(ni)
	return nil
}

// drop unlinks n from its parent; a regular file loses one visible name.
// Children of a directory must have been removed before.
func (t *Tree) drop(n int32, reason uint8, idx int) {
	nd := t.n(n)
	if nd.linked {
		t.unlinkNode(n)
	}
	if nd.kind == nodeReg {
		t.unlink(nd.ino, reason, idx)
	}
	if nd.kind == nodeDir && nd.first >= 0 {
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
func (t *Tree) removeChildren(n int32, p string, reason uint8, idx int) int64 {
	var count int64
	buf := append(t.pathBuf[:0], p...)
	for c := t.n(n).first; c >= 0; {
		next := t.n(c).next
		var k int64
		k, buf = t.removeSubtree(c, buf, reason, idx)
		count += k
		c = next
	}
	t.pathBuf = buf
	t.n(n).first = -1
	return count
}

// removeSubtree removes n, whose parent's path is in buf, and everything
// under it. The path of each node is built in buf, one name at a time, and
// made a string only for a non-directory recorded in t.removed: never one
// copy of a full path per level, which would make a deep path cost the
// square of its depth.
func (t *Tree) removeSubtree(n int32, buf []byte, reason uint8, idx int) (int64, []byte) {
	nd := t.n(n)
	mark := len(buf)
	if mark > 0 {
		buf = append(buf, '/')
	}
	buf = append(buf, nd.name...)
	var count int64
	if nd.kind == nodeDir {
		for c := nd.first; c >= 0; {
			next := t.n(c).next
			var k int64
			k, buf = t.removeSubtree(c, buf, reason, idx)
			count += k
			c = next
		}
		nd.first = -1
	} else {
		count = 1
		if t.removed != nil {
			t.removed[string(buf)] = true
		}
	}
	if nd.kind == nodeReg {
		t.unlink(nd.ino, reason, idx)
	}
	if nd.linked {
		t.unindex(n)
	}
	nd.next, nd.prev = -1, -1
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
	var walk func(n int32)
	walk = func(n int32) {
		for ci := t.n(n).first; ci >= 0; ci = t.n(ci).next {
			c := t.n(ci)
			mark := len(buf)
			if mark > 0 {
				buf = append(buf, '/')
			}
			buf = append(buf, c.name...)
			switch c.kind {
			case nodeDir:
				walk(ci)
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
	walk(root)
	return out
}

// pathOf returns the path of n, built from the root down.
func (t *Tree) pathOf(n int32) string {
	var names []string
	for ; n > root; n = t.n(n).parent {
		names = append(names, t.n(n).name)
	}
	slices.Reverse(names)
	return strings.Join(names, "/")
}

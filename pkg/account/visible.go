package account

import (
	"github.com/whittle/whittle/pkg/fstree"
)

// WithVisiblePaths turns on the metadata of every visible path of the
// final filesystem (default off): the mode and owner of each file of
// Report.VisibleFiles, and Report.VisibleOthers, the visible paths that
// are not regular files (directories, symbolic links, devices, fifos)
// with theirs. It implies WithVisibleFiles. Memory grows with the number
// of paths: a few bytes per regular file, and one small record per path
// of any other kind over all layers.
func WithVisiblePaths(enabled bool) Option {
	return func(o *options) error {
		o.visiblePaths = enabled
		if enabled {
			o.visibleFiles = true
		}
		return nil
	}
}

// owner is the owner of one tar entry.
type owner struct{ uid, gid int32 }

// modeBits keeps the permission bits of a tar header's mode, with
// setuid, setgid and sticky; some writers add the file type's bits.
const modeBits = 0o7777

// fileMeta is the mode and owner of one inode.
type fileMeta struct {
	mode uint16
	owner
}

// otherMeta is the last non-regular entry a layer wrote at a path.
type otherMeta struct {
	layer int32
	typ   fstree.Type
	mode  uint16
	owner
	target string
}

// pathMeta follows the metadata of the merged filesystem, layer by layer:
// the mode and owner of every inode, and the last non-regular entry at
// each path. A node of the tree made by the same layer as the entry
// recorded at its path is that entry's; any other directory was made as
// a parent.
type pathMeta struct {
	files  []fileMeta
	others map[string]otherMeta
}

func newPathMeta() *pathMeta { return &pathMeta{others: map[string]otherMeta{}} }

// add records the entries of layer idx, just merged: its regular-file
// records made the tree's inodes from base on, in order.
func (m *pathMeta) add(idx int, s *layerScan) {
	for k := range s.records {
		r := &s.records[k]
		var ow owner
		if k < len(s.owners) {
			ow = s.owners[k]
		}
		switch r.Type {
		case fstree.TypeReg:
			m.files = append(m.files, fileMeta{mode: uint16(r.Mode & modeBits), owner: ow})
			if len(m.others) > 0 {
				delete(m.others, r.Path) // a file replaced what was there
			}
		case fstree.TypeDir, fstree.TypeSymlink, fstree.TypeOther, fstree.TypeHardlink:
			om := otherMeta{layer: int32(idx), typ: r.Type, mode: uint16(r.Mode & modeBits), owner: ow}
			if r.Type == fstree.TypeSymlink {
				om.target = r.Link
			}
			m.others[r.Path] = om
		}
	}
}

// file fills f's mode and owner.
func (m *pathMeta) file(f *VisibleFile) {
	if f.File < len(m.files) {
		fm := m.files[f.File]
		f.Mode, f.UID, f.GID = int64(fm.mode), int(fm.uid), int(fm.gid)
	}
}

// result lists the visible paths of the tree that are not regular files.
func (m *pathMeta) result(tree *fstree.Tree) []VisibleOther {
	out := []VisibleOther{}
	tree.Walk(func(n fstree.Node) {
		if n.Type == fstree.TypeReg {
			return
		}
		v := VisibleOther{Path: n.Path, Layer: n.Layer, Type: TypeOther}
		om, ok := m.others[n.Path]
		ok = ok && int(om.layer) == n.Layer
		switch {
		case n.Type == fstree.TypeDir:
			v.Type = TypeDir
			v.Implicit = !ok || om.typ != fstree.TypeDir
		case ok && om.typ == fstree.TypeSymlink:
			v.Type, v.Target = TypeSymlink, om.target
		}
		if ok && !v.Implicit {
			v.Mode, v.UID, v.GID = int64(om.mode), int(om.uid), int(om.gid)
		}
		out = append(out, v)
	})
	return out
}

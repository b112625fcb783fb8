package account

import (
	"archive/tar"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// This file gives each layer's entries as dive's JSON export lists them
// (github.com/wagoodman/dive, cmd/dive/cli/internal/command/export and
// dive/filetree): the layer's tree, made as dive's FileTree.AddPath makes
// it, visited children first with names sorted, the root left out.

// DiveFileInfo is one node of a layer's tree as dive's export writes it
// (dive's filetree.FileInfo), in dive's field order and names: what the
// last tar entry at the node's path says, or all zero for a parent
// directory no entry of the layer names.
type DiveFileInfo struct {
	// Path is the entry's name as the tar header gives it, cleaned
	// (path.Clean: "./a/" is "a", "/a" stays "/a"); whiteouts keep their
	// ".wh." name.
	Path string `json:"path"`
	// TypeFlag is the tar header's type flag ('0' is 48, '5' 53).
	TypeFlag byte `json:"typeFlag"`
	// LinkName is the header's link name, as written.
	LinkName string `json:"linkName"`
	// Size is the size the header declares.
	Size int64 `json:"size"`
	// Mode is Go's fs.FileMode of the header (archive/tar's
	// FileInfo().Mode(): permissions, setuid/setgid/sticky, the type
	// bits; a directory 0755 is 2147484141).
	Mode fs.FileMode `json:"fileMode"`
	UID  int         `json:"uid"`
	GID  int         `json:"gid"`
	// IsDir is Mode's directory bit.
	IsDir bool `json:"isDir"`
}

// DiveLayer is one layer's part of dive's export.
type DiveLayer struct {
	Index int
	// SizeBytes is the sum of the sizes of all the layer's entries (dive's
	// layer size: what Dive.SizeBytes adds up).
	SizeBytes int64
	// Files is the layer's tree in dive's order (see DiveFileInfo).
	Files []DiveFileInfo
}

// WithDiveExport calls fn with each layer's part of dive's JSON export,
// bottom layer first, as soon as the layer and those below it are read;
// an error from fn stops the analysis. The files are fn's to keep; they
// are not kept by Analyze. The export's image figures are Report.Dive
// (WithDive(false) is then an error). Layers are read from their blobs,
// not from a layer cache (which keeps no tar headers).
func WithDiveExport(fn func(*DiveLayer) error) Option {
	return func(o *options) error {
		if fn == nil {
			return errors.New("nil dive export function")
		}
		o.diveExport = fn
		return nil
	}
}

// diveFileInfo is dive's FileInfo of a tar header.
func diveFileInfo(h *tar.Header) DiveFileInfo {
	fi := h.FileInfo()
	return DiveFileInfo{
		Path:     path.Clean(h.Name),
		TypeFlag: h.Typeflag,
		LinkName: h.Linkname,
		Size:     fi.Size(),
		Mode:     fi.Mode(),
		UID:      h.Uid,
		GID:      h.Gid,
		IsDir:    fi.IsDir(),
	}
}

// xnode is a node of a layer's tree as dive makes it.
type xnode struct {
	info     int // index of the entry that gives its data; -1: none
	children map[string]*xnode
}

// DiveLayerFiles returns the nodes of the tree dive makes of a layer whose
// entries (in tar order) are given, in the order dive's export lists them:
// each entry is added at its cleaned path (missing parents made with
// zero data; a name starting ".wh..wh.." that is not there yet ends the
// adding, and is never made; the last entry at a path gives its data),
// then the tree is walked depth first, names in byte order, children
// before their parent, the root left out. "." (the root) is skipped, as
// dive skips it.
func DiveLayerFiles(entries []DiveFileInfo) []DiveFileInfo {
	root := &xnode{info: -1}
	n := 0
	for i := range entries {
		p := entries[i].Path
		if p == "." {
			continue
		}
		node := root
		names := strings.Split(strings.Trim(p, "/"), "/")
		for k, name := range names {
			if name == "" {
				continue
			}
			c := node.children[name]
			if c == nil {
				if strings.HasPrefix(name, diveDouble) {
					break
				}
				c = &xnode{info: -1}
				if node.children == nil {
					node.children = map[string]*xnode{}
				}
				node.children[name] = c
				n++
			}
			node = c
			if k == len(names)-1 {
				node.info = i
			}
		}
	}
	out := make([]DiveFileInfo, 0, n)
	var visit func(*xnode)
	visit = func(x *xnode) {
		keys := make([]string, 0, len(x.children))
		for k := range x.children {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			c := x.children[k]
			visit(c)
			if c.info >= 0 {
				out = append(out, entries[c.info])
			} else {
				out = append(out, DiveFileInfo{})
			}
		}
	}
	visit(root)
	return out
}

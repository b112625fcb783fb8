package fstree

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/layer"
)

func reg(p string, size int64) Record { return Record{Path: p, Type: TypeReg, Size: size} }
func dir(p string) Record             { return Record{Path: p, Type: TypeDir} }
func wh(p string) Record              { return Record{Path: p, Type: TypeWhiteout} }
func opq(p string) Record             { return Record{Path: p, Type: TypeOpaque} }
func link(p, target string) Record    { return Record{Path: p, Type: TypeHardlink, Link: target} }
func sym(p, target string) Record     { return Record{Path: p, Type: TypeSymlink, Link: target} }

type visible struct {
	path  string
	layer int32
	size  int64
}

func files(t *Tree) []visible {
	var out []visible
	for _, f := range t.Files() {
		in := t.Inode(f.Inode)
		out = append(out, visible{f.Path, in.Layer, in.Size})
	}
	return out
}

func TestTree(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers [][]Record
		stats  []LayerStats
		want   []visible
	}{
		{
			name:   "path order is byte order of the full path",
			layers: [][]Record{{reg("a/b", 1), reg("a.c", 2), reg("a-d", 3), reg("b", 4)}},
			stats:  []LayerStats{{Added: 4}},
			want:   []visible{{"a-d", 0, 3}, {"a.c", 0, 2}, {"a/b", 0, 1}, {"b", 0, 4}},
		},
		{
			name: "whiteout and re-add in one layer is a modification",
			layers: [][]Record{
				{reg("x", 1), dir("d"), reg("d/y", 2)},
				{reg("x", 3), wh("x"), opq("d"), reg("d/y", 4)},
			},
			stats: []LayerStats{{Added: 2}, {Modified: 2, Deleted: 2}},
			want:  []visible{{"d/y", 1, 4}, {"x", 1, 3}},
		},
		{
			name: "an entry under a file replaces the file with a directory",
			layers: [][]Record{
				{reg("f", 5)},
				{reg("f/g", 1)},
			},
			stats: []LayerStats{{Added: 1}, {Added: 1}},
			want:  []visible{{"f/g", 1, 1}},
		},
		{
			name: "hard link to a non-regular target carries no bytes",
			layers: [][]Record{
				{sym("s", "t"), link("l2", "s"), reg("t", 2), link("l3", "t")},
			},
			stats: []LayerStats{{Added: 4}},
			want:  []visible{{"l3", 0, 2}, {"t", 0, 2}},
		},
		{
			name: "whiteout of the root or of a missing path does nothing",
			layers: [][]Record{
				{reg("a", 1)},
				{wh(""), wh("nope/x"), opq("nope"), opq("a")},
			},
			stats: []LayerStats{{Added: 1}, {}},
			want:  []visible{{"a", 0, 1}},
		},
		{
			name: "opaque root",
			layers: [][]Record{
				{reg("a", 1), dir("d"), reg("d/b", 2)},
				{opq(""), reg("c", 3)},
			},
			stats: []LayerStats{{Added: 2}, {Added: 1, Deleted: 2}},
			want:  []visible{{"c", 1, 3}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree := New()
			for i, l := range tc.layers {
				st, err := tree.Apply(i, l)
				if err != nil {
					t.Fatal(err)
				}
				if st != tc.stats[i] {
					t.Errorf("layer %d stats = %+v, want %+v", i, st, tc.stats[i])
				}
			}
			if got := files(tree); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("files = %+v, want %+v", got, tc.want)
			}
			un := tree.FilesUnordered()
			slices.SortFunc(un, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
			if all := tree.Files(); !reflect.DeepEqual(un, all) && len(all)+len(un) > 0 {
				t.Errorf("FilesUnordered, sorted = %+v, Files = %+v", un, all)
			}
			var visibleBytes, wasted, size int64
			seen := map[int]bool{}
			for _, f := range tree.Files() {
				if !seen[f.Inode] {
					seen[f.Inode] = true
					visibleBytes += tree.Inode(f.Inode).Size
				}
			}
			for i := 0; i < tree.NumInodes(); i++ {
				in := tree.Inode(i)
				size += in.Size
				if in.Links == 0 {
					wasted += in.Size
				}
				if (in.Links > 0) != seen[i] {
					t.Errorf("inode %d (%s): links %d, visible %v", i, in.Path, in.Links, seen[i])
				}
			}
			if visibleBytes+wasted != size {
				t.Errorf("visible %d + wasted %d != size %d", visibleBytes, wasted, size)
			}
		})
	}
}

// A hard link to nothing, to a directory (the root included) or to an
// entry that comes after it in its layer is refused with the error of
// layer.CheckLink; a link to an entry of a lower layer, or to one before
// it in its own, is not.
func TestApplyInvalidLinks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers [][]Record
		reason string
	}{
		{"to nothing", [][]Record{{reg("a", 1), link("l", "b")}}, layer.InvalidLinkMissing},
		{"to a directory", [][]Record{{dir("d"), reg("d/a", 1)}, {link("l", "d")}}, layer.InvalidLinkDir},
		{"to the root", [][]Record{{link("l", "")}}, layer.InvalidLinkDir},
		{"to a later entry of its layer", [][]Record{{link("l", "a"), reg("a", 1)}}, layer.InvalidLinkMissing},
		{"to what a whiteout of its layer removed", [][]Record{{reg("a", 1)}, {wh("a"), link("l", "a")}}, layer.InvalidLinkMissing},
		{"to an entry of a lower layer", [][]Record{{reg("a", 1)}, {link("l", "a")}}, ""},
		{"to an earlier entry of its layer", [][]Record{{reg("a", 1), link("l", "a")}}, ""},
	} {
		// A tree of paths only (squash's check) says the same.
		for _, mk := range []struct {
			name string
			new  func() *Tree
		}{{"full", New}, {"paths only", NewPathsOnly}} {
			t.Run(tc.name+"/"+mk.name, func(t *testing.T) {
				tree := mk.new()
				var err error
				for i, l := range tc.layers {
					if _, err = tree.Apply(i, l); err != nil {
						break
					}
				}
				var ie *layer.InvalidEntryError
				if tc.reason == "" {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				if !errors.As(err, &ie) || ie.Reason != tc.reason || ie.Path != "l" {
					t.Fatalf("err = %v, want %s", err, tc.reason)
				}
			})
		}
	}
}

package account

import (
	"context"
	"errors"
	"io/fs"
	"reflect"
	"testing"

	"github.com/whittle/whittle/internal/synth"
)

// TestDiveLayerFiles checks dive's tree of one layer, worked out by hand
// from dive's FileTree.AddPath and VisitDepthChildFirst.
func TestDiveLayerFiles(t *testing.T) {
	f := func(p string, size int64) DiveFileInfo {
		return DiveFileInfo{Path: p, TypeFlag: '0', Size: size, Mode: 0o644}
	}
	d := func(p string) DiveFileInfo {
		return DiveFileInfo{Path: p, TypeFlag: '5', Mode: fs.ModeDir | 0o755, IsDir: true}
	}
	aFirst, aLast := d("a"), d("a")
	aLast.UID = 7
	entries := []DiveFileInfo{
		{Path: "."},            // the root: skipped
		f("b/x", 1),            // b made as a parent: zero data
		aFirst,                 // replaced by the later entry at "a"
		f("a/.wh.y", 0),        // a whiteout is a node like any other
		f("c/.wh..wh..opq", 0), // c made, the marker never
		f("/abs", 2),           // the name as written: "/abs", node "abs"
		f("a-b", 3),            // "a" < "a-b" < "abs": names compared whole
		f("Z", 4),              // upper case sorts first (bytes)
		aLast,
		f(".wh..wh..plnk/q", 5), // nothing made
	}
	want := []DiveFileInfo{
		f("Z", 4),
		f("a/.wh.y", 0), // children before their parent
		aLast,
		f("a-b", 3),
		f("/abs", 2),
		f("b/x", 1),
		{}, // b
		{}, // c
	}
	got := DiveLayerFiles(entries)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got := DiveLayerFiles(nil); got == nil || len(got) != 0 {
		t.Errorf("no entries: %#v, want an empty list (dive writes [])", got)
	}
}

// TestDiveExportLayers runs Analyze with WithDiveExport on a synthetic
// image: each layer once, in order, with its header fields and the sum of
// its entries' sizes.
func TestDiveExportLayers(t *testing.T) {
	img := build(t, synth.Image{Layers: []synth.Layer{
		L(synth.Dir("etc"), synth.File("etc/a", "aaaa"), synth.Symlink("etc/l", "a")),
		L(synth.Whiteout("etc/a"), synth.File("etc/b", "bb")),
		L(),
	}})
	var got []DiveLayer
	rep, err := Analyze(context.Background(), img, WithDiveExport(func(l *DiveLayer) error {
		got = append(got, *l)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	dir := DiveFileInfo{Path: "etc", TypeFlag: '5', Mode: fs.ModeDir | 0o755, IsDir: true}
	want := []DiveLayer{
		{Index: 0, SizeBytes: 4, Files: []DiveFileInfo{
			{Path: "etc/a", TypeFlag: '0', Size: 4, Mode: 0o644},
			{Path: "etc/l", TypeFlag: '2', LinkName: "a", Mode: fs.ModeSymlink | 0o777},
			dir,
		}},
		{Index: 1, SizeBytes: 2, Files: []DiveFileInfo{
			{Path: "etc/.wh.a", TypeFlag: '0', Mode: 0},
			{Path: "etc/b", TypeFlag: '0', Size: 2, Mode: 0o644},
			{}, // etc: a parent no entry of the layer names
		}},
		{Index: 2, Files: []DiveFileInfo{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// The layers' sizes add up to dive's image size.
	if rep.Dive.SizeBytes != 6 {
		t.Errorf("dive size = %d, want 6", rep.Dive.SizeBytes)
	}

	// An error from the function stops the analysis.
	stop := errors.New("stop")
	if _, err := Analyze(context.Background(), img, WithDiveExport(func(*DiveLayer) error { return stop })); !errors.Is(err, stop) {
		t.Errorf("err = %v, want %v", err, stop)
	}
	if _, err := Analyze(context.Background(), img, WithDiveExport(nil)); err == nil {
		t.Error("a nil function is accepted")
	}
	if _, err := Analyze(context.Background(), img, WithDive(false), WithDiveExport(func(*DiveLayer) error { return nil })); err == nil {
		t.Error("an export without dive's figures is accepted")
	}
}

package account

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/synth"
)

// render writes a tree one node a line, indented by depth: "path bytes/files".
func render(n *SizeNode, depth int, b *strings.Builder) {
	kind := "f"
	if n.Dir {
		kind = "d"
	}
	fmt.Fprintf(b, "%s%s %s %d/%d\n", strings.Repeat("  ", depth), kind, n.Path, n.Bytes, n.Files)
	for _, c := range n.Children {
		render(c, depth+1, b)
	}
}

func TestSizeTree(t *testing.T) {
	files := []VisibleFile{
		{Path: "usr/bin/gcc", File: 1, Bytes: 500},
		{Path: "usr/bin/cc", File: 1, Bytes: 500}, // a hard link: once, as usr/bin/cc
		{Path: "usr/bin/make", File: 2, Bytes: 200},
		{Path: "usr/lib/x/libc.so", File: 3, Bytes: 1000},
		{Path: "usr/lib/x/tiny", File: 4, Bytes: 5},
		{Path: "usr/share/doc/a/copyright", File: 5, Bytes: 40},
		{Path: "etc/passwd", File: 6, Bytes: 60},
		{Path: "big", File: 7, Bytes: 3000},
	}
	var b strings.Builder
	render(SizeTree(files, 3, 100), 0, &b)
	want := `d / 4805/7
  f /big 3000/1
  d /usr 1745/5
    d /usr/lib 1005/2
      d /usr/lib/x 1005/2
    d /usr/bin 700/2
      f /usr/bin/cc 500/1
      f /usr/bin/make 200/1
`
	if b.String() != want {
		t.Errorf("SizeTree(depth 3, 100 bytes):\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	render(SizeTree(files, 1, 0), 0, &b)
	want = `d / 4805/7
  f /big 3000/1
  d /usr 1745/5
  d /etc 60/1
`
	if b.String() != want {
		t.Errorf("SizeTree(depth 1):\n%s\nwant:\n%s", b.String(), want)
	}
	if got := SizeTree(nil, 3, 0); got.Bytes != 0 || len(got.Children) != 0 || got.Path != "/" {
		t.Errorf("no files: %+v", got)
	}
}

// TestSizeTreeOfAnImage: the root of the tree is the image's visible bytes
// and files.
func TestSizeTreeOfAnImage(t *testing.T) {
	img := build(t, synth.Image{Layers: []synth.Layer{
		L(at("a/b/c", sz(100, 1)), synth.Hardlink("a/link", "a/b/c"), at("d", sz(7, 2)), at("a/e", sz(30, 3))),
		L(synth.Whiteout("a/e"), at("d", sz(9, 4))),
	}})
	rep, err := Analyze(context.Background(), img, WithVisibleFiles(true))
	if err != nil {
		t.Fatal(err)
	}
	tree := SizeTree(rep.VisibleFiles, 8, 1)
	if tree.Bytes != rep.Image.VisibleBytes || tree.Files != rep.Image.Files || tree.Bytes != 109 {
		t.Errorf("root %d bytes in %d files; visible %d in %d", tree.Bytes, tree.Files, rep.Image.VisibleBytes, rep.Image.Files)
	}
}

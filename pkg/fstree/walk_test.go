package fstree

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestWalk(t *testing.T) {
	tr := New()
	tr.Apply(0, []Record{dir("d"), reg("d/f", 1), sym("s", "d/f"), reg("gone", 2), dir("e")})
	tr.Apply(1, []Record{wh("gone"), reg("x/y", 3), link("h", "d/f"), dir("d")})
	var got []Node
	parents := map[string]bool{"": true}
	tr.Walk(func(n Node) {
		dir, _, _ := strings.Cut(n.Path, "/")
		if dir != n.Path && !parents[dir] {
			t.Errorf("%s before its directory", n.Path)
		}
		if n.Type == TypeDir {
			parents[n.Path] = true
		}
		got = append(got, n)
	})
	slices.SortFunc(got, func(a, b Node) int { return strings.Compare(a.Path, b.Path) })
	want := []Node{
		{"d", TypeDir, 1, -1}, {"d/f", TypeReg, 0, 0}, {"e", TypeDir, 0, -1}, {"h", TypeReg, 1, 0},
		{"s", TypeOther, 0, -1}, {"x", TypeDir, 1, -1}, {"x/y", TypeReg, 1, 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

package fstree

import (
	"fmt"
	"runtime"
	"testing"
)

// treeBytes merges one layer of n small files in 100 directories and
// returns the heap bytes the tree holds once the layer's records are
// dropped.
func treeBytes(t *testing.T, n int, mk func() *Tree) float64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	recs := make([]Record, 0, n+100)
	for d := range 100 {
		recs = append(recs, Record{Path: fmt.Sprintf("usr/share/d%04d", d), Type: TypeDir})
	}
	for i := range n {
		recs = append(recs, Record{Path: fmt.Sprintf("usr/share/d%04d/file-%07d.txt", i%100, i), Type: TypeReg, Size: 12})
	}
	tree := mk()
	if _, err := tree.Apply(0, recs); err != nil {
		t.Fatal(err)
	}
	recs = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tree)
	// The paths' bytes are the records' (the layer reader's), held by the
	// tree's names and inodes: counted from the records.
	return float64(after.HeapAlloc) - float64(before.HeapAlloc)
}

// The merged tree holds a bounded number of bytes per path (issue 11),
// paths' own bytes included: twice the files at most about twice the
// bytes.
func TestTreeBytesPerPath(t *testing.T) {
	const n = 50000
	for _, tc := range []struct {
		name string
		mk   func() *Tree
		max  float64 // bytes per path
	}{
		{"full", New, 180},                // measured: about 148 (277 before issue 11)
		{"paths only", NewPathsOnly, 120}, // measured: about 91
	} {
		b1, b2 := treeBytes(t, n, tc.mk), treeBytes(t, 2*n, tc.mk)
		t.Logf("%s: %.0f, %.0f bytes (%.0f, %.0f per path)", tc.name, b1, b2, b1/n, b2/(2*n))
		if b2 > 2.3*b1 {
			t.Errorf("%s: twice the files hold %.2f times the bytes (%.0f, %.0f); want at most 2.3", tc.name, b2/b1, b1, b2)
		}
		if per := b2 / (2 * n); per > tc.max {
			t.Errorf("%s: %.0f bytes per path; want at most %.0f", tc.name, per, tc.max)
		}
	}
}

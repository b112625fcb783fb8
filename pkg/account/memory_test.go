package account

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/internal/testenv"
)

// manySmallFiles is one layer of n small files in 100 directories, the
// shape of the benchmark of docs/limits.md at a small size.
func manySmallFiles(t *testing.T, n int) []synth.Entry {
	t.Helper()
	entries := make([]synth.Entry, 0, n+100)
	for d := range 100 {
		entries = append(entries, synth.Dir(fmt.Sprintf("usr/share/d%04d", d)))
	}
	for i := range n {
		entries = append(entries, synth.File(fmt.Sprintf("usr/share/d%04d/file-%07d.txt", i%100, i), fmt.Sprintf("file %d\n", i)))
	}
	return entries
}

// analyzeMemory analyzes an image of n small files as the CLI does by
// default (duplicates, dive, the list of visible files) and returns the
// bytes allocated while it ran and the bytes the report holds.
func analyzeMemory(t *testing.T, n int) (alloc, held float64) {
	t.Helper()
	img, err := synth.Build(synth.Image{Layers: []synth.Layer{{Entries: manySmallFiles(t, n)}}})
	if err != nil {
		t.Fatal(err)
	}
	var rep *Report
	var before, after runtime.MemStats
	alloc = testenv.AllocBytes(func() {
		runtime.ReadMemStats(&before)
		rep, err = Analyze(context.Background(), img, WithJobs(1), WithVisibleFiles(true))
	})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if rep.Image.Files != int64(n) || len(rep.VisibleFiles) != n {
		t.Fatalf("%d files: report has %d files, %d visible", n, rep.Image.Files, len(rep.VisibleFiles))
	}
	held = float64(after.HeapAlloc) - float64(before.HeapAlloc)
	runtime.KeepAlive(rep)
	return alloc, held
}

// Analyze's memory is a bounded number of bytes per path (issue 11: a
// million small files in one layer). Allocated bytes count every
// structure analyze makes (records, tree, dive, duplicates, the list of
// visible files) with the tar reading's garbage; twice the files must
// cost at most about twice the bytes, and each path at most maxAlloc
// bytes allocated and maxHeld bytes held by the report.
func TestAnalyzeBytesPerPath(t *testing.T) {
	const (
		n        = 20000
		maxAlloc = 1500 // bytes allocated per path (measured: about 1160; 1860 before issue 11)
		maxHeld  = 150  // bytes the report holds per path (measured: about 94)
	)
	a1, h1 := analyzeMemory(t, n)
	a2, h2 := analyzeMemory(t, 2*n)
	t.Logf("allocated %.0f, %.0f bytes (%.0f, %.0f per path); held %.0f, %.0f (%.0f, %.0f per path)", a1, a2, a1/n, a2/(2*n), h1, h2, h1/n, h2/(2*n))
	if a2 > 2.3*a1 {
		t.Errorf("twice the files allocate %.2f times the bytes (%.0f, %.0f); want at most 2.3", a2/a1, a1, a2)
	}
	limit := float64(maxAlloc)
	if testenv.Race {
		limit *= 3 // the race detector's own allocations (measured: about 3300)
	}
	if per := a2 / (2 * n); per > limit {
		t.Errorf("%.0f bytes allocated per path; want at most %.0f", per, limit)
	}
	if per := h2 / (2 * n); per > maxHeld {
		t.Errorf("the report holds %.0f bytes per path; want at most %d", per, maxHeld)
	}
}

package testenv

import (
	"math"
	"runtime"
	"testing"
)

// MaxGrowth is how much more work a doubling of the input may add than the
// doubling before it did: linear work adds twice as much (2), quadratic
// work four times as much (4). The margin above 2 absorbs the steps in
// which maps and slices grow.
const MaxGrowth = 2.3

// Linear checks that work grows linearly with the size of its input. It
// measures work at n, 2n, 4n and 8n and fails the test when the work added
// from 4n to 8n is more than MaxGrowth squared times the work added from
// n to 2n: linear work adds 2 times more per doubling, quadratic work 4
// times. Comparing increments rather than totals keeps fixed costs (a
// buffer allocated once) from hiding a quadratic term at the small sizes a
// test can afford, and spanning two doublings evens out the steps in which
// slices and maps grow. work returns a count (steps, allocations, bytes
// allocated), never a wall time, so that the check does not depend on the
// machine or its load.
func Linear(t testing.TB, what string, n int, work func(n int) float64) {
	t.Helper()
	sizes := [4]int{n, 2 * n, 4 * n, 8 * n}
	var w [4]float64
	for i, size := range sizes {
		w[i] = work(size)
	}
	// Work counted as bytes allocated picks up a little noise (a pool
	// emptied by a collection mid-run, a lazy initialisation): always more,
	// never less. A check that fails is measured twice more and judged on
	// each size's least; quadratic work fails every time.
	for retry := 0; retry < 2 && !linear(w); retry++ {
		t.Logf("%s: work %.0f, %.0f, %.0f, %.0f: measuring again", what, w[0], w[1], w[2], w[3])
		for i, size := range sizes {
			w[i] = min(w[i], work(size))
		}
	}
	t.Logf("%s: work %.0f, %.0f, %.0f, %.0f at sizes %d to %d (growth per doubling %.2f)", what, w[0], w[1], w[2], w[3], n, 8*n, growth(w))
	if !linear(w) {
		t.Errorf("%s is not linear: work %.0f, %.0f, %.0f, %.0f at sizes %d, %d, %d, %d (each doubling adds %.2f times what the one before did; linear adds 2)",
			what, w[0], w[1], w[2], w[3], n, 2*n, 4*n, 8*n, growth(w))
	}
}

// linear reports whether work measured at n, 2n, 4n and 8n adds at most
// MaxGrowth squared times more from 4n to 8n than from n to 2n.
func linear(w [4]float64) bool {
	d1, d3 := w[1]-w[0], w[3]-w[2]
	// A little slack for work that hardly grows at all (d1 near 0).
	slack := 0.01 * w[0]
	return d3 <= MaxGrowth*MaxGrowth*d1+slack
}

// growth is the work added per doubling over the one before, on average
// over the two steps from n to 8n.
func growth(w [4]float64) float64 {
	return math.Sqrt(max(w[3]-w[2], 0) / max(w[1]-w[0], 1))
}

// AllocBytes returns the bytes allocated on the heap while fn runs (by
// every goroutine: tests that measure it must not run in parallel).
func AllocBytes(fn func()) float64 {
	var before, after runtime.MemStats
	// Two collections empty every sync.Pool (the first moves pooled
	// objects to a victim cache, the second drops them), so that each
	// measurement starts from the same state.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc - before.TotalAlloc)
}

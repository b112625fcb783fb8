package testenv

import "testing"

func TestLinearJudgement(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    [4]float64
		want bool
	}{
		{"linear", [4]float64{100, 200, 400, 800}, true},
		{"linear with a fixed cost", [4]float64{1100, 1200, 1400, 1800}, true},
		{"n log n at these sizes", [4]float64{100 * 8, 200 * 9, 400 * 10, 800 * 11}, true},
		{"quadratic", [4]float64{100, 400, 1600, 6400}, false},
		{"quadratic under a fixed cost", [4]float64{10000 + 1000, 10000 + 4000, 10000 + 16000, 10000 + 64000}, false},
		{"flat", [4]float64{500, 500, 500, 500}, true},
	} {
		if got := linear(tc.w); got != tc.want {
			t.Errorf("%s: linear(%v) = %v, want %v (growth %.2f)", tc.name, tc.w, got, tc.want, growth(tc.w))
		}
	}
}

// Noise that adds to one measurement is measured away; quadratic work is
// not, however often it is measured.
func TestLinearRemeasures(t *testing.T) {
	calls := 0
	Linear(t, "noisy linear", 100, func(n int) float64 {
		calls++
		if calls == 1 {
			return float64(n) + 80 // the first run also pays a lazy set-up
		}
		return float64(n)
	})
	if calls != 8 {
		t.Errorf("work measured %d times, want 8 (4 sizes, then again once)", calls)
	}
}

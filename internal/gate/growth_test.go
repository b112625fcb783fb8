package gate

import (
	"errors"
	"testing"

	"github.com/whittle/whittle/pkg/diff"
)

func TestEvaluateDiff(t *testing.T) {
	mk := func(oldSize, newSize int64) *diff.Report {
		d := &diff.Report{}
		d.Old.SizeBytes, d.New.SizeBytes, d.Change.SizeBytes = oldSize, newSize, newSize-oldSize
		return d
	}
	rules, err := GrowthThresholds{MaxGrowth: "20MB", MaxGrowthRatio: "0.05"}.Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || rules[0].Threshold != 20e6 || rules[0].Source != "--max-growth" || !rules[0].Figure.IsBytes() || rules[1].Figure.IsBytes() {
		t.Fatalf("rules: %+v", rules)
	}
	for _, tc := range []struct {
		old, new int64
		pass     [2]bool
	}{
		{100e6, 104e6, [2]bool{true, true}},    // 4 MB, 4 %
		{100e6, 106e6, [2]bool{true, false}},   // 6 MB, 6 %
		{1000e6, 1025e6, [2]bool{false, true}}, // 25 MB, 2.5 %
		{100e6, 120e6, [2]bool{true, false}},   // exactly 20 MB passes
		{100e6, 10e6, [2]bool{true, true}},     // shrinking
		{0, 10, [2]bool{true, false}},          // from nothing
	} {
		o := EvaluateDiff(mk(tc.old, tc.new), rules)
		for i, res := range o.Results {
			if (res.Status == Pass) != tc.pass[i] {
				t.Errorf("%d -> %d: %s %v (value %v)", tc.old, tc.new, res.Rule.Name, res.Status, res.Value)
			}
		}
		if o.Pass != (tc.pass[0] && tc.pass[1]) {
			t.Errorf("%d -> %d: outcome %v", tc.old, tc.new, o.Pass)
		}
	}
	if o := EvaluateDiff(mk(100, 300), rules[1:]); o.Results[0].Value != 2 {
		t.Errorf("ratio %v, want 2", o.Results[0].Value)
	}
	// A ratio over 1 is a valid threshold; a negative one or a bad size is not.
	if _, err := (GrowthThresholds{MaxGrowthRatio: "1.5"}).Rules(); err != nil {
		t.Error(err)
	}
	for _, th := range []GrowthThresholds{{MaxGrowthRatio: "-0.1"}, {MaxGrowthRatio: "x"}, {MaxGrowth: "20 elephants"}, {MaxGrowthRatio: "+Inf"}} {
		if _, err := th.Rules(); !errors.Is(err, ErrInvalidRule) {
			t.Errorf("%+v: %v", th, err)
		}
	}
}

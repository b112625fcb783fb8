package gate

import (
	"github.com/whittle/whittle/pkg/diff"
)

// Rule names of whittle diff's gate.
const (
	NameMaxGrowth      = "max-growth"
	NameMaxGrowthRatio = "max-growth-ratio"
)

// GrowthThresholds are whittle diff's rules as written in flags; ""
// leaves a rule unset.
type GrowthThresholds struct {
	MaxGrowth      string
	MaxGrowthRatio string
}

// Rules parses the set thresholds, each with the source its flag names
// ("--max-growth", "--max-growth-ratio").
func (t GrowthThresholds) Rules() ([]Rule, error) {
	var rules []Rule
	for _, kv := range []struct{ name, setting string }{
		{NameMaxGrowth, t.MaxGrowth},
		{NameMaxGrowthRatio, t.MaxGrowthRatio},
	} {
		if kv.setting == "" {
			continue
		}
		r, err := ParseRule(kv.name, kv.setting, "--"+kv.name)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// EvaluateDiff judges a diff by the growth rules, as Evaluate judges an
// account: a rule fails when the growth is greater than its threshold; a
// shrinking image passes every rule. The growth ratio is change.size_bytes
// over old.size_bytes; an empty old image counts as one byte, so that
// growth from nothing fails any ratio below its size in bytes.
func EvaluateDiff(d *diff.Report, rules []Rule) Outcome {
	return evaluate(rules, func(f Figure) float64 {
		switch f {
		case GrowthBytes:
			return float64(d.Change.SizeBytes)
		case GrowthRatio:
			return float64(d.Change.SizeBytes) / float64(max(d.Old.SizeBytes, 1))
		}
		return 0
	})
}

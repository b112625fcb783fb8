package gate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/whittle/whittle/pkg/account"
)

// Figure names the report figure that a rule judges.
type Figure int

// The figures a rule can judge, in the order rules are reported.
const (
	// WastedBytes is the report's image.wasted_bytes (exact waste).
	WastedBytes Figure = iota
	// WastedRatio is image.wasted_bytes / image.size_bytes (0 for an empty image).
	WastedRatio
	// DiveEfficiency is dive.efficiency.
	DiveEfficiency
	// DiveWastedBytes is dive.wasted_bytes.
	DiveWastedBytes
	// DiveUserWastedPercent is dive.user_wasted_percent (a ratio, as in dive).
	DiveUserWastedPercent
	// GrowthBytes is whittle diff's change.size_bytes (see growth.go).
	GrowthBytes
	// GrowthRatio is change.size_bytes / old.size_bytes.
	GrowthRatio
)

// String describes the figure in a few words.
func (f Figure) String() string {
	switch f {
	case WastedBytes:
		return "wasted bytes"
	case WastedRatio:
		return "wasted / size"
	case DiveEfficiency:
		return "dive efficiency"
	case DiveWastedBytes:
		return "dive wasted bytes"
	case DiveUserWastedPercent:
		return "dive user wasted ratio"
	case GrowthBytes:
		return "size growth"
	case GrowthRatio:
		return "size growth / old size"
	}
	return fmt.Sprintf("Figure(%d)", int(f))
}

// Key names the figure by its place in analyze's JSON report
// ("image.wasted_bytes"), or the fields it is computed from.
func (f Figure) Key() string {
	switch f {
	case WastedBytes:
		return "image.wasted_bytes"
	case WastedRatio:
		return "image.wasted_bytes / image.size_bytes"
	case DiveEfficiency:
		return "dive.efficiency"
	case DiveWastedBytes:
		return "dive.wasted_bytes"
	case DiveUserWastedPercent:
		return "dive.user_wasted_percent"
	case GrowthBytes:
		return "change.size_bytes"
	case GrowthRatio:
		return "change.size_bytes / old.size_bytes"
	}
	return ""
}

// IsBytes reports whether the figure and its threshold are byte counts.
func (f Figure) IsBytes() bool { return f == WastedBytes || f == DiveWastedBytes || f == GrowthBytes }

// IsMinimum reports whether the rule fails below the threshold (efficiency)
// rather than above it.
func (f Figure) IsMinimum() bool { return f == DiveEfficiency }

// value reads the figure from the report. The ratio is the only arithmetic
// here, and it is the rule's definition.
func (f Figure) value(r *account.Report) float64 {
	switch f {
	case WastedBytes:
		return float64(r.Image.WastedBytes)
	case WastedRatio:
		if r.Image.SizeBytes == 0 {
			return 0
		}
		return float64(r.Image.WastedBytes) / float64(r.Image.SizeBytes)
	case DiveEfficiency:
		return r.Dive.Efficiency
	case DiveWastedBytes:
		return float64(r.Dive.WastedBytes)
	case DiveUserWastedPercent:
		return r.Dive.UserWastedPercent
	}
	return 0
}

// Rule names accepted by ParseRule: whittle's own, then dive's.
const (
	NameMaxWastedBytes           = "max-wasted-bytes"
	NameMaxWastedRatio           = "max-wasted-ratio"
	NameMinEfficiency            = "min-efficiency"
	NameLowestEfficiency         = "lowestEfficiency"
	NameHighestWastedBytes       = "highestWastedBytes"
	NameHighestUserWastedPercent = "highestUserWastedPercent"
)

var figureOf = map[string]Figure{
	NameMaxWastedBytes:           WastedBytes,
	NameMaxWastedRatio:           WastedRatio,
	NameMinEfficiency:            DiveEfficiency,
	NameLowestEfficiency:         DiveEfficiency,
	NameHighestWastedBytes:       DiveWastedBytes,
	NameHighestUserWastedPercent: DiveUserWastedPercent,
	NameMaxGrowth:                GrowthBytes,
	NameMaxGrowthRatio:           GrowthRatio,
}

// Rule is one threshold on one figure.
type Rule struct {
	// Name is the rule's name as configured (for example "max-wasted-bytes"
	// or dive's "lowestEfficiency").
	Name   string
	Figure Figure
	// Setting is the threshold as written ("20MB", "0.1", "disabled").
	Setting string
	// Threshold is the parsed setting; for byte figures a whole number of
	// bytes.
	Threshold float64
	// Disabled rules are reported as skipped.
	Disabled bool
	// Source says where the rule came from: a flag, a file path, or
	// "dive default".
	Source string
}

// ErrInvalidRule is wrapped by every error about a rule's name or setting.
var ErrInvalidRule = errors.New("invalid rule")

// IsDisabledSetting reports whether a setting turns a rule off, as dive
// reads it: "", "disabled", "off" or "false", in any case.
func IsDisabledSetting(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "disabled", "off", "false":
		return true
	}
	return false
}

// ParseRule parses a rule's setting. Byte thresholds take go-humanize's
// sizes as dive does ("20MB" is 20,000,000 bytes, "1.5GiB", or plain bytes);
// ratios and efficiencies are numbers from 0 to 1.
func ParseRule(name, setting, source string) (Rule, error) {
	fig, ok := figureOf[name]
	if !ok {
		return Rule{}, fmt.Errorf("%w: unknown rule %q", ErrInvalidRule, name)
	}
	r := Rule{Name: name, Figure: fig, Setting: strings.TrimSpace(setting), Source: source}
	if IsDisabledSetting(setting) {
		r.Disabled = true
		r.Setting = "disabled"
		return r, nil
	}
	if fig.IsBytes() {
		n, err := humanize.ParseBytes(r.Setting)
		if err != nil {
			return Rule{}, fmt.Errorf("%w: %s: %q is not a size (use bytes, or units such as 20MB or 1.5GiB)", ErrInvalidRule, name, setting)
		}
		r.Threshold = float64(n)
		return r, nil
	}
	v, err := strconv.ParseFloat(r.Setting, 64)
	if err != nil {
		return Rule{}, fmt.Errorf("%w: %s: %q is not a number", ErrInvalidRule, name, setting)
	}
	if fig == GrowthRatio {
		// An image may grow by more than its size.
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return Rule{}, fmt.Errorf("%w: %s: %s is not a ratio of 0 or more", ErrInvalidRule, name, r.Setting)
		}
	} else if math.IsNaN(v) || v < 0 || v > 1 {
		return Rule{}, fmt.Errorf("%w: %s: %s is outside the allowed range 0 to 1", ErrInvalidRule, name, r.Setting)
	}
	r.Threshold = v
	return r, nil
}

// Thresholds are whittle's own rules as written in flags or in the analyze
// section of .whittle.yaml; "" leaves a rule unset.
type Thresholds struct {
	MaxWastedBytes string `yaml:"max-wasted-bytes"`
	MaxWastedRatio string `yaml:"max-wasted-ratio"`
	MinEfficiency  string `yaml:"min-efficiency"`
}

// Rules parses the set thresholds, each with the given source.
func (t Thresholds) Rules(source string) ([]Rule, error) {
	var rules []Rule
	var errs []error
	for _, kv := range []struct{ name, setting string }{
		{NameMaxWastedBytes, t.MaxWastedBytes},
		{NameMaxWastedRatio, t.MaxWastedRatio},
		{NameMinEfficiency, t.MinEfficiency},
	} {
		if kv.setting == "" {
			continue
		}
		r, err := ParseRule(kv.name, kv.setting, source)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

// Merge combines rule sets; a rule in a later set replaces the rule on the
// same figure from an earlier set. The result is ordered by figure.
func Merge(sets ...[]Rule) []Rule {
	byFigure := map[Figure]Rule{}
	for _, set := range sets {
		for _, r := range set {
			byFigure[r.Figure] = r
		}
	}
	out := make([]Rule, 0, len(byFigure))
	for _, r := range byFigure {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Rule) int { return int(a.Figure) - int(b.Figure) })
	return out
}

// Status is a rule's verdict.
type Status int

// Verdicts.
const (
	Pass Status = iota
	Fail
	Skip // the rule is disabled
)

// String returns PASS, FAIL or SKIP.
func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	case Skip:
		return "SKIP"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is one rule's verdict with the figure it judged.
type Result struct {
	Rule   Rule
	Value  float64
	Status Status
}

// Outcome is the verdict of every rule.
type Outcome struct {
	Results []Result
	// Pass is false when any rule failed.
	Pass bool
}

// Failed counts the failed rules.
func (o Outcome) Failed() int {
	n := 0
	for _, r := range o.Results {
		if r.Status == Fail {
			n++
		}
	}
	return n
}

// Evaluate judges the report by each rule, as dive's evaluator does: a
// minimum rule fails when the threshold is greater than the figure, a
// maximum rule when the figure is greater than the threshold. A figure equal
// to its threshold passes.
func Evaluate(r *account.Report, rules []Rule) Outcome {
	return evaluate(rules, func(f Figure) float64 { return f.value(r) })
}

// evaluate judges each rule's figure, read by value.
func evaluate(rules []Rule, value func(Figure) float64) Outcome {
	o := Outcome{Pass: true}
	for _, rule := range rules {
		res := Result{Rule: rule, Value: value(rule.Figure)}
		switch {
		case rule.Disabled:
			res.Status = Skip
		case rule.Figure.IsMinimum() && rule.Threshold > res.Value:
			res.Status = Fail
		case !rule.Figure.IsMinimum() && res.Value > rule.Threshold:
			res.Status = Fail
		default:
			res.Status = Pass
		}
		if res.Status == Fail {
			o.Pass = false
		}
		o.Results = append(o.Results, res)
	}
	return o
}

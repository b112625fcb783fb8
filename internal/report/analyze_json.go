package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/measure"
	"github.com/whittle/whittle/pkg/rules"
)

// AnalyzeJSON writes the analysis as one JSON document, indented by two
// spaces, followed by a newline: the report as it is, then "findings" (the
// image rules' findings, an empty array when there are none) and, when
// present, "packages" (the package attribution), "dockerfile" (the
// Dockerfile's findings measured in the image) and "gate" (the CI gate's
// rules and verdict). The fields are documented in
// docs/schema/analyze-v1.md.
func AnalyzeJSON(w io.Writer, a Analysis) error {
	findings := a.Findings
	if findings == nil {
		findings = []rules.ImageFinding{}
	}
	return indentJSON(w, struct {
		*account.Report
		Findings   []rules.ImageFinding `json:"findings"`
		Packages   *packagesJSON        `json:"packages,omitempty"`
		Dockerfile *measure.Result      `json:"dockerfile,omitempty"`
		Gate       *gateJSON            `json:"gate,omitempty"`
	}{a.Report, findings, newPackagesJSON(a.Packages), a.Dockerfile, newGateJSON(a.Gate)})
}

// gateJSON is the CI gate's outcome as the JSON report holds it.
type gateJSON struct {
	// Verdict is "pass" when no rule failed, else "fail"; Failed counts
	// the rules that failed.
	Verdict string         `json:"verdict"`
	Failed  int            `json:"failed"`
	Rules   []gateRuleJSON `json:"rules"`
}

// gateRuleJSON is one rule with the figure it judged and its verdict.
type gateRuleJSON struct {
	Name   string  `json:"name"`
	Figure string  `json:"figure"`
	Value  float64 `json:"value"`
	// Bound says what the threshold is: a "maximum" (the rule passes
	// when the figure is at most the threshold) or a "minimum" (at
	// least). Threshold is null for a disabled rule.
	Bound     string   `json:"bound"`
	Threshold *float64 `json:"threshold"`
	Setting   string   `json:"setting"`
	Source    string   `json:"source"`
	Verdict   string   `json:"verdict"`
}

func newGateJSON(g *gate.Outcome) *gateJSON {
	if g == nil {
		return nil
	}
	out := &gateJSON{Verdict: "pass", Failed: g.Failed(), Rules: []gateRuleJSON{}}
	if !g.Pass {
		out.Verdict = "fail"
	}
	for _, res := range g.Results {
		r := gateRuleJSON{Name: res.Rule.Name, Figure: res.Rule.Figure.Key(), Value: res.Value, Bound: "maximum",
			Setting: res.Rule.Setting, Source: res.Rule.Source, Verdict: strings.ToLower(res.Status.String())}
		if res.Rule.Figure.IsMinimum() {
			r.Bound = "minimum"
		}
		if !res.Rule.Disabled {
			r.Threshold = &res.Rule.Threshold
		}
		out.Rules = append(out.Rules, r)
	}
	return out
}

// indentJSON writes v indented by two spaces, followed by a newline.
func indentJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	return nil
}

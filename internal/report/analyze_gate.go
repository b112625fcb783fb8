package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/whittle/whittle/internal/gate"
)

// GateText writes one line per CI rule (verdict, rule, the figure, the
// threshold and where the rule came from) and a closing verdict line.
func GateText(w io.Writer, o gate.Outcome, opts TextOptions) error {
	ew := &errWriter{w: w}
	p := palette{on: opts.Color}
	ew.printf("%s\n", p.bold("CI gate"))
	if len(o.Results) == 0 {
		ew.printf("  no rules\n")
	}
	rows := make([][]cell, 0, len(o.Results))
	for _, res := range o.Results {
		st := res.Status.String()
		var verdict cell
		switch res.Status {
		case gate.Pass:
			verdict = styled(st, p.green)
		case gate.Fail:
			verdict = styled(st, func(s string) string { return p.bold(p.red(s)) })
		default:
			verdict = styled(st, p.dim)
		}
		value, threshold := gateCells(res)
		rows = append(rows, []cell{verdict, plain(res.Rule.Name), plain(res.Rule.Figure.String()), num(value),
			plain(threshold), styled(res.Rule.Source, p.dim)})
	}
	if err := table(ew, "  ", rows); err != nil {
		return err
	}
	if o.Pass {
		ew.printf("%s\n", p.green(fmt.Sprintf("PASS (%s)", plural(int64(len(o.Results)), "rule", "rules"))))
	} else {
		ew.printf("%s\n", p.bold(p.red(fmt.Sprintf("FAIL (%d of %s failed)", o.Failed(), plural(int64(len(o.Results)), "rule", "rules")))))
	}
	return ew.err
}

// gateCells formats a rule's figure and its threshold ("disabled", or the
// comparison and the threshold, with the setting as written when it was a
// size).
func gateCells(res gate.Result) (value, threshold string) {
	fig := res.Rule.Figure
	threshold = "disabled"
	if !res.Rule.Disabled {
		threshold = comparison(fig) + " " + gateValue(fig, res.Rule.Threshold)
		if fig.IsBytes() && res.Rule.Setting != strconv.FormatFloat(res.Rule.Threshold, 'f', -1, 64) {
			threshold += " (" + res.Rule.Setting + ")"
		}
	}
	value = gateValue(fig, res.Value)
	if !fig.IsBytes() {
		value = strconv.FormatFloat(res.Value, 'f', 4, 64)
		if rounded, _ := strconv.ParseFloat(value, 64); rounded == res.Rule.Threshold && res.Value != res.Rule.Threshold {
			value = gateValue(fig, res.Value) // rounding would hide why the rule decided
		}
	}
	return value, threshold
}

// comparison is how a figure must stand to its threshold for the rule to
// pass.
func comparison(f gate.Figure) string {
	if f.IsMinimum() {
		return ">="
	}
	return "<="
}

// gateValue formats a figure or threshold: byte counts in full, ratios with
// enough digits to see why a rule passed or failed.
func gateValue(f gate.Figure, v float64) string {
	if f.IsBytes() {
		return exact(int64(v))
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"

	"github.com/dustin/go-humanize"

	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/fleet"
	"github.com/whittle/whittle/pkg/measure"
)

//go:embed style.html.tmpl analyze.html.tmpl fleet.html.tmpl
var htmlFiles embed.FS

var htmlTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"size":    size,
	"exact":   exact,
	"percent": percent,
	"short":   func(s string) string { return ShortCreatedBy(s, createdByWidth) },
	"comma":   humanize.Comma,
	"plural":  func(n int, one, many string) string { return plural(int64(n), one, many) },
	"reason":  reasonText,
	"pct":     pct,
	"ratio": func(part, whole int64) float64 {
		if whole == 0 {
			return 0
		}
		return float64(part) / float64(whole)
	},
	"minus": func(a, b int64) int64 { return a - b },
}).ParseFS(htmlFiles, "*.html.tmpl"))

// pct is part/whole as a CSS or SVG percentage with two decimals ("0" when
// whole is 0).
func pct(part, whole int64) string {
	if whole <= 0 || part <= 0 {
		return "0"
	}
	return fmt.Sprintf("%.2f", 100*float64(part)/float64(whole))
}

// htmlLayer is a layer row with what the chart needs.
type htmlLayer struct {
	account.Layer
	// Visible is SizeBytes - WastedBytes.
	Visible int64
}

// htmlView is what the template reads: the report as it is, cut to Top
// where lists are long, with the largest layer for the chart's scale.
type htmlView struct {
	R            *account.Report
	M            *measure.Result
	Layers       []htmlLayer
	MaxLayer     int64
	Waste        []account.WasteItem
	MoreWaste    int
	Duplicates   []account.Duplicate
	MoreDups     int
	Inefficient  []account.DiveInefficient
	MoreIneff    int
	Findings     []measure.Finding
	MoreFindings int
	Unmeasured   int
	// Gate is the CI gate's outcome, nil when the gate was off.
	Gate *htmlGate
}

// htmlGate is the CI gate's verdict and its rules, formatted as in text.
type htmlGate struct {
	Pass   bool
	Failed int
	Rules  []htmlGateRule
}

// htmlGateRule is one rule's row.
type htmlGateRule struct {
	Verdict, Name, Figure, Value, Threshold, Source string
}

func newHTMLGate(g *gate.Outcome) *htmlGate {
	if g == nil {
		return nil
	}
	out := &htmlGate{Pass: g.Pass, Failed: g.Failed()}
	for _, res := range g.Results {
		value, threshold := gateCells(res)
		out.Rules = append(out.Rules, htmlGateRule{Verdict: res.Status.String(), Name: res.Rule.Name, Figure: res.Rule.Figure.String(),
			Value: value, Threshold: threshold, Source: res.Rule.Source})
	}
	return out
}

// AnalyzeHTML writes the report as one self-contained HTML page: no
// script, no style sheet, font or image fetched from anywhere; the charts
// are inline SVG. m, when not nil, adds the Dockerfile's measured findings,
// and g, when not nil, the CI gate's verdict and rules. Lists are cut to
// opts.Top (0: all), as in text. It prints only what r, m and g hold.
func AnalyzeHTML(w io.Writer, r *account.Report, m *measure.Result, g *gate.Outcome, opts TextOptions) error {
	v := htmlView{R: r, M: m, Gate: newHTMLGate(g)}
	for _, l := range r.Layers {
		v.Layers = append(v.Layers, htmlLayer{Layer: l, Visible: l.SizeBytes - l.WastedBytes})
		v.MaxLayer = max(v.MaxLayer, l.SizeBytes)
	}
	waste := biggestWaste(r.Waste)
	n := opts.limit(len(waste))
	v.Waste, v.MoreWaste = waste[:n], len(waste)-n
	n = opts.limit(len(r.Duplicates))
	v.Duplicates, v.MoreDups = r.Duplicates[:n], len(r.Duplicates)-n
	n = opts.limit(len(r.Dive.Inefficiencies))
	v.Inefficient, v.MoreIneff = r.Dive.Inefficiencies[:n], len(r.Dive.Inefficiencies)-n
	if m != nil {
		var measured []measure.Finding
		for _, f := range m.Findings {
			if f.Measured {
				measured = append(measured, f)
			} else {
				v.Unmeasured++
			}
		}
		n = opts.limit(len(measured))
		v.Findings, v.MoreFindings = measured[:n], len(measured)-n
	}
	if err := htmlTemplates.ExecuteTemplate(w, "analyze.html.tmpl", v); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

// fleetView is what the fleet template reads.
type fleetView struct {
	R                  *fleet.Report
	MaxImage           int64
	Bases              []fleet.Base
	MoreBases          int
	InUse              []fleet.BaseInUse
	MoreInUse, Unknown int
}

// FleetHTML writes the fleet report as one self-contained page, as
// AnalyzeHTML does for one image. Lists are cut to opts.Top (0: all).
func FleetHTML(w io.Writer, r *fleet.Report, opts TextOptions) error {
	v := fleetView{R: r}
	for _, im := range r.Images {
		v.MaxImage = max(v.MaxImage, im.SizeBytes)
		if im.BaseLayers == 0 {
			v.Unknown++
		}
	}
	n := opts.limit(len(r.Bases))
	v.Bases, v.MoreBases = r.Bases[:n], len(r.Bases)-n
	n = opts.limit(len(r.BasesInUse))
	v.InUse, v.MoreInUse = r.BasesInUse[:n], len(r.BasesInUse)-n
	if err := htmlTemplates.ExecuteTemplate(w, "fleet.html.tmpl", v); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

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
	"github.com/whittle/whittle/pkg/packages"
	"github.com/whittle/whittle/pkg/rules"
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
	"minus":      func(a, b int64) int64 { return a - b },
	"database":   databaseLine,
	"incomplete": func() string { return incompleteFindings },
	"files":      func(n int64) string { return plural(n, "file", "files") },
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
	// ImageFindings are the image rules' findings; ShowFindings is true
	// when their section is drawn (attribution ran, or there are findings).
	ImageFindings []rules.ImageFinding
	ShowFindings  bool
	// Packages is the attribution, nil when it is off, with the rows shown
	// and the totals.
	Packages                   *packages.Result
	PackageRows                []packages.Package
	MorePackages               int
	UnknownNames               string
	NoPackageRows              []packages.DirBytes
	MoreNoPackage              int
	NoPackage                  string
	PackageBytes, PackageFiles int64
	OtherBytes, OtherFiles     int64
	UnknownLists               int
	// Icicle is the final filesystem by size, row by row; IcicleHeight
	// its height in pixels (0: not drawn).
	Icicle       []icicleCell
	IcicleHeight int
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

// AnalyzeHTML writes the analysis as one self-contained HTML page: no
// script, no style sheet, font or image fetched from anywhere; the charts
// are inline SVG. Beside the account it shows what a holds: the findings
// about the image, the package table, the final filesystem by size (an
// icicle chart of a.Tree), the Dockerfile's measured findings and the CI
// gate's verdict and rules. Lists are cut to opts.Top (0: all), as in
// text. It prints only what a holds.
func AnalyzeHTML(w io.Writer, a Analysis, opts TextOptions) error {
	r, m := a.Report, a.Dockerfile
	v := htmlView{R: r, M: m, Gate: newHTMLGate(a.Gate), ImageFindings: a.Findings, ShowFindings: a.Packages != nil || len(a.Findings) > 0}
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
	if pk := a.Packages; pk != nil {
		v.Packages, v.NoPackage, v.UnknownLists = pk, noPackageWord(pk), unknownLists(pk)
		known, unknown := splitKnown(pk.Packages)
		n = opts.limit(len(known))
		v.PackageRows, v.MorePackages = known[:n], len(known)-n
		if len(unknown) > 0 {
			v.UnknownNames = packageNameList(unknown, opts.limit(len(unknown)))
		}
		n = opts.limit(len(pk.Unowned))
		v.NoPackageRows, v.MoreNoPackage = pk.Unowned[:n], len(pk.Unowned)-n
		v.PackageBytes, v.PackageFiles, v.OtherBytes, v.OtherFiles = packageTotals(pk)
	}
	if a.Tree != nil && a.Tree.Bytes > 0 {
		v.Icicle, v.IcicleHeight = icicle(a.Tree)
	}
	if err := htmlTemplates.ExecuteTemplate(w, "analyze.html.tmpl", v); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

// icicleRow is the height of one row of the icicle chart, in pixels.
const icicleRow = 22

// icicleCell is one node of the icicle chart: a box at X (a percentage of
// the width, as W) on row Y (pixels), labelled when wide enough.
type icicleCell struct {
	X, W         string
	Y            int
	Label, Title string
	Dir          bool
	Opacity      string
}

// icicle lays out a size tree as an icicle chart: the root across the
// whole width on the top row, and under each node its children, left to
// right, as wide as their share of the root's bytes. It returns the cells
// and the chart's height.
func icicle(root *account.SizeNode) ([]icicleCell, int) {
	var cells []icicleCell
	depth := 0
	var place func(n *account.SizeNode, offset int64, d int)
	place = func(n *account.SizeNode, offset int64, d int) {
		depth = max(depth, d)
		c := icicleCell{X: pct(offset, root.Bytes), W: pct(n.Bytes, root.Bytes), Y: d * icicleRow, Dir: n.Dir,
			Title:   fmt.Sprintf("%s: %s in %s", n.Path, exact(n.Bytes), plural(n.Files, "file", "files")),
			Opacity: fmt.Sprintf("%.2f", 1-0.12*float64(min(d, 5)))}
		if float64(n.Bytes)/float64(root.Bytes) >= 0.04 {
			c.Label = n.Name + " " + size(n.Bytes)
		}
		cells = append(cells, c)
		for _, k := range n.Children {
			place(k, offset, d+1)
			offset += k.Bytes
		}
	}
	place(root, 0, 0)
	return cells, (depth + 1) * icicleRow
}

// fleetView is what the fleet template reads.
type fleetView struct {
	R                  *fleet.Report
	MaxImage           int64
	Bases              []fleet.Base
	MoreBases          int
	InUse              []fleet.BaseInUse
	MoreInUse, Unknown int
	// Installed and MorePackages: the packages listed (with --packages)
	// and how many --top left out.
	Installed    []fleet.FleetPackage
	MorePackages int
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
	if r.Packages != nil {
		n = opts.limit(len(r.Packages.Installed))
		v.Installed, v.MorePackages = r.Packages.Installed[:n], len(r.Packages.Installed)-n
	}
	if err := htmlTemplates.ExecuteTemplate(w, "fleet.html.tmpl", v); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

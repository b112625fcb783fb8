package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"

	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/diff"
)

//go:embed style.html.tmpl diff.html.tmpl
var diffHTMLFiles embed.FS

var diffTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"size":     size,
	"exact":    exact,
	"signed":   diffSigned,
	"percent":  diffPercent,
	"short":    func(s string) string { return ShortCreatedBy(s, createdByWidth) },
	"pct":      pct,
	"plural":   func(n int, one, many string) string { return plural(int64(n), one, many) },
	"layer":    diffLayerIndex,
	"state":    diffPathSize,
	"note":     diffPathNote,
	"pkgname":  diffPackageName,
	"dash":     diffOrDash,
	"counted":  diffCountBytes,
	"count":    diffCount,
	"pkgbytes": diffPackageBytes,
	"pkgdelta": diffPackageDelta,
	"grow":     func(n int64) string { return diffClass(n) },
}).ParseFS(diffHTMLFiles, "style.html.tmpl", "diff.html.tmpl"))

// diffClass is the CSS class of a change: growth, shrinking or none.
func diffClass(n int64) string {
	switch {
	case n > 0:
		return "grow"
	case n < 0:
		return "shrink"
	}
	return "dim"
}

// diffView is what the diff template reads: the report, its lists cut to
// Top, the figures as the text report prints them, and the scale of the
// size chart.
type diffView struct {
	R        *diff.Report
	Figures  []diffFigureRow
	Paths    []diff.PathChange
	MorePath int
	Dirs     []diff.DirChange
	MoreDirs int
	Pkgs     []diff.PackageChange
	MorePkgs int
	Unowned  []diff.UnownedChange
	MoreUnow int
	PathSum  string
	PkgSum   string
	OldPkgs  string
	NewPkgs  string
	LayerSum string
	MaxSize  int64
	Gate     *htmlGate
}

// DiffHTML writes the diff as one self-contained HTML page, as
// AnalyzeHTML does for one image: no script, nothing fetched; the size
// chart is inline SVG. g, when not nil, adds the CI gate's verdict. Lists
// are cut to opts.Top (0: all).
func DiffHTML(w io.Writer, r *diff.Report, g *gate.Outcome, opts TextOptions) error {
	v := diffView{R: r, Figures: diffFigures(r), Gate: newHTMLGate(g), PathSum: diffPathSummary(r.Paths),
		PkgSum: diffPackageSummary(r.Packages.Items), OldPkgs: diffPackageSide(r.Packages.Old), NewPkgs: diffPackageSide(r.Packages.New),
		LayerSum: diffLayerSummary(r.Layers), MaxSize: max(r.Old.SizeBytes, r.New.SizeBytes)}
	n := opts.limit(len(r.Paths.Items))
	v.Paths, v.MorePath = r.Paths.Items[:n], len(r.Paths.Items)-n
	n = opts.limit(len(r.Directories.Items))
	v.Dirs, v.MoreDirs = r.Directories.Items[:n], len(r.Directories.Items)-n
	n = opts.limit(len(r.Packages.Items))
	v.Pkgs, v.MorePkgs = r.Packages.Items[:n], len(r.Packages.Items)-n
	n = opts.limit(len(r.Packages.Unowned))
	v.Unowned, v.MoreUnow = r.Packages.Unowned[:n], len(r.Packages.Unowned)-n
	if err := diffTemplates.ExecuteTemplate(w, "diff.html.tmpl", v); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

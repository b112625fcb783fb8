package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
)

// Image rules find problems in a built image rather than in a Dockerfile:
// what analyze reports about the image's final filesystem (build tools,
// headers, pip and caches left in it), with the bytes and the instruction
// that put them there. Their IDs are the WH8xx block of the one catalogue
// (Catalogue), so they never clash with a Dockerfile rule's; lint does not
// run them, and they have no repair (whittle fix edits Dockerfiles).

// ImageRule is one check over a built image. Implementations are
// stateless values; CheckImage returns the findings in any order and
// fills every field but Rule, Doc and Severity, which CheckImage presets
// (a rule may change Severity).
type ImageRule interface {
	Meta() Meta
	CheckImage(in *ImageInput) []ImageFinding
}

// ImageInput is what image rules read.
type ImageInput struct {
	// Report is the account of the image.
	Report *account.Report
	// Packages is the image's package attribution; nil when attribution
	// was not run (the rules about packages then report nothing).
	Packages *packages.Result
}

// ImageFinding is one problem found in a built image: plain data,
// rendered by the CLI.
type ImageFinding struct {
	// Rule is the image rule's ID (WH8xx), Severity the finding's.
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Bytes is what the finding's packages or cache hold in the final
	// filesystem (visible bytes, each file once).
	Bytes int64 `json:"bytes"`
	// Layer is the layer that put them there, CreatedBy its history entry
	// (the instruction that installed the packages or left the cache);
	// -1 and "" for packages whose file lists are unknown.
	Layer     int    `json:"layer"`
	CreatedBy string `json:"created_by"`
	// Packages are the packages the finding is about, largest first
	// (rules about packages).
	Packages []ImagePackage `json:"packages,omitempty"`
	// Category is the cache category (pkg/account) the finding is about
	// (WH804).
	Category string `json:"category,omitempty"`
	// Fix says in words how to repair it.
	Fix string `json:"fix"`
	// Doc is the path of the rule's documentation page in the repository.
	Doc string `json:"doc"`
}

// ImagePackage is one package of an image finding, as attribution counts
// it (packages.Package).
type ImagePackage struct {
	Manager      string `json:"manager"`
	Name         string `json:"name"`
	Version      string `json:"version"`
	Architecture string `json:"architecture"`
	Bytes        int64  `json:"bytes"`
	Files        int64  `json:"files"`
	// FilesKnown is false when the package's file list could not be read:
	// its bytes are then unknown (0 here).
	FilesKnown bool `json:"files_known"`
}

// ImageRules returns every image rule, ordered by ID. Each call returns
// new values; rules are stateless.
func ImageRules() []ImageRule {
	return []ImageRule{buildToolsInImage{}, headersInImage{}, pipInImage{}, cacheInImage{}}
}

// ImageMetas returns the metadata of every image rule, ordered by ID.
func ImageMetas() []Meta {
	rs := ImageRules()
	out := make([]Meta, len(rs))
	for i, r := range rs {
		out[i] = r.Meta()
	}
	return out
}

// Catalogue returns the metadata of every rule whittle has: the
// Dockerfile rules (Metas), then the image rules (ImageMetas). It is the
// list the rules index (docs/rules/README.md) is generated from.
func Catalogue() []Meta {
	return append(Metas(), ImageMetas()...)
}

// IsImageRule reports whether id is the ID of an image rule.
func IsImageRule(id string) bool {
	return slices.ContainsFunc(ImageMetas(), func(m Meta) bool { return m.ID == id })
}

// CheckImage runs every image rule over an image's account and, when not
// nil, its package attribution. Findings come by severity (highest
// first), then bytes (largest first), then rule and layer.
func CheckImage(rep *account.Report, pkgs *packages.Result) []ImageFinding {
	in := &ImageInput{Report: rep, Packages: pkgs}
	out := []ImageFinding{}
	for _, r := range ImageRules() {
		m := r.Meta()
		for _, f := range r.CheckImage(in) {
			f.Rule, f.Doc = m.ID, m.Doc
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b ImageFinding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(b.Bytes, a.Bytes),
			strings.Compare(a.Rule, b.Rule), cmp.Compare(a.Layer, b.Layer))
	})
	return out
}

// packageGroup is the packages of one layer that an image rule reports
// together.
type packageGroup struct {
	layer     int
	createdBy string
	pkgs      []ImagePackage
	bytes     int64
}

// groupByLayer groups the attributed packages that keep accepts by the
// layer that installed them, in layer order; each group's packages
// largest first. Packages whose file list is unknown make a group of
// their own, first, with layer -1: neither their bytes nor the layer that
// installed them is known.
func groupByLayer(res *packages.Result, keep func(packages.Package) bool) []*packageGroup {
	if res == nil {
		return nil
	}
	by := map[int]*packageGroup{}
	var out []*packageGroup
	for _, p := range res.Packages {
		if !keep(p) {
			continue
		}
		layer, createdBy := groupLayer(p), p.CreatedBy
		if layer < 0 {
			createdBy = ""
		}
		g := by[layer]
		if g == nil {
			g = &packageGroup{layer: layer, createdBy: createdBy}
			by[layer] = g
			out = append(out, g)
		}
		g.pkgs = append(g.pkgs, ImagePackage{Manager: p.Manager, Name: p.Name, Version: p.Version,
			Architecture: p.Architecture, Bytes: p.Bytes, Files: p.Files, FilesKnown: p.FilesKnown})
		g.bytes += p.Bytes
	}
	slices.SortFunc(out, func(a, b *packageGroup) int { return cmp.Compare(a.layer, b.layer) })
	for _, g := range out {
		slices.SortStableFunc(g.pkgs, func(a, b ImagePackage) int {
			return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.Name, b.Name))
		})
	}
	return out
}

// groupLayer is the layer a package is reported at: the one that
// installed it, or -1 when its file list is unknown. Without its files, a
// package's layer is its record's, for dpkg's status the last layer that
// changed any package: not known to be the one that installed it.
func groupLayer(p packages.Package) int {
	if !p.FilesKnown {
		return -1
	}
	return p.Layer
}

// finding makes the finding of a group of packages.
func (g *packageGroup) finding(sev Severity, message, fix string) ImageFinding {
	if g.layer < 0 {
		message += " (their file lists are unknown: neither their bytes nor the layer that installed them is known)"
	}
	return ImageFinding{Severity: sev, Message: message, Bytes: g.bytes, Layer: g.layer, CreatedBy: g.createdBy, Packages: g.pkgs, Fix: fix}
}

// packageNames names the first few of pkgs ("gcc-12, cpp-12 and 4 more").
func packageNames(pkgs []ImagePackage) string {
	const shown = 3
	var names []string
	for i, p := range pkgs {
		if i == shown {
			break
		}
		names = append(names, p.Name)
	}
	s := strings.Join(names, ", ")
	if n := len(pkgs) - shown; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// managers says which package managers installed pkgs ("dpkg", "apk").
func managers(pkgs []ImagePackage) (dpkg, apk bool) {
	for _, p := range pkgs {
		switch p.Manager {
		case packages.Dpkg:
			dpkg = true
		case packages.Apk:
			apk = true
		}
	}
	return dpkg, apk
}

package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
	"github.com/whittle/whittle/pkg/rules"
)

// packagesJSON is the package attribution as the JSON report holds it
// (packages.Result with the JSON names of docs/schema/analyze-v1.md).
type packagesJSON struct {
	Complete  bool           `json:"complete"`
	Databases []databaseJSON `json:"databases"`
	Installed []packageJSON  `json:"installed"`
	NoPackage []noPackageDir `json:"no_package"`
	Shared    []sharedJSON   `json:"shared"`
}

type databaseJSON struct {
	Manager  string `json:"manager"`
	Path     string `json:"path"`
	Layer    int    `json:"layer"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Packages int    `json:"packages"`
}

type packageJSON struct {
	Manager      string               `json:"manager"`
	Name         string               `json:"name"`
	Version      string               `json:"version"`
	Architecture string               `json:"architecture"`
	Bytes        int64                `json:"bytes"`
	Files        int64                `json:"files"`
	Layer        int                  `json:"layer"`
	CreatedBy    string               `json:"created_by"`
	Layers       []account.LayerBytes `json:"layers"`
	FilesKnown   bool                 `json:"files_known"`
}

type noPackageDir struct {
	Dir    string               `json:"dir"`
	Bytes  int64                `json:"bytes"`
	Files  int64                `json:"files"`
	Layers []account.LayerBytes `json:"layers"`
}

type packageRefJSON struct {
	Manager      string `json:"manager"`
	Name         string `json:"name"`
	Architecture string `json:"architecture"`
}

type sharedJSON struct {
	Path   string           `json:"path"`
	Bytes  int64            `json:"bytes"`
	Owner  packageRefJSON   `json:"owner"`
	Others []packageRefJSON `json:"others"`
}

func refJSON(r packages.PackageRef) packageRefJSON {
	return packageRefJSON{Manager: r.Manager, Name: r.Name, Architecture: r.Architecture}
}

func newPackagesJSON(r *packages.Result) *packagesJSON {
	if r == nil {
		return nil
	}
	out := &packagesJSON{Complete: r.Complete, Databases: []databaseJSON{}, Installed: []packageJSON{},
		NoPackage: []noPackageDir{}, Shared: []sharedJSON{}}
	for _, d := range r.Databases {
		out.Databases = append(out.Databases, databaseJSON(d))
	}
	for _, p := range r.Packages {
		out.Installed = append(out.Installed, packageJSON{Manager: p.Manager, Name: p.Name, Version: p.Version,
			Architecture: p.Architecture, Bytes: p.Bytes, Files: p.Files, Layer: p.Layer, CreatedBy: p.CreatedBy,
			Layers: p.Layers, FilesKnown: p.FilesKnown})
	}
	for _, d := range r.Unowned {
		out.NoPackage = append(out.NoPackage, noPackageDir(d))
	}
	for _, s := range r.Shared {
		sj := sharedJSON{Path: s.Path, Bytes: s.Bytes, Owner: refJSON(s.Owner), Others: []packageRefJSON{}}
		for _, o := range s.Others {
			sj.Others = append(sj.Others, refJSON(o))
		}
		out.Shared = append(out.Shared, sj)
	}
	return out
}

// textDocs prints the documentation and locale categories.
func textDocs(w *errWriter, r *account.Report, _ TextOptions, p palette) error {
	if len(r.Docs) == 0 {
		w.printf("%s\n  none\n", p.bold("Documentation and locales"))
		return nil
	}
	w.printf("%s %s\n", p.bold("Documentation and locales"), p.dim("(/usr/share/doc, man, info, locale: see docs/accounting.md)"))
	rows := make([][]cell, 0, len(r.Docs))
	for _, d := range r.Docs {
		rows = append(rows, []cell{plain(d.Category), num(size(d.Bytes)), num(plural(d.Files, "file", "files")),
			styled(layerList(d.Layers), p.dim)})
	}
	return table(w, "  ", rows)
}

// layerList names the layers of a list of bytes by layer: "layer 0 (3.0
// MB), layer 2 (41 kB)".
func layerList(ls []account.LayerBytes) string {
	var where []string
	for _, lb := range ls {
		where = append(where, fmt.Sprintf("layer %d (%s)", lb.Layer, size(lb.Bytes)))
	}
	return strings.Join(where, ", ")
}

// noPackageWord is what the text and HTML reports call the bytes that no
// package read owns: "no package" when every database was read whole;
// otherwise "not attributed", since they may hold the files of packages
// that could not be read.
func noPackageWord(r *packages.Result) string {
	if r.Complete {
		return "no package"
	}
	return "not attributed"
}

// packageTotals sums the bytes and files of the packages and of the
// no-package groups, for display.
func packageTotals(r *packages.Result) (pkgBytes, pkgFiles, otherBytes, otherFiles int64) {
	for _, x := range r.Packages {
		pkgBytes += x.Bytes
		pkgFiles += x.Files
	}
	for _, d := range r.Unowned {
		otherBytes += d.Bytes
		otherFiles += d.Files
	}
	return pkgBytes, pkgFiles, otherBytes, otherFiles
}

// databaseLine describes one package database for text and HTML.
func databaseLine(d packages.Database) string {
	switch d.Status {
	case packages.StatusRead:
		return plural(int64(d.Packages), "package", "packages")
	case packages.StatusTooLarge:
		return "not read, too large: " + d.Reason
	}
	return "not read: " + d.Reason
}

// unknownLists counts the packages whose file list is unknown.
func unknownLists(r *packages.Result) int {
	n := 0
	for _, p := range r.Packages {
		if !p.FilesKnown {
			n++
		}
	}
	return n
}

// textPackages prints the package attribution: the databases, the bytes
// in packages and in none, the biggest packages and the biggest groups of
// files in no package.
func textPackages(w *errWriter, r *packages.Result, opts TextOptions, p palette) error {
	title := "Packages"
	if !r.Complete {
		title += " (incomplete)"
	}
	w.printf("%s\n", p.bold(title))
	if len(r.Databases) == 0 {
		w.printf("  no package database found (dpkg, apk or rpm): every byte is in %s\n", noPackageWord(r))
	}
	rows := [][]cell{}
	for _, d := range r.Databases {
		rows = append(rows, []cell{plain(d.Manager), plain(d.Path), plain(databaseLine(d))})
	}
	if err := table(w, "  ", rows); err != nil {
		return err
	}
	if n := unknownLists(r); n > 0 {
		w.printf("  %s\n", p.yellow(fmt.Sprintf("the file lists of %s are unknown: their files are counted as not attributed, and the layers that installed them are not known",
			plural(int64(n), "package", "packages"))))
	}
	pb, pf, ob, of := packageTotals(r)
	rows = [][]cell{
		{plain("in packages"), num(size(pb)), plain(exact(pb)), styled(plural(int64(len(r.Packages)), "package", "packages")+", "+plural(pf, "file", "files"), p.dim)},
		{plain(noPackageWord(r)), num(size(ob)), plain(exact(ob)), styled(plural(of, "file", "files"), p.dim)},
	}
	if err := table(w, "  ", rows); err != nil {
		return err
	}
	known, unknown := splitKnown(r.Packages)
	if len(known) > 0 {
		shown := opts.limit(len(known))
		head := "biggest packages"
		if shown < len(known) {
			head += fmt.Sprintf(" (%d of %d)", shown, len(known))
		}
		w.printf("  %s\n", p.dim(head))
		rows = [][]cell{{styled("bytes", p.dim).alignRight(), styled("files", p.dim).alignRight(), styled("package", p.dim),
			styled("version", p.dim), styled("layer", p.dim).alignRight(), styled("installed by", p.dim)}}
		for _, x := range known[:shown] {
			rows = append(rows, []cell{num(size(x.Bytes)), num(humanize.Comma(x.Files)), plain(x.Name), plain(x.Version),
				num(strconv.Itoa(x.Layer)), plain(ShortCreatedBy(x.CreatedBy, createdByWidth))})
		}
		if err := table(w, "    ", rows); err != nil {
			return err
		}
		if shown < len(known) {
			w.printf("    %s\n", p.dim(fmt.Sprintf("… %d more (--top 0 lists all; --format json has every package)", len(known)-shown)))
		}
	}
	if len(unknown) > 0 {
		w.printf("  %s %s\n", p.dim("file lists unknown:"), packageNameList(unknown, opts.limit(len(unknown))))
	}
	if len(r.Unowned) > 0 {
		shown := opts.limit(len(r.Unowned))
		w.printf("  %s\n", p.dim(fmt.Sprintf("%s, by top directory", noPackageWord(r))))
		rows = [][]cell{}
		for _, d := range r.Unowned[:shown] {
			rows = append(rows, []cell{num(size(d.Bytes)), num(plural(d.Files, "file", "files")), plain(d.Dir)})
		}
		if err := table(w, "    ", rows); err != nil {
			return err
		}
		if shown < len(r.Unowned) {
			w.printf("    %s\n", p.dim(fmt.Sprintf("… %d more directories", len(r.Unowned)-shown)))
		}
	}
	return nil
}

// splitKnown splits packages into those whose file list is known and the
// others, keeping their order.
func splitKnown(ps []packages.Package) (known, unknown []packages.Package) {
	for _, x := range ps {
		if x.FilesKnown {
			known = append(known, x)
		} else {
			unknown = append(unknown, x)
		}
	}
	return known, unknown
}

// packageNameList names the first n packages: "bash, curl, … 29 more".
func packageNameList(ps []packages.Package, n int) string {
	var names []string
	for _, x := range ps[:n] {
		names = append(names, x.Name)
	}
	if n < len(ps) {
		names = append(names, fmt.Sprintf("… %d more", len(ps)-n))
	}
	return strings.Join(names, ", ")
}

// incompleteFindings is the note under the findings when attribution is
// incomplete: packages that could not be read were not checked.
const incompleteFindings = "packages of a database not read, or whose file lists are unknown, were checked by name only, or not at all (see Packages)"

// textFindings prints the image rules' findings, one line each with what
// it is about under it. pk is the attribution they were found in (nil:
// none ran).
func textFindings(w *errWriter, fs []rules.ImageFinding, pk *packages.Result, opts TextOptions, p palette) error {
	if len(fs) == 0 {
		w.printf("%s\n  %s\n", p.bold("Findings about the image"), p.green("none"))
	} else {
		w.printf("%s %s\n", p.bold("Findings about the image"), p.dim("(rules: docs/rules/README.md)"))
	}
	if pk != nil && !pk.Complete {
		w.printf("  %s\n", p.yellow(incompleteFindings))
	}
	for _, f := range fs {
		sev := f.Severity.String()
		switch f.Severity {
		case rules.Warning, rules.Error:
			sev = p.yellow(sev)
		}
		layer := strconv.Itoa(f.Layer)
		if f.Layer < 0 {
			layer = "?"
		}
		w.printf("  layer %s: %s %s %s (%s)\n", layer, sev, p.bold(f.Rule), f.Message, size(f.Bytes))
		verb := "installed by"
		if f.Category != "" {
			verb = "left by"
		}
		if f.Layer >= 0 {
			w.printf("      %s %s\n", p.dim(verb+":"), ShortCreatedBy(f.CreatedBy, 2*createdByWidth))
		}
		if len(f.Packages) > 0 {
			shown := opts.limit(len(f.Packages))
			var names []string
			for _, x := range f.Packages[:shown] {
				b := size(x.Bytes)
				if !x.FilesKnown {
					b = "files unknown"
				}
				names = append(names, fmt.Sprintf("%s %s (%s)", x.Name, x.Version, b))
			}
			if shown < len(f.Packages) {
				names = append(names, fmt.Sprintf("… %d more", len(f.Packages)-shown))
			}
			w.printf("      %s %s\n", p.dim("packages:"), strings.Join(names, ", "))
		}
		w.printf("      %s %s\n", p.dim("fix:"), f.Fix)
		w.printf("      %s %s\n", p.dim("doc:"), f.Doc)
	}
	return nil
}

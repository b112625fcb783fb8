package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
	"github.com/whittle/whittle/pkg/rules"
)

const gccRun = "/bin/sh -c apt-get update && apt-get install -y gcc make && rm -rf /var/lib/apt/lists/*"

// packagesAnalysis is an image of two layers, a base with libc6 and a
// RUN that installs gcc-12 and make, with its attribution (complete, or
// with an rpm database not read) and the image rules' findings.
func packagesAnalysis(complete bool) Analysis {
	lb := func(l int, b int64) []account.LayerBytes { return []account.LayerBytes{{Layer: l, Bytes: b}} }
	r := &account.Report{
		SchemaVersion: account.SchemaVersion,
		Image:         account.Image{Reference: "pkgs.tar", SizeBytes: 10000, VisibleBytes: 10000, Files: 7, DocBytes: 300, CacheBytes: 0},
		Layers: []account.Layer{
			{Index: 0, CreatedBy: "/bin/sh -c #(nop) ADD file:0123 in / ", SizeBytes: 2100},
			{Index: 1, CreatedBy: gccRun, SizeBytes: 7900},
		},
		Waste: []account.WasteItem{}, Caches: []account.Cache{}, Duplicates: []account.Duplicate{},
		Docs: []account.DocBytes{{Category: "doc", Bytes: 300, Files: 2, Layers: []account.LayerBytes{{Layer: 0, Bytes: 100}, {Layer: 1, Bytes: 200}}}},
		VisibleFiles: []account.VisibleFile{
			{Path: "usr/lib/gcc/x86_64-linux-gnu/12/cc1", File: 1, Layer: 1, Bytes: 5000},
			{Path: "usr/bin/gcc-12", File: 2, Layer: 1, Bytes: 800},
			{Path: "usr/share/doc/gcc-12/copyright", File: 3, Layer: 1, Bytes: 200},
			{Path: "usr/bin/make", File: 4, Layer: 1, Bytes: 1200},
			{Path: "usr/lib/x86_64-linux-gnu/libc.so.6", File: 5, Layer: 0, Bytes: 2000},
			{Path: "usr/share/doc/libc6/copyright", File: 6, Layer: 0, Bytes: 100},
			{Path: "app/main", File: 7, Layer: 1, Bytes: 700},
		},
	}
	pk := &packages.Result{Complete: complete, Bytes: 10000, Files: 7,
		Packages: []packages.Package{
			{Manager: "dpkg", Name: "gcc-12", Version: "12.2.0-14", Architecture: "amd64", Bytes: 6000, Files: 3, Layer: 1, CreatedBy: gccRun, Layers: lb(1, 6000), FilesKnown: true},
			{Manager: "dpkg", Name: "libc6", Version: "2.36-9", Architecture: "amd64", Bytes: 2100, Files: 2, Layer: 0, CreatedBy: r.Layers[0].CreatedBy, Layers: lb(0, 2100), FilesKnown: true},
			{Manager: "dpkg", Name: "make", Version: "4.3-4.1", Architecture: "amd64", Bytes: 1200, Files: 1, Layer: 1, CreatedBy: gccRun, Layers: lb(1, 1200), FilesKnown: true},
		},
		Unowned:   []packages.DirBytes{{Dir: "/app", Bytes: 700, Files: 1, Layers: lb(1, 700)}},
		Databases: []packages.Database{{Manager: "dpkg", Path: "/var/lib/dpkg/status", Layer: 1, Status: packages.StatusRead, Packages: 3}},
		Shared: []packages.SharedFile{{Path: "/usr/share/doc/gcc-12/copyright", Bytes: 200,
			Owner:  packages.PackageRef{Manager: "dpkg", Name: "gcc-12", Architecture: "amd64"},
			Others: []packages.PackageRef{{Manager: "dpkg", Name: "cpp-12", Architecture: "amd64"}}}},
	}
	if !complete {
		pk.Databases = append(pk.Databases, packages.Database{Manager: "rpm", Path: "/var/lib/rpm/rpmdb.sqlite", Layer: 1,
			Status: packages.StatusNotSupported, Reason: "rpm's sqlite database is not read"})
	}
	return Analysis{Report: r, Packages: pk, Findings: rules.CheckImage(r, pk), Tree: account.SizeTree(r.VisibleFiles, 6, 50)}
}

func TestAnalyzeTextPackages(t *testing.T) {
	var buf bytes.Buffer
	if err := AnalyzeText(&buf, packagesAnalysis(true), TextOptions{Top: 2}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []*regexp.Regexp{
		line(`docs`, `300 B`, `300 bytes`, `documentation, manual pages and locales`),
		line(`doc`, `300 B`, `2 files`, `layer 0 \(100 B\), layer 1 \(200 B\)`),
		regexp.MustCompile(`(?m)^Packages$`),
		line(`dpkg`, `/var/lib/dpkg/status`, `3 packages`),
		line(`in packages`, `9.3 kB`, `9,300 bytes`, `3 packages, 6 files`),
		line(`no package`, `700 B`, `700 bytes`, `1 file`),
		line(`biggest packages \(2 of 3\)`),
		line(`6.0 kB`, `3`, `gcc-12`, `12.2.0-14`, `1`, `RUN apt-get update && apt-get install -y gcc make`),
		line(`2.1 kB`, `2`, `libc6`, `2.36-9`, `0`, `ADD file:0123 in /`),
		line(`… 1 more \(--top 0 lists all`),
		line(`no package, by top directory`),
		line(`700 B`, `1 file`, `/app`),
		line(`Findings about the image`),
		line(`layer 1: warning WH801 build tools in the final image: gcc-12, make \(7.2 kB\)`),
		line(`installed by: RUN apt-get update && apt-get install -y gcc make && rm -rf /var/lib/apt/lists/\*`),
		line(`packages: gcc-12 12.2.0-14 \(6.0 kB\), make 4.3-4.1 \(1.2 kB\)`),
		line(`fix: build in a separate stage`),
		line(`doc: docs/rules/WH801.md`),
	} {
		if !want.MatchString(out) {
			t.Errorf("output has no line matching %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not attributed") || strings.Contains(out, "unowned") {
		t.Errorf("a complete attribution calls its no-package bytes otherwise:\n%s", out)
	}
	// The findings come after the packages, the packages after the dive
	// block.
	if i, j, k := strings.Index(out, "dive-compatible"), strings.Index(out, "\nPackages"), strings.Index(out, "Findings about"); i > j || j > k {
		t.Errorf("sections out of order: dive %d, packages %d, findings %d", i, j, k)
	}
}

// TestAnalyzeTextPackagesIncomplete: a database not read is shown with
// why, and the bytes no package read owns are "not attributed".
func TestAnalyzeTextPackagesIncomplete(t *testing.T) {
	var buf bytes.Buffer
	if err := AnalyzeText(&buf, packagesAnalysis(false), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^Packages \(incomplete\)$`),
		line(`rpm`, `/var/lib/rpm/rpmdb.sqlite`, `not read: rpm's sqlite database is not read`),
		line(`not attributed`, `700 B`, `700 bytes`),
		line(`not attributed, by top directory`),
	} {
		if !want.MatchString(out) {
			t.Errorf("output has no line matching %s:\n%s", want, out)
		}
	}
	if regexp.MustCompile(`(?m)^  no package`).MatchString(out) {
		t.Errorf("an incomplete attribution calls bytes \"no package\":\n%s", out)
	}
}

// TestAnalyzeTextNoFindings: with attribution on, "none" is said; without
// it and without findings, the section is left out (nothing was looked
// for).
func TestAnalyzeTextNoFindings(t *testing.T) {
	a := packagesAnalysis(true)
	a.Findings = []rules.ImageFinding{}
	var buf bytes.Buffer
	if err := AnalyzeText(&buf, a, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Findings about the image\n  none\n") {
		t.Errorf("no \"none\":\n%s", buf.String())
	}
	buf.Reset()
	if err := AnalyzeText(&buf, Analysis{Report: a.Report}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Packages") || strings.Contains(buf.String(), "Findings") {
		t.Errorf("packages or findings without attribution:\n%s", buf.String())
	}
}

func TestAnalyzeJSONPackages(t *testing.T) {
	var buf bytes.Buffer
	if err := AnalyzeJSON(&buf, packagesAnalysis(false)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Image struct {
			DocBytes int64 `json:"doc_bytes"`
		}
		Docs     []map[string]any
		Findings []struct {
			Rule, Severity, Message, CreatedBy, Doc string
			Bytes                                   int64
			Layer                                   int
			Packages                                []map[string]any
		}
		Packages struct {
			Complete  bool
			Databases []map[string]any
			Installed []map[string]any
			NoPackage []map[string]any `json:"no_package"`
			Shared    []struct {
				Path   string
				Owner  map[string]string
				Others []map[string]string
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Image.DocBytes != 300 || len(doc.Docs) != 1 || doc.Docs[0]["category"] != "doc" {
		t.Errorf("docs: %d, %v", doc.Image.DocBytes, doc.Docs)
	}
	p := doc.Packages
	if p.Complete || len(p.Databases) != 2 || p.Databases[1]["status"] != "not-supported" || p.Databases[0]["reason"] != nil ||
		len(p.Installed) != 3 || p.Installed[0]["name"] != "gcc-12" || p.Installed[0]["bytes"] != 6000.0 ||
		p.Installed[0]["created_by"] != gccRun || p.Installed[0]["files_known"] != true || p.Installed[0]["layers"] == nil ||
		len(p.NoPackage) != 1 || p.NoPackage[0]["dir"] != "/app" ||
		len(p.Shared) != 1 || p.Shared[0].Owner["name"] != "gcc-12" || p.Shared[0].Others[0]["name"] != "cpp-12" {
		t.Errorf("packages: %+v", p)
	}
	if len(doc.Findings) != 1 {
		t.Fatalf("findings: %+v", doc.Findings)
	}
	f := doc.Findings[0]
	if f.Rule != "WH801" || f.Severity != "warning" || f.Bytes != 7200 || f.Layer != 1 || f.Doc != "docs/rules/WH801.md" ||
		len(f.Packages) != 2 || f.Packages[0]["name"] != "gcc-12" || f.Packages[1]["version"] != "4.3-4.1" {
		t.Errorf("finding: %+v", f)
	}
	if !strings.Contains(buf.String(), `"created_by": "`+strings.ReplaceAll(gccRun, "&", `\u0026`)) {
		t.Errorf("the finding's created_by is not the layer's history entry")
	}
	// Without attribution: no "packages" key, and "findings" is an array.
	buf.Reset()
	if err := AnalyzeJSON(&buf, Analysis{Report: packagesAnalysis(true).Report}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"packages"`) || !strings.Contains(buf.String(), `"findings": []`) {
		t.Errorf("without attribution:\n%s", buf.String())
	}
}

func TestAnalyzeHTMLPackages(t *testing.T) {
	a := packagesAnalysis(true)
	var buf bytes.Buffer
	if err := AnalyzeHTML(&buf, a, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	text, el := parseHTML(t, buf.Bytes())
	for _, want := range []string{
		"Findings about the image", "WH801", "docs/rules/WH801.md", "build tools in the final image: gcc-12, make",
		"gcc-12 12.2.0-14: 6.0 kB in 3 files", "installed by",
		"Packages", "/var/lib/dpkg/status", "3 packages", "9,300 bytes in 3 packages", "no package", "700 bytes in 1 file", "9,300 bytes in 3 packages, 6 files",
		"gcc-12", "12.2.0-14", "dpkg amd64", "libc6", "/app",
		"Documentation and locales", "0: 100 B, 1: 200 B",
		"Final filesystem by size",
		// The icicle: the root, a directory and a file, with their bytes
		// in the hover text.
		"/: 10,000 bytes in 7 files", "/usr/lib/gcc: 5,000 bytes in 1 file", "/app/main: 700 bytes in 1 file",
		"usr 9.3 kB", "cc1 5.0 kB",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The summary bar, one per layer, the icicle and one per box in it.
	boxes := strings.Count(buf.String(), `height="21"><title>`)
	if boxes < 10 || el["svg"] != 1+len(a.Report.Layers)+1+boxes {
		t.Errorf("%d svg with %d icicle boxes", el["svg"], boxes)
	}
	for _, id := range []string{`id="findings"`, `id="packages"`, `id="docs"`, `id="filesystem"`} {
		if !strings.Contains(buf.String(), id) {
			t.Errorf("no section %s", id)
		}
	}
	if strings.Contains(text, "not attributed") {
		t.Error("a complete attribution calls bytes not attributed")
	}
	buf.Reset()
	if err := AnalyzeHTML(&buf, packagesAnalysis(false), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if text, _ := parseHTML(t, buf.Bytes()); !strings.Contains(text, "Packages (incomplete)") || !strings.Contains(text, "not read: rpm's sqlite") ||
		!strings.Contains(text, "not attributed") {
		t.Errorf("an incomplete attribution: %.2000s", text)
	}
}

// Package names and versions from the image are text, never markup.
func TestAnalyzeHTMLPackagesEscape(t *testing.T) {
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	a := packagesAnalysis(true)
	a.Packages.Packages[0].Name, a.Packages.Packages[0].Version = "gcc"+evil, evil
	a.Packages.Unowned[0].Dir = "/" + evil
	a.Findings = rules.CheckImage(a.Report, a.Packages)
	a.Report.VisibleFiles[0].Path = "usr/" + evil
	a.Tree = account.SizeTree(a.Report.VisibleFiles, 6, 50)
	var buf bytes.Buffer
	if err := AnalyzeHTML(&buf, a, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	text, el := parseHTML(t, buf.Bytes())
	if el["script"] != 0 || el["img"] != 0 || !strings.Contains(text, evil) {
		t.Errorf("markup from the image was not escaped: %d script, %d img", el["script"], el["img"])
	}
}

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/fleet"
	"github.com/whittle/whittle/pkg/measure"
	"github.com/whittle/whittle/pkg/packages"
	"github.com/whittle/whittle/pkg/rules"
)

var update = flag.Bool("update", false, "rewrite golden files")

// exampleReport analyzes examples/app.tar.
func exampleReport(t *testing.T) *account.Report {
	t.Helper()
	img, err := tarball.ImageFromPath(filepath.Join("..", "..", "examples", "app.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := account.Analyze(context.Background(), img, account.WithReference("examples/app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// exampleAnalysis analyzes examples/app.tar as whittle analyze does by
// default: with package attribution and the image rules.
func exampleAnalysis(t *testing.T) Analysis {
	t.Helper()
	img, err := tarball.ImageFromPath(filepath.Join("..", "..", "examples", "app.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := account.Analyze(context.Background(), img, append(packages.AnalyzeOptions(), account.WithReference("examples/app.tar"))...)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := packages.Attribute(r)
	if err != nil {
		t.Fatal(err)
	}
	return Analysis{Report: r, Packages: pk, Findings: rules.CheckImage(r, pk)}
}

// TestExampleFiguresMatchOracle checks the report that the renderers print
// against the figures the example image holds by construction.
func TestExampleFiguresMatchOracle(t *testing.T) {
	r := exampleReport(t)
	o := computeExampleOracle()
	for _, msg := range o.check(r) {
		t.Error(msg)
	}
	if o.wasted == 0 || o.aptLists == 0 || o.tmp == 0 || o.dupBytes == 0 || len(o.waste) != 3 {
		t.Errorf("the example no longer tells its story: %+v", o)
	}
}

// TestExamplePackagesMatchOracle checks the example's package attribution
// (complete: every package's file list is in the image) against the
// packages and files its generator declares.
func TestExamplePackagesMatchOracle(t *testing.T) {
	a := exampleAnalysis(t)
	o := computeExampleOracle()
	for _, msg := range o.checkPackages(a.Packages) {
		t.Error(msg)
	}
	if len(o.pkgBytes) < 8 || o.unownedBytes["/app"] == 0 || o.unownedBytes["/var/lib"] == 0 {
		t.Errorf("the example no longer has its packages: %+v", o.pkgBytes)
	}
}

// TestAnalyzeTextExample checks that the text report of the example image
// prints each figure of the report, and matches the golden file.
func TestAnalyzeTextExample(t *testing.T) {
	a := exampleAnalysis(t)
	r := a.Report
	var buf bytes.Buffer
	if err := AnalyzeText(&buf, a, TextOptions{Top: DefaultTop}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	im := r.Image
	o := computeExampleOracle()
	var inPkgs, pkgFiles int64
	for name, b := range o.pkgBytes {
		inPkgs += b
		pkgFiles += o.pkgFiles[name]
		row := fmt.Sprintf(`(?m)^ +%s +%d  %s +1\.0-1 +%d  `, regexp.QuoteMeta(size(b)), o.pkgFiles[name], regexp.QuoteMeta(name), o.pkgLayer[name])
		if !regexp.MustCompile(row).MatchString(out) {
			t.Errorf("output has no package row matching %s", row)
		}
	}
	for dir, b := range o.unownedBytes {
		files := fmt.Sprintf("%d files", o.unownedFiles[dir])
		if o.unownedFiles[dir] == 1 {
			files = "1 file"
		}
		row := fmt.Sprintf(`(?m)^ +%s +%s  %s$`, regexp.QuoteMeta(size(b)), files, regexp.QuoteMeta(dir))
		if !regexp.MustCompile(row).MatchString(out) {
			t.Errorf("output has no group of no package matching %s", row)
		}
	}
	for _, no := range []string{"incomplete", "unknown", "not attributed", "checked by name only"} {
		if strings.Contains(out, no) {
			t.Errorf("output says %q: the example's package database is complete", no)
		}
	}
	for _, want := range []*regexp.Regexp{
		line(`size`, size(im.SizeBytes), exact(im.SizeBytes)),
		line(`compressed`, size(im.CompressedBytes), exact(im.CompressedBytes)),
		line(`wasted`, size(im.WastedBytes), exact(im.WastedBytes), regexp.QuoteMeta(percent(float64(im.WastedBytes)/float64(im.SizeBytes)))+" of size"),
		line(`visible`, size(im.VisibleBytes), exact(im.VisibleBytes)),
		line(`caches`, size(im.CacheBytes), exact(im.CacheBytes)),
		line(`duplicates`, size(im.DuplicateBytes), exact(im.DuplicateBytes)),
		regexp.MustCompile(fmt.Sprintf(`(?m)^  files +%d `, o.files)),
		line(`deleted by layer 4`),
		line(size(40960), `/tmp/tool.tar.gz`),
		line(`overwritten by layer 1`),
		line(`/var/lib/dpkg/status`),
		line(`overwritten by layer 6`),
		line(`/app/config.yaml`),
		line(`apt-lists`, size(r.Caches[0].Bytes), `2 files`, `layer 1`),
		line(`tmp`, `1 file`, `layer 2`),
		line(`2 copies of`, size(16384)),
		line(`/opt/tool/bin/tool`),
		line(`/usr/local/bin/tool`),
		line(`efficiency`, regexp.QuoteMeta(percent(r.Dive.Efficiency))),
		line(`wasted bytes`, exact(r.Dive.WastedBytes)),
		line(`user wasted percent`, regexp.QuoteMeta(percent(r.Dive.UserWastedPercent))),
		line(`WORKDIR /app`),
		line(`RUN rm /tmp/tool.tar.gz && cp /opt/tool/bin/tool`),
		line(`docs`, `0 B`, `0 bytes`, `documentation, manual pages and locales`),
		// The example's dpkg database is complete: every package's bytes
		// are checked below against the generator's.
		regexp.MustCompile(`(?m)^Packages$`),
		line(`dpkg`, `/var/lib/dpkg/status`, fmt.Sprintf("%d packages", len(o.pkgBytes))),
		line(`in packages`, size(inPkgs), exact(inPkgs), fmt.Sprintf("%d packages, %d files", len(o.pkgBytes), pkgFiles)),
		line(`no package`, size(im.VisibleBytes-inPkgs), exact(im.VisibleBytes-inPkgs), fmt.Sprintf("%d files", im.Files-pkgFiles)),
		line(`layer 1: warning WH804 apt's package lists`, size(r.Caches[0].Bytes)),
		line(`left by: RUN apt-get update`),
		line(`doc: docs/rules/WH804.md`),
	} {
		if !want.MatchString(out) {
			t.Errorf("output has no line matching %s", want)
		}
	}
	// Biggest waste first: the 41 kB archive before the dpkg status file.
	if i, j := strings.Index(out, "/tmp/tool.tar.gz"), strings.Index(out, "/var/lib/dpkg/status"); i < 0 || j < 0 || i > j {
		t.Errorf("waste not in decreasing order (archive at %d, status at %d)", i, j)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour escapes without Color")
	}
	golden(t, filepath.Join("testdata", "analyze-app.txt"), out)
}

// line builds a regexp for one output line holding parts in order.
func line(parts ...string) *regexp.Regexp {
	for i, p := range parts {
		if !strings.ContainsAny(p, `\[(`) {
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile(`(?m)^.*` + strings.Join(parts, `.*`) + `.*$`)
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

func TestAnalyzeTextTop(t *testing.T) {
	r := exampleReport(t)
	var buf bytes.Buffer
	if err := AnalyzeText(&buf, Analysis{Report: r}, TextOptions{Top: 1}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Biggest waste (top 1 of 3 files)", "/tmp/tool.tar.gz", "… 2 more", "inefficient files (1 of 3)"} {
		if !strings.Contains(out, want) {
			t.Errorf("--top 1 output lacks %q", want)
		}
	}
	for _, absent := range []string{"/var/lib/dpkg/status", "overwritten by layer 6"} {
		if strings.Contains(out[:strings.Index(out, "Layers")], absent) {
			t.Errorf("--top 1 waste section shows %q", absent)
		}
	}
}

func TestAnalyzeTextColor(t *testing.T) {
	r := exampleReport(t)
	var buf bytes.Buffer
	if err := AnalyzeText(&buf, Analysis{Report: r}, TextOptions{Top: 3, Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\x1b[1mSummary\x1b[0m") {
		t.Error("no bold heading with Color")
	}
	// Colour never changes the text once escapes are removed.
	var plainBuf bytes.Buffer
	if err := AnalyzeText(&plainBuf, Analysis{Report: r}, TextOptions{Top: 3}); err != nil {
		t.Fatal(err)
	}
	stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(buf.String(), "")
	if stripped != plainBuf.String() {
		t.Errorf("coloured text differs from plain text once escapes are removed:\n%s\n---\n%s", stripped, plainBuf.String())
	}
}

func TestAnalyzeTextEmpty(t *testing.T) {
	var buf bytes.Buffer
	r := &account.Report{SchemaVersion: account.SchemaVersion, Image: account.Image{Reference: "scratch.tar"}, Dive: account.Dive{Efficiency: 1}}
	if err := AnalyzeText(&buf, Analysis{Report: r}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"none: every byte shipped is visible", "Caches\n  none", "Duplicates\n  none", "100.00 %"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("empty report lacks %q:\n%s", want, buf.String())
		}
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestRenderersReportWriteErrors(t *testing.T) {
	r := exampleReport(t)
	for n := range 5 {
		if err := AnalyzeText(&failWriter{n: n}, Analysis{Report: r}, TextOptions{}); err == nil {
			t.Errorf("AnalyzeText after %d writes: nil error", n)
		}
		if err := GateText(&failWriter{n: n}, gate.Evaluate(r, gate.DiveDefaults()), TextOptions{}); err == nil && n < 3 {
			t.Errorf("GateText after %d writes: nil error", n)
		}
	}
	if err := AnalyzeJSON(&failWriter{}, Analysis{Report: r}); err == nil {
		t.Error("AnalyzeJSON: nil error")
	}
}

// TestAnalyzeJSON checks that the JSON is the report as is, indented by
// two spaces.
func TestAnalyzeJSON(t *testing.T) {
	r := exampleReport(t)
	var buf bytes.Buffer
	if err := AnalyzeJSON(&buf, Analysis{Report: r}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "{\n  \"schema_version\": \"whittle.analyze/v1\",\n  \"image\": {\n    \"reference\"") {
		t.Errorf("unexpected start:\n%.200s", buf.String())
	}
	var back account.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Error("JSON does not decode back to the same report")
	}
}

// TestSchemaDocCoversEveryField checks that docs/schema/analyze-v1.md
// documents every JSON key the report can hold, and no key it cannot.
func TestSchemaDocCoversEveryField(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "schema", "analyze-v1.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	// Inline-documented keys of small objects: {layer, bytes}, {path, count, size_bytes}.
	for _, m := range regexp.MustCompile("`\\{([a-z_, ]+)\\}`").FindAllStringSubmatch(string(doc), -1) {
		for _, k := range strings.Split(m[1], ",") {
			documented[strings.TrimSpace(k)] = true
		}
	}
	// Lint finding keys are listed in a sentence: "(`rule`, `hadolint`, ...; see".
	if m := regexp.MustCompile(`The fields of a lint finding \(([^;]+);`).FindStringSubmatch(string(doc)); m != nil {
		for _, k := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(m[1], -1) {
			documented[k[1]] = true
		}
	}
	keys := map[string]bool{"dockerfile": true, "gate": true, "findings": true, "packages": true}
	jsonKeys(reflect.TypeOf(account.Report{}), keys)
	jsonKeys(reflect.TypeOf(rules.ImageFinding{}), keys)
	jsonKeys(reflect.TypeOf(packagesJSON{}), keys)
	jsonKeys(reflect.TypeOf(measure.Result{}), keys)
	jsonKeys(reflect.TypeOf(gateJSON{}), keys)
	for k := range keys {
		if !documented[k] {
			t.Errorf("JSON key %q is not documented in docs/schema/analyze-v1.md", k)
		}
	}
	var extra []string
	for k := range documented {
		if !keys[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	if len(extra) > 0 {
		t.Errorf("docs/schema/analyze-v1.md documents keys the report does not have: %v", extra)
	}
}

func jsonKeys(t reflect.Type, keys map[string]bool) {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		jsonKeys(t.Elem(), keys)
	case reflect.Struct:
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" && f.Anonymous {
				jsonKeys(f.Type, keys) // embedded: its fields are promoted
				continue
			}
			if name == "" || name == "-" {
				continue
			}
			keys[name] = true
			jsonKeys(f.Type, keys)
		}
	}
}

func TestShortCreatedBy(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "(no history)"},
		{`/bin/sh -c #(nop)  CMD ["bash"]`, `CMD ["bash"]`},
		{"/bin/sh -c #(nop) ADD file:3c1f9e0a7d2b4e6f8a0c1e3d5b7f9a1c3e5d7b9f1a3c5e7d9b1f3a5c7e9d1b3f in / ", "ADD file:3c1f9e0a7d2b… in /"},
		{"/bin/sh -c apt-get update &&     apt-get install -y curl", "RUN apt-get update && apt-get install -y curl"},
		{"RUN /bin/sh -c apk add --no-cache git # buildkit", "RUN apk add --no-cache git"},
		{"|2 GO=1.22 V=3 /bin/sh -c make build", "RUN make build"},
		{"COPY . /src # buildkit", "COPY . /src"},
		{"WORKDIR /app", "WORKDIR /app"},
	}
	for _, tt := range tests {
		if got := ShortCreatedBy(tt.in, 64); got != tt.want {
			t.Errorf("ShortCreatedBy(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := "/bin/sh -c " + strings.Repeat("x", 100)
	if got, want := ShortCreatedBy(long, 24), "RUN "+strings.Repeat("x", 19)+"…"; got != want {
		t.Errorf("ShortCreatedBy(long, 24) = %q, want %q", got, want)
	}
}

func TestGateText(t *testing.T) {
	r := &account.Report{Image: account.Image{SizeBytes: 1000, WastedBytes: 300},
		Dive: account.Dive{Efficiency: 0.9844212134184309, WastedBytes: 32025, UserWastedPercent: 0.4834911001404049}}
	mk := func(name, setting, src string) gate.Rule {
		rule, err := gate.ParseRule(name, setting, src)
		if err != nil {
			t.Fatal(err)
		}
		return rule
	}
	o := gate.Evaluate(r, []gate.Rule{
		mk(gate.NameMaxWastedBytes, "20MB", "--max-wasted-bytes"),
		mk(gate.NameMaxWastedRatio, "0.1", ".whittle.yaml"),
		mk(gate.NameLowestEfficiency, "0.99", ".dive-ci"),
		mk(gate.NameHighestWastedBytes, "disabled", ".dive-ci"),
	})
	var buf bytes.Buffer
	if err := GateText(&buf, o, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []*regexp.Regexp{
		line(`PASS`, `max-wasted-bytes`, `300 bytes`, `<= 20,000,000 bytes \(20MB\)`, `--max-wasted-bytes`),
		line(`FAIL`, `max-wasted-ratio`, `0.3000`, `<= 0.1`, `.whittle.yaml`),
		line(`FAIL`, `lowestEfficiency`, `0.9844`, `>= 0.99`, `.dive-ci`),
		line(`SKIP`, `highestWastedBytes`, `disabled`),
		regexp.MustCompile(`(?m)^FAIL \(2 of 4 rules failed\)$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("gate output has no line matching %s:\n%s", want, out)
		}
	}
	// A figure that rounds to its threshold is printed in full.
	o = gate.Evaluate(&account.Report{Dive: account.Dive{Efficiency: 0.89999}}, []gate.Rule{mk(gate.NameMinEfficiency, "0.9", "flag")})
	buf.Reset()
	if err := GateText(&buf, o, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "0.89999") || !strings.Contains(buf.String(), "FAIL (1 of 1 rule failed)") {
		t.Errorf("rounded figure hides the verdict:\n%s", buf.String())
	}
}

// TestGuideShowsCurrentOutput keeps the sample in docs/analyze.md equal to
// the golden text report of the example image.
func TestGuideShowsCurrentOutput(t *testing.T) {
	guide, err := os.ReadFile(filepath.Join("..", "..", "docs", "analyze.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "analyze-app.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(guide), "```text\n"+string(want)+"```\n") {
		t.Error("docs/analyze.md does not show the current output of `whittle analyze examples/app.tar` (testdata/analyze-app.txt)")
	}
}

// TestFleetSchemaDocCoversEveryField checks docs/schema/fleet-v1.md the
// same way.
func TestFleetSchemaDocCoversEveryField(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "schema", "fleet-v1.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	keys := map[string]bool{}
	jsonKeys(reflect.TypeOf(fleet.Report{}), keys)
	for k := range keys {
		if !documented[k] {
			t.Errorf("JSON key %q is not documented in docs/schema/fleet-v1.md", k)
		}
	}
	for k := range documented {
		if !keys[k] {
			t.Errorf("docs/schema/fleet-v1.md documents key %q, which the report does not have", k)
		}
	}
}

// TestAnalyzeTextWasteOrder: the biggest waste is grouped by layer, then by
// why and by which layer; layers come in the order of their total waste
// and groups in the order of theirs, not of their biggest file. Layer 1
// wastes 15 kB in five files, layer 0 10 kB in one file; in layer 2 the
// group deleted by layer 3 (9 kB in three files) outweighs the one file
// overwritten by layer 4 (4 kB).
func TestAnalyzeTextWasteOrder(t *testing.T) {
	r := &account.Report{SchemaVersion: account.SchemaVersion, Image: account.Image{Reference: "synthetic.tar"}}
	for i, wasted := range []int64{10000, 15000, 13000, 0, 0} {
		r.Layers = append(r.Layers, account.Layer{Index: i, WastedBytes: wasted, CreatedBy: fmt.Sprintf("RUN step %d", i)})
	}
	r.Waste = append(r.Waste, account.WasteItem{Path: "/a", Layer: 0, Bytes: 10000, Reason: account.ReasonDeleted, ShadowedBy: 3})
	for i := range 5 {
		r.Waste = append(r.Waste, account.WasteItem{Path: fmt.Sprintf("/b%d", i), Layer: 1, Bytes: 3000, Reason: account.ReasonDeleted, ShadowedBy: 3})
	}
	r.Waste = append(r.Waste, account.WasteItem{Path: "/c", Layer: 2, Bytes: 4000, Reason: account.ReasonOverwritten, ShadowedBy: 4})
	for i := range 3 {
		r.Waste = append(r.Waste, account.WasteItem{Path: fmt.Sprintf("/d%d", i), Layer: 2, Bytes: 3000, Reason: account.ReasonDeleted, ShadowedBy: 3})
	}
	for _, v := range []struct {
		top  int
		want []string
	}{
		{0, []string{"layer 1  RUN step 1  15 kB wasted", "deleted by layer 3: 15 kB in 5 files", "/b0",
			"layer 2  RUN step 2  13 kB wasted", "deleted by layer 3: 9.0 kB in 3 files", "/d0", "overwritten by layer 4\n", "/c",
			"layer 0  RUN step 0  10 kB wasted", "deleted by layer 3\n", "/a"}},
		// Cut to the biggest files, the groups keep the order of their totals.
		{2, []string{"layer 2  RUN step 2  13 kB wasted", "overwritten by layer 4\n", "/c",
			"layer 0  RUN step 0  10 kB wasted", "/a", "… 8 more"}},
	} {
		var buf bytes.Buffer
		if err := AnalyzeText(&buf, Analysis{Report: r}, TextOptions{Top: v.top}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		out = out[strings.Index(out, "Biggest waste"):strings.Index(out, "\nLayers")]
		at := 0
		for _, w := range v.want {
			i := strings.Index(out[at:], w)
			if i < 0 {
				t.Errorf("top %d: %q missing or out of order after byte %d:\n%s", v.top, w, at, out)
				break
			}
			at += i + len(w)
		}
	}
}

// exampleGate judges the example image (wasted 43,002 bytes of 231,958,
// dive efficiency 0.8093) by a passing, a failing and a disabled rule.
func exampleGate(t *testing.T, r *account.Report) gate.Outcome {
	t.Helper()
	var rules []gate.Rule
	for _, s := range [][3]string{
		{gate.NameMaxWastedBytes, "20MB", "--max-wasted-bytes"},
		{gate.NameLowestEfficiency, "0.9", ".dive-ci"},
		{gate.NameHighestWastedBytes, "disabled", ".dive-ci"},
	} {
		rule, err := gate.ParseRule(s[0], s[1], s[2])
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, rule)
	}
	return gate.Evaluate(r, gate.Merge(rules))
}

// TestAnalyzeJSONGate: with the gate on, the JSON report holds its verdict
// and every rule (figure, value, bound, threshold, setting, source,
// verdict); without it, no gate key.
func TestAnalyzeJSONGate(t *testing.T) {
	r := exampleReport(t)
	o := exampleGate(t, r)
	var buf bytes.Buffer
	if err := AnalyzeJSON(&buf, Analysis{Report: r, Gate: &o}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Gate *struct {
			Verdict string
			Failed  int
			Rules   []map[string]any
		}
		Image account.Image
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Gate == nil || doc.Gate.Verdict != "fail" || doc.Gate.Failed != 1 || len(doc.Gate.Rules) != 3 || doc.Image.WastedBytes != r.Image.WastedBytes {
		t.Fatalf("gate block: %+v", doc.Gate)
	}
	want := []map[string]any{
		{"name": "max-wasted-bytes", "figure": "image.wasted_bytes", "value": float64(computeExampleOracle().wasted), "bound": "maximum", "threshold": float64(20000000), "setting": "20MB", "source": "--max-wasted-bytes", "verdict": "pass"},
		{"name": "lowestEfficiency", "figure": "dive.efficiency", "value": r.Dive.Efficiency, "bound": "minimum", "threshold": 0.9, "setting": "0.9", "source": ".dive-ci", "verdict": "fail"},
		{"name": "highestWastedBytes", "figure": "dive.wasted_bytes", "value": float64(r.Dive.WastedBytes), "bound": "maximum", "threshold": nil, "setting": "disabled", "source": ".dive-ci", "verdict": "skip"},
	}
	if !reflect.DeepEqual(doc.Gate.Rules, want) {
		t.Errorf("gate rules:\n%v\nwant\n%v", doc.Gate.Rules, want)
	}
	buf.Reset()
	if err := AnalyzeJSON(&buf, Analysis{Report: r}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"gate"`) || strings.Contains(buf.String(), `"dockerfile"`) {
		t.Error("a gate or dockerfile key without either")
	}
}

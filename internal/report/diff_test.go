package report

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle/whittle/examples/appimage"
	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/diff"
)

// exampleDiff compares the example image with its next release (package
// appimage), whose changes are known by construction.
func exampleDiff(t *testing.T) *diff.Report {
	t.Helper()
	old, err := tarball.ImageFromPath(filepath.Join("..", "..", "examples", "app.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	next, err := appimage.NextImage()
	if err != nil {
		t.Fatal(err)
	}
	r, err := diff.Diff(context.Background(), old, next, diff.WithReferences("examples/app.tar", "app-1.1.tar"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// exampleSizes are the size_bytes of the example and of its next release,
// summed over the layers their generator declares.
func exampleSizes() (old, next int64) {
	sum := func(layers []appimage.Layer) int64 {
		var n int64
		for _, l := range layers {
			for _, e := range l.Entries {
				if e.Type == tar.TypeReg {
					n += int64(len(e.Data))
				}
			}
		}
		return n
	}
	return sum(appimage.Layers()), sum(appimage.NextLayers())
}

// exampleSizeChange is the size change as the reports print it: "224 kB",
// "236 kB", "+12 kB", "+5.51 %".
func exampleSizeChange() (old, next, delta, pct string) {
	o, n := exampleSizes()
	return size(o), size(n), diffSigned(n - o), diffPercent(n-o, o)
}

func growthGate(t *testing.T, r *diff.Report, maxGrowth, ratio string) *gate.Outcome {
	t.Helper()
	rules, err := gate.GrowthThresholds{MaxGrowth: maxGrowth, MaxGrowthRatio: ratio}.Rules()
	if err != nil {
		t.Fatal(err)
	}
	o := gate.EvaluateDiff(r, rules)
	return &o
}

func TestDiffTextExample(t *testing.T) {
	r := exampleDiff(t)
	var buf bytes.Buffer
	if err := DiffText(&buf, r, TextOptions{Top: DefaultTop}); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "diff-app.txt"), buf.String())
	// What the next release changed, by construction.
	for _, want := range []string{
		"added    +6.1 kB       -  6.1 kB  /usr/bin/jq",
		"removed  -2.6 kB  2.6 kB       -  /tmp/tool-install.log",
		"/app/bin/app ",
		"upgraded  curl:amd64      1.0-1        1.1-1",
		"removed   openssl:amd64   1.0-1        -",
		"(the content of old layer 2)",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q", want)
		}
	}
	buf.Reset()
	if err := DiffText(&buf, r, TextOptions{Top: 2}); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("... and %d more paths (--top 0 lists all; --format json has every path)", len(r.Paths.Items)-2); !strings.Contains(buf.String(), want) {
		t.Errorf("--top 2 does not say what it left out:\n%s", buf.String())
	}
}

// TestDiffGuideShowsCurrentOutput keeps the sample in docs/diff.md equal
// to the golden text report.
func TestDiffGuideShowsCurrentOutput(t *testing.T) {
	guide, err := os.ReadFile(filepath.Join("..", "..", "docs", "diff.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "diff-app.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(guide), "```text\n"+string(want)+"```\n") {
		t.Error("docs/diff.md does not show the current output of `whittle diff examples/app.tar app-1.1.tar` (testdata/diff-app.txt)")
	}
	md, err := os.ReadFile(filepath.Join("testdata", "diff-app.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(guide), "```markdown\n"+string(md)+"```\n") {
		t.Error("docs/diff.md does not show the current Markdown output (testdata/diff-app.md)")
	}
}

// mdTable is one Markdown table: its rows split into cells.
type mdTable struct {
	line  int
	rows  [][]string
	align []string
}

// cells splits a table row at the pipes that are not escaped.
func cells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	var out []string
	var cur strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row):
			cur.WriteByte(row[i])
			cur.WriteByte(row[i+1])
			i++
		case row[i] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

var delimiterCell = regexp.MustCompile(`^:?-+:?$`)

// parseMarkdownTables finds the GitHub-flavoured tables of a document
// and fails on anything that would not render as one: a table without a
// blank line before it, a delimiter row that does not match its header,
// a row with another number of cells, <details> left open.
func parseMarkdownTables(t *testing.T, doc string) []mdTable {
	t.Helper()
	var tables []mdTable
	lines := strings.Split(doc, "\n")
	opened := 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		opened += strings.Count(l, "<details") - strings.Count(l, "</details>")
		if !strings.HasPrefix(l, "|") {
			continue
		}
		if i > 0 && strings.TrimSpace(lines[i-1]) != "" {
			t.Errorf("line %d: a table with no blank line before it", i+1)
		}
		tb := mdTable{line: i + 1, rows: [][]string{cells(l)}}
		if i+1 >= len(lines) {
			t.Fatalf("line %d: a table without a delimiter row", i+1)
		}
		tb.align = cells(lines[i+1])
		if len(tb.align) != len(tb.rows[0]) {
			t.Errorf("line %d: %d header cells, %d in the delimiter row", i+1, len(tb.rows[0]), len(tb.align))
		}
		for _, c := range tb.align {
			if !delimiterCell.MatchString(c) {
				t.Errorf("line %d: delimiter cell %q", i+2, c)
			}
		}
		i += 2
		for ; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
			row := cells(lines[i])
			// A last empty cell is dropped by cells: pad it back.
			for len(row) < len(tb.align) && strings.HasSuffix(strings.TrimSpace(lines[i]), "|  |") {
				row = append(row, "")
			}
			if len(row) != len(tb.align) {
				t.Errorf("line %d: %d cells, want %d: %q", i+1, len(row), len(tb.align), lines[i])
			}
			tb.rows = append(tb.rows, row)
		}
		tables = append(tables, tb)
	}
	if opened != 0 {
		t.Errorf("%d <details> left open", opened)
	}
	return tables
}

func TestDiffMarkdown(t *testing.T) {
	r := exampleDiff(t)
	var buf bytes.Buffer
	// The next release grows by 8,166 bytes, 3.52 %: over 5 kB, under 10 %.
	if err := DiffMarkdown(&buf, r, growthGate(t, r, "5kB", "0.1"), TextOptions{Top: DefaultTop}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	tables := parseMarkdownTables(t, out)
	// The gate, the figures, paths, directories, packages, no-package
	// bytes and layers.
	if len(tables) != 7 {
		t.Fatalf("%d tables, want 7:\n%s", len(tables), out)
	}
	if got := tables[0].rows[1]; !slices.Equal(got[:3], []string{"FAIL", "max-growth", "size growth"}) {
		t.Errorf("gate row %q", got)
	}
	so, sn, sd, sp := exampleSizeChange()
	if got := tables[1].rows[1]; !slices.Equal(got, []string{"size", so, sn, sd, sp}) {
		t.Errorf("size row %q, want %q", got, []string{"size", so, sn, sd, sp})
	}
	if got := tables[2].rows[1]; !slices.Equal(got[:5], []string{"added", "+6.1 kB", "-", "6.1 kB", "`/usr/bin/jq`"}) {
		t.Errorf("first path row %q", got)
	}
	if !strings.HasPrefix(out, "### whittle diff: `examples/app.tar` → `app-1.1.tar`\n\n**Size "+so+" → "+sn+" ("+sd+", "+sp+")**") {
		t.Errorf("heading:\n%s", out[:200])
	}
	if !strings.Contains(out, "❌ **CI gate: FAIL** (1 of 2 rules failed)") {
		t.Error("no verdict")
	}
	// Without a gate: no verdict, one table fewer.
	buf.Reset()
	if err := DiffMarkdown(&buf, r, nil, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "diff-app.md"), buf.String())
	if n := len(parseMarkdownTables(t, buf.String())); n != 6 || strings.Contains(buf.String(), "CI gate") {
		t.Errorf("%d tables without a gate", n)
	}
}

// TestDiffMarkdownEscapes: paths and instructions with pipes, backticks
// and markup stay in their cells.
func TestDiffMarkdownEscapes(t *testing.T) {
	r := &diff.Report{SchemaVersion: diff.SchemaVersion, Old: diff.Image{Reference: "a|b"}, New: diff.Image{Reference: "c`d"}}
	r.Paths.Items = []diff.PathChange{
		{Path: "/x|y/`z`", Change: diff.Added, What: []string{}, New: &diff.PathState{Type: diff.TypeFile, Size: 3, Bytes: 3}, DeltaBytes: 3},
		{Path: "/a <b> *c*", Change: diff.Changed, What: []string{diff.WhatTarget},
			Old: &diff.PathState{Type: diff.TypeSymlink, Target: "t|1"}, New: &diff.PathState{Type: diff.TypeSymlink, Target: "<t2>"}},
	}
	r.Layers.Items = []diff.LayerChange{{Change: diff.Added, OldIndex: -1, SameContentAs: -1, CreatedBy: "RUN echo 'a|b' | tr `x` y"}}
	var buf bytes.Buffer
	if err := DiffMarkdown(&buf, r, nil, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	tables := parseMarkdownTables(t, buf.String())
	paths := tables[1]
	if got := paths.rows[1][4]; got != "``/x\\|y/`z```" && got != "`` /x\\|y/`z` ``" {
		t.Errorf("path cell %q", got)
	}
	if got := paths.rows[2][5]; got != `target t\|1 -\> \<t2\>` {
		t.Errorf("what cell %q", got)
	}
	if got := tables[len(tables)-1].rows[1][5]; !strings.Contains(got, `'a\|b' \| tr`) {
		t.Errorf("created-by cell %q", got)
	}
	if !strings.HasPrefix(buf.String(), "### whittle diff: `a\\|b` → `` c`d ``") {
		t.Errorf("heading %q", strings.SplitN(buf.String(), "\n", 2)[0])
	}
}

func TestDiffHTML(t *testing.T) {
	r := exampleDiff(t)
	var buf bytes.Buffer
	if err := DiffHTML(&buf, r, growthGate(t, r, "20MB", "0.01"), TextOptions{Top: 3}); err != nil {
		t.Fatal(err)
	}
	text, el := parseHTML(t, buf.Bytes())
	so, sn, sd, sp := exampleSizeChange()
	for _, want := range []string{
		"examples/app.tar → app-1.1.tar",
		sd, so + " → " + sn + ", " + sp,
		"CI gate: FAIL", "max-growth-ratio", "size growth / old size",
		"/usr/bin/jq", "/tmp/tool-install.log",
		fmt.Sprintf("… and %d more (--top 0 lists all; --format json has every path)", len(r.Paths.Items)-3),
		"libcurl4:amd64", "1.1-1", "jq:amd64",
		"(the content of old layer 2)",
		"whittle.diff/v1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if el["svg"] != 1 || el["section"] != 6 || el["table"] != 7 {
		t.Errorf("%d svg, %d sections, %d tables: want 1, 6, 7", el["svg"], el["section"], el["table"])
	}
	// Without a gate, no gate section.
	buf.Reset()
	if err := DiffHTML(&buf, r, nil, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if text, el := parseHTML(t, buf.Bytes()); el["section"] != 5 || strings.Contains(text, "CI gate") {
		t.Errorf("%d sections without a gate", el["section"])
	}
}

func TestDiffJSON(t *testing.T) {
	r := exampleDiff(t)
	var buf bytes.Buffer
	if err := DiffJSON(&buf, r, nil); err != nil {
		t.Fatal(err)
	}
	var back diff.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Error("JSON does not decode back to the same report")
	}
	if strings.Contains(buf.String(), `"gate"`) {
		t.Error("a gate block without a gate")
	}
	buf.Reset()
	o, n := exampleSizes()
	if err := DiffJSON(&buf, r, growthGate(t, r, "20MB", "")); err != nil {
		t.Fatal(err)
	}
	var withGate struct {
		Gate gateJSON `json:"gate"`
	}
	if err := json.Unmarshal(buf.Bytes(), &withGate); err != nil {
		t.Fatal(err)
	}
	if g := withGate.Gate; g.Verdict != "pass" || len(g.Rules) != 1 || g.Rules[0].Figure != "change.size_bytes" || g.Rules[0].Value != float64(n-o) {
		t.Errorf("gate block %+v", g)
	}
}

// TestDiffSchemaDocCoversEveryField checks that docs/schema/diff-v1.md
// documents every JSON key the report can hold, and no key it cannot.
func TestDiffSchemaDocCoversEveryField(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "schema", "diff-v1.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	keys := map[string]bool{"gate": true}
	jsonKeys(reflect.TypeOf(diff.Report{}), keys)
	jsonKeys(reflect.TypeOf(gateJSON{}), keys)
	for k := range keys {
		if !documented[k] {
			t.Errorf("JSON key %q is not documented in docs/schema/diff-v1.md", k)
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
		t.Errorf("docs/schema/diff-v1.md documents keys the report does not have: %v", extra)
	}
}

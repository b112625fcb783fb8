package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/measure"
	"github.com/whittle/whittle/pkg/rules"
)

// parseHTML parses a page and returns its text and every element name
// with its attributes, failing on anything a self-contained page must not
// have: a script, a style sheet or image fetched from elsewhere, an
// attribute that runs code.
func parseHTML(t *testing.T, page []byte) (text string, elements map[string]int) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("the page does not parse: %v", err)
	}
	elements = map[string]int{}
	var sb strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			if n.Parent == nil || n.Parent.Data != "style" {
				sb.WriteString(n.Data)
			}
		case html.ElementNode:
			elements[n.Data]++
			switch n.Data {
			case "script", "link", "img", "iframe", "object", "embed":
				t.Errorf("the page has a <%s> element", n.Data)
			}
			for _, a := range n.Attr {
				if a.Key == "src" || a.Key == "href" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s %s=%q>: the page must load nothing and run nothing", n.Data, a.Key, a.Val)
				}
			}
			if n.Data == "style" && n.FirstChild != nil && strings.Contains(n.FirstChild.Data, "url(") {
				t.Error("the style sheet fetches a url()")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return sb.String(), elements
}

func TestAnalyzeHTMLExample(t *testing.T) {
	r := exampleReport(t)
	var buf bytes.Buffer
	if err := AnalyzeHTML(&buf, Analysis{Report: r}, TextOptions{Top: 2}); err != nil {
		t.Fatal(err)
	}
	text, el := parseHTML(t, buf.Bytes())
	for _, want := range []string{
		"examples/app.tar",
		exact(r.Image.SizeBytes), exact(r.Image.CompressedBytes), exact(r.Image.WastedBytes),
		exact(r.Image.VisibleBytes), exact(r.Image.CacheBytes), exact(r.Image.DuplicateBytes),
		"/tmp/tool.tar.gz", "deleted by layer 4",
		"… and 1 more file (--top 0 lists all",
		"apt-lists", "/usr/local/bin/tool",
		fmt.Sprintf("%.4f", r.Dive.Efficiency), exact(r.Dive.WastedBytes),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// One SVG for the size bar and one per layer; without attribution
	// and without a size tree, neither the package sections nor the
	// icicle.
	if el["svg"] != 1+len(r.Layers) || el["section"] != 7 {
		t.Errorf("%d svg, %d sections: want %d and 7", el["svg"], el["section"], 1+len(r.Layers))
	}
	if strings.Contains(text, "Dockerfile") {
		t.Error("a Dockerfile section without --dockerfile")
	}
}

// Names from the image are text, never markup.
func TestAnalyzeHTMLEscapes(t *testing.T) {
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	r := &account.Report{
		SchemaVersion: account.SchemaVersion,
		Image:         account.Image{Reference: evil, SizeBytes: 10, WastedBytes: 10},
		Layers:        []account.Layer{{CreatedBy: "RUN " + evil, SizeBytes: 10, WastedBytes: 10}},
		Waste:         []account.WasteItem{{Path: "/" + evil, Bytes: 10, Reason: account.ReasonDeleted, ShadowedBy: 1}},
		Caches:        []account.Cache{},
		Duplicates:    []account.Duplicate{{Paths: []string{"/a" + evil, "/b"}, Size: 5, Bytes: 5}},
	}
	m := &measure.Result{File: evil, Stage: evil, Findings: []measure.Finding{
		{Finding: rules.Finding{Rule: "WH201", Line: 2, Message: evil}, Layer: 0, Measured: true, CostBytes: 10, Basis: evil},
	}}
	var buf bytes.Buffer
	if err := AnalyzeHTML(&buf, Analysis{Report: r, Dockerfile: m}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	text, el := parseHTML(t, buf.Bytes())
	if el["script"] != 0 || el["img"] != 0 || !strings.Contains(text, evil) {
		t.Errorf("markup from the image was not escaped: %d script, %d img", el["script"], el["img"])
	}
}

func TestAnalyzeHTMLMeasured(t *testing.T) {
	r := exampleReport(t)
	m := &measure.Result{File: "Dockerfile", Stage: "0", BaseLayers: 1, MeasuredBytes: 56495,
		Instructions: []measure.Instruction{{Line: 5, Kind: "RUN", Layer: 1}},
		Findings: []measure.Finding{
			{Finding: rules.Finding{Rule: "WH701", Line: 4, Message: "the final image is built on debian:bookworm"}, Layer: -1, Measured: true, CostBytes: 56495, Basis: "the base image's layer (0)"},
			{Finding: rules.Finding{Rule: "WH202", Line: 5}, Layer: 1, Basis: "not measurable"},
		}}
	var buf bytes.Buffer
	if err := AnalyzeHTML(&buf, Analysis{Report: r, Dockerfile: m}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	text, el := parseHTML(t, buf.Bytes())
	for _, want := range []string{"Dockerfile Dockerfile: what each finding costs", "1 instruction paired with layers; 1 layer below", "56,495 bytes, each byte once", "WH701", "the base image's layer (0)", "1 finding not measured"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if el["section"] != 8 {
		t.Errorf("%d sections, want 8", el["section"])
	}
}

// TestAnalyzeHTMLGate: with the gate on, the page shows its verdict and
// every rule, as text does.
func TestAnalyzeHTMLGate(t *testing.T) {
	r := exampleReport(t)
	o := exampleGate(t, r)
	var buf bytes.Buffer
	if err := AnalyzeHTML(&buf, Analysis{Report: r, Gate: &o}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	text, el := parseHTML(t, buf.Bytes())
	for _, want := range []string{
		"CI gate: FAIL", "1 of 3 rules failed.",
		"PASS", "max-wasted-bytes", "wasted bytes", exact(computeExampleOracle().wasted), "<= 20,000,000 bytes (20MB)", "--max-wasted-bytes",
		"FAIL", "lowestEfficiency", "dive efficiency", fmt.Sprintf("%.4f", r.Dive.Efficiency), ">= 0.9", ".dive-ci",
		"SKIP", "highestWastedBytes", "disabled",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if el["section"] != 8 {
		t.Errorf("%d sections, want 8", el["section"])
	}
	o = gate.Evaluate(r, nil)
	buf.Reset()
	if err := AnalyzeHTML(&buf, Analysis{Report: r, Gate: &o}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if text, _ := parseHTML(t, buf.Bytes()); !strings.Contains(text, "CI gate: PASS") || !strings.Contains(text, "No rules.") {
		t.Errorf("a gate without rules: %.300s", text)
	}
}

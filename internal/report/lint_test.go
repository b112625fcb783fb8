package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/whittle/whittle/pkg/rules"
)

var lintSample = LintResult{
	Findings: []rules.Finding{
		{Rule: "WH201", Hadolint: "DL3009", Severity: rules.Warning, File: "Dockerfile", Line: 2, Column: 5, EndLine: 2, EndColumn: 19,
			Stage: "0", InFinalImage: true, Message: "apt-get update leaves the lists", Fix: "rm -rf /var/lib/apt/lists/*", Doc: "docs/rules/WH201.md"},
		{Rule: "WH104", Severity: rules.Info, File: "Dockerfile", Line: 3, Column: 1, EndLine: 3, EndColumn: 9,
			Message: "consecutive RUNs", Doc: "docs/rules/WH104.md"},
	},
	Rules: []rules.Meta{
		{ID: "WH104", Name: "consecutive-runs", Summary: "s104", Severity: rules.Info, Doc: "docs/rules/WH104.md", Hadolint: []string{"DL3059"}},
		{ID: "WH201", Name: "apt-lists-not-removed", Summary: "s201", Severity: rules.Warning, Doc: "docs/rules/WH201.md"},
	},
}

func TestLintText(t *testing.T) {
	var b bytes.Buffer
	if err := LintText(&b, lintSample); err != nil {
		t.Fatal(err)
	}
	want := "Dockerfile:2:5: warning WH201 apt-get update leaves the lists\n" +
		"    fix: rm -rf /var/lib/apt/lists/*\n" +
		"Dockerfile:3:1: info WH104 consecutive RUNs\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestLintJSON(t *testing.T) {
	var b bytes.Buffer
	if err := LintJSON(&b, lintSample); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 2 {
		t.Fatalf("got %d findings", len(doc.Findings))
	}
	f := doc.Findings[0]
	for k, v := range map[string]any{"rule": "WH201", "hadolint": "DL3009", "severity": "warning", "file": "Dockerfile",
		"line": 2.0, "column": 5.0, "end_line": 2.0, "end_column": 19.0, "fix": "rm -rf /var/lib/apt/lists/*",
		"doc": "docs/rules/WH201.md", "in_final_image": true, "stage": "0"} {
		if f[k] != v {
			t.Errorf("%s = %v, want %v", k, f[k], v)
		}
	}
	b.Reset()
	if err := LintJSON(&b, LintResult{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte(`"findings": []`)) {
		t.Errorf("empty result is %s", b.String())
	}
}

func TestLintSARIF(t *testing.T) {
	var b bytes.Buffer
	if err := LintSARIF(&b, lintSample, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	log, err := sarif.FromBytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %s, %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "whittle" || d.Version == nil || *d.Version != "1.2.3" || len(d.Rules) != 2 {
		t.Fatalf("driver %+v", d)
	}
	if d.Rules[1].ID != "WH201" || *d.Rules[1].HelpURI != DocBaseURL+"docs/rules/WH201.md" ||
		d.Rules[1].DefaultConfiguration.Level != "warning" || d.Rules[0].DefaultConfiguration.Level != "note" {
		t.Errorf("rules %+v %+v", d.Rules[0], d.Rules[1])
	}
	if len(run.Results) != 2 {
		t.Fatalf("%d results", len(run.Results))
	}
	r := run.Results[0]
	reg := r.Locations[0].PhysicalLocation.Region
	if *r.RuleID != "WH201" || *r.RuleIndex != 1 || *r.Level != "warning" ||
		*r.Locations[0].PhysicalLocation.ArtifactLocation.URI != "Dockerfile" ||
		*reg.StartLine != 2 || *reg.StartColumn != 5 || *reg.EndLine != 2 || *reg.EndColumn != 19 {
		t.Errorf("result %+v region %+v", r, reg)
	}
	if *run.Results[1].Level != "note" {
		t.Errorf("info maps to %s", *run.Results[1].Level)
	}
}

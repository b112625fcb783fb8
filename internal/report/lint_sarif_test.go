package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v2/sarif"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/whittle/whittle/pkg/rules"
)

func TestLintSARIF(t *testing.T) {
	var b bytes.Buffer
	if err := LintSARIF(&b, lintSample, SARIFOptions{Version: "1.2.3"}); err != nil {
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
	for _, r := range run.Results {
		if r.Fixes != nil {
			t.Errorf("a finding without repair has fixes %+v", r.Fixes)
		}
	}
	b.Reset()
	if err := LintSARIF(&b, lintSample, SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte(`"version": ""`)) || bytes.Contains(b.Bytes(), []byte(`"semanticVersion"`)) {
		t.Errorf("no version gives a version:\n%s", b.String())
	}
}

// TestLintSARIFFixes checks each result's fixes against its finding's
// repair, that every replacement's bytes and lines name the same range of
// the source, and that applying a fix gives the repaired text.
func TestLintSARIFFixes(t *testing.T) {
	in := repairSample(t)
	var b bytes.Buffer
	if err := LintSARIF(&b, in, SARIFOptions{Version: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	log, err := sarif.FromBytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	results := log.Runs[0].Results
	if len(results) != len(in.Findings) {
		t.Fatalf("%d results for %d findings", len(results), len(in.Findings))
	}
	tests := []struct {
		rule          string
		applicability string // "" when the result has no fix
		reason        string
		// Applying the fix turns the lines was of the source into now
		// and leaves the rest unchanged.
		was, now string
	}{{
		rule: "WH201", applicability: "safe", reason: "no later instruction of the stage reads the lists",
		was: "RUN apt-get update && apt-get install -y curl\r\n",
		now: "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\r\n",
	}, {
		rule: "WH202", applicability: "unsafe", reason: "packages that only came as recommends are no longer installed",
		was: "RUN apt-get update && apt-get install -y curl\r\n",
		now: "RUN apt-get update && apt-get install --no-install-recommends -y ca-certificates curl\r\n",
	}, {
		rule: "WH501", // display-only: never a SARIF fix
	}, {
		rule: "WH104", applicability: "safe",
		was: "RUN pip install flask\r\nRUN rm -rf /tmp/a \\\r\n && echo done\r\n",
		now: "RUN pip install flask \\\r\n && rm -rf /tmp/a \\\r\n && echo done\r\n",
	}, {
		rule: "WH601", // no repair
	}}
	for i, tc := range tests {
		res, f := results[i], in.Findings[i]
		t.Run(tc.rule, func(t *testing.T) {
			if *res.RuleID != tc.rule {
				t.Fatalf("result %d is %s", i, *res.RuleID)
			}
			if tc.applicability == "" {
				if res.Fixes != nil {
					t.Fatalf("fixes %+v", res.Fixes)
				}
				return
			}
			if len(res.Fixes) != 1 {
				t.Fatalf("%d fixes", len(res.Fixes))
			}
			fix := res.Fixes[0]
			if fix.Description == nil || *fix.Description.Text != f.Repair.Message {
				t.Errorf("description %+v", fix.Description)
			}
			if fix.Properties["applicability"] != tc.applicability {
				t.Errorf("applicability %v", fix.Properties["applicability"])
			}
			if reason, ok := fix.Properties["reason"]; tc.reason != "" && reason != tc.reason || tc.reason == "" && ok {
				t.Errorf("reason %v", reason)
			}
			if len(fix.ArtifactChanges) != 1 {
				t.Fatalf("%d artifact changes", len(fix.ArtifactChanges))
			}
			ch := fix.ArtifactChanges[0]
			if *ch.ArtifactLocation.URI != f.File || len(ch.Replacements) != len(f.Repair.Edits) {
				t.Fatalf("change of %s with %d replacements", *ch.ArtifactLocation.URI, len(ch.Replacements))
			}
			for j, rep := range ch.Replacements {
				checkReplacement(t, rep, f.Repair.Edits[j])
			}
			byBytes, byLines := applyReplacements(t, repairSrc, ch.Replacements)
			if !strings.Contains(repairSrc, tc.was) {
				t.Fatalf("%q is not in the source", tc.was)
			}
			want := strings.Replace(repairSrc, tc.was, tc.now, 1)
			if byBytes != want {
				t.Errorf("applied by bytes:\n%q\nwant\n%q", byBytes, want)
			}
			if byLines != byBytes {
				t.Errorf("applied by lines and columns:\n%q\nby bytes:\n%q", byLines, byBytes)
			}
		})
	}
}

// checkReplacement checks that a replacement is the edit: its region in
// bytes and in lines and columns, and its text (also as base64, which
// SARIF asks for beside a byte region).
func checkReplacement(t *testing.T, rep *sarif.Replacement, e rules.Edit) {
	t.Helper()
	r := rep.DeletedRegion
	for _, c := range []struct {
		name string
		got  *int
		want int
	}{
		{"byteOffset", r.ByteOffset, e.Start}, {"byteLength", r.ByteLength, e.End - e.Start},
		{"startLine", r.StartLine, e.Line}, {"startColumn", r.StartColumn, e.Column},
		{"endLine", r.EndLine, e.EndLine}, {"endColumn", r.EndColumn, e.EndColumn},
	} {
		if c.got == nil || *c.got != c.want {
			t.Errorf("%s = %v, want %d", c.name, c.got, c.want)
		}
	}
	if e.Text == "" {
		if rep.InsertedContent != nil {
			t.Errorf("a deletion inserts %+v", rep.InsertedContent)
		}
		return
	}
	ic := rep.InsertedContent
	if ic == nil || ic.Text == nil || *ic.Text != e.Text || ic.Binary == nil {
		t.Fatalf("inserted content %+v, want %q", ic, e.Text)
	}
	if bin, err := base64.StdEncoding.DecodeString(*ic.Binary); err != nil || string(bin) != e.Text {
		t.Errorf("binary %q (%v), want %q", bin, err, e.Text)
	}
}

// applyReplacements applies replacements to src twice, once by their
// byte regions and once by their lines and columns, as SARIF says: each
// region is in the unmodified text.
func applyReplacements(t *testing.T, src string, reps []*sarif.Replacement) (byBytes, byLines string) {
	t.Helper()
	type span struct {
		start, end int
		text       string
	}
	var bs, ls []span
	for _, rep := range reps {
		r := rep.DeletedRegion
		text := ""
		if rep.InsertedContent != nil {
			text = *rep.InsertedContent.Text
		}
		bs = append(bs, span{*r.ByteOffset, *r.ByteOffset + *r.ByteLength, text})
		ls = append(ls, span{offsetOf(t, src, *r.StartLine, *r.StartColumn), offsetOf(t, src, *r.EndLine, *r.EndColumn), text})
	}
	apply := func(spans []span) string {
		out := src
		for _, s := range slices.Backward(spans) {
			out = out[:s.start] + s.text + out[s.end:]
		}
		return out
	}
	return apply(bs), apply(ls)
}

// offsetOf is the byte offset of a 1-based line and byte column of src:
// lines end after '\n', so a CR is the last byte of its line, and the
// column after a file's final newline is the end of the file.
func offsetOf(t *testing.T, src string, line, col int) int {
	t.Helper()
	start := 0
	for range line - 1 {
		i := strings.IndexByte(src[start:], '\n')
		if i < 0 {
			t.Fatalf("no line %d", line)
		}
		start += i + 1
	}
	off := start + col - 1
	if off > len(src) {
		t.Fatalf("line %d column %d is past the end", line, col)
	}
	return off
}

// TestLintSARIFNoEdits checks that a safe repair without edits makes no
// SARIF fix (SARIF asks for one replacement or more).
func TestLintSARIFNoEdits(t *testing.T) {
	f := withRepair(lintSample.Findings[0], &rules.Repair{Message: "nothing", Applicability: rules.Safe})
	var b bytes.Buffer
	if err := LintSARIF(&b, LintResult{Findings: []rules.Finding{f}, Rules: lintSample.Rules}, SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte(`"fixes"`)) {
		t.Errorf("fixes without edits:\n%s", b.String())
	}
}

// TestLintSARIFSchema validates the logs whittle writes, fixes included,
// against the published SARIF 2.1.0 schema (testdata/README.md), and
// checks that the validator rejects a broken fix.
func TestLintSARIFSchema(t *testing.T) {
	schema := compileSARIFSchema(t)
	tests := []struct {
		name string
		in   LintResult
		o    SARIFOptions
	}{
		{"no repairs", lintSample, SARIFOptions{Version: "1.2.3"}},
		{"every kind of repair", repairSample(t), SARIFOptions{Version: "v0.0.0-20260101000000-abcdef012345+dirty"}},
		{"nothing", LintResult{}, SARIFOptions{}},
		{"relative to the source root", repairSample(t), rootOptions("sub%20dir/Dockerfile", true)},
		{"outside the source root", repairSample(t), rootOptions("file:///elsewhere/Dockerfile", false)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := LintSARIF(&b, tc.in, tc.o); err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(&b)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Errorf("the log does not validate: %v", err)
			}
		})
	}
	t.Run("broken fix", func(t *testing.T) {
		var b bytes.Buffer
		if err := LintSARIF(&b, repairSample(t), SARIFOptions{}); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		fix := doc["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)["fixes"].([]any)[0].(map[string]any)
		fix["artifactChanges"].([]any)[0].(map[string]any)["replacements"] = []any{}
		if err := schema.Validate(doc); err == nil {
			t.Error("a change without replacements validates")
		}
	})
}

// rootOptions names the file "Dockerfile" by uri, relative to the source
// root file:///home/user/repo/ or not.
func rootOptions(uri string, relative bool) SARIFOptions {
	return SARIFOptions{
		Version:   "1.2.3",
		SrcRoot:   "file:///home/user/repo/",
		Artifacts: map[string]SARIFArtifact{"Dockerfile": {URI: uri, Relative: relative}},
	}
}

// TestLintSARIFSourceRoot checks that results and fixes name a file as
// SARIFOptions.Artifacts says, relative to %SRCROOT% (declared in the run's
// originalUriBaseIds) or absolute, and as given without a mapping.
func TestLintSARIFSourceRoot(t *testing.T) {
	tests := []struct {
		name     string
		o        SARIFOptions
		uri      string
		base     string // "" for none
		declared bool   // originalUriBaseIds has %SRCROOT%
	}{
		{"relative", rootOptions("sub/Dockerfile", true), "sub/Dockerfile", SrcRootID, true},
		{"outside the root", rootOptions("file:///elsewhere/Dockerfile", false), "file:///elsewhere/Dockerfile", "", true},
		{"no root", SARIFOptions{}, "Dockerfile", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := LintSARIF(&b, repairSample(t), tc.o); err != nil {
				t.Fatal(err)
			}
			log, err := sarif.FromBytes(b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			run := log.Runs[0]
			root, ok := run.OriginalUriBaseIDs[SrcRootID]
			if ok != tc.declared || ok && (root.URI == nil || *root.URI != tc.o.SrcRoot) {
				t.Errorf("originalUriBaseIds %+v", run.OriginalUriBaseIDs)
			}
			check := func(what string, loc *sarif.ArtifactLocation) {
				t.Helper()
				base := ""
				if loc.URIBaseId != nil {
					base = *loc.URIBaseId
				}
				if *loc.URI != tc.uri || base != tc.base {
					t.Errorf("%s: uri %q base %q, want %q %q", what, *loc.URI, base, tc.uri, tc.base)
				}
			}
			fixes := 0
			for _, r := range run.Results {
				check("result", r.Locations[0].PhysicalLocation.ArtifactLocation)
				for _, f := range r.Fixes {
					fixes++
					check("fix", &f.ArtifactChanges[0].ArtifactLocation)
				}
			}
			if fixes == 0 {
				t.Error("no fix checked")
			}
		})
	}
}

func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	return compileSchema(t, "sarif-schema-2.1.0.json")
}

package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/whittle/whittle/pkg/rules"
)

// hadolintSample has the findings of lintSample, a finding whose message
// spans lines and holds XML and JSON specials, and one in another file;
// the linted files include one without findings.
func hadolintSample() LintResult {
	r := lintSample
	r.Findings = append(append([]rules.Finding{}, r.Findings...),
		rules.Finding{Rule: "WH601", Severity: rules.Error, File: "b/Dockerfile", Line: 4, Column: 7, EndLine: 5, EndColumn: 2,
			Message: "a <tmp> & \"file\"\nleft", Fix: "rm it", Doc: "docs/rules/WH601.md"})
	r.Files = []string{"Dockerfile", "clean.Dockerfile", "b/Dockerfile"}
	return r
}

func TestLintGNU(t *testing.T) {
	var b bytes.Buffer
	if err := LintGNU(&b, hadolintSample()); err != nil {
		t.Fatal(err)
	}
	want := "whittle:Dockerfile:2:5: WH201 warning: apt-get update leaves the lists\n" +
		"whittle:Dockerfile:3:1: WH104 info: consecutive RUNs\n" +
		"whittle:b/Dockerfile:4:7: WH601 error: a <tmp> & \"file\" left\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := LintGNU(&b, LintResult{}); err != nil || b.Len() != 0 {
		t.Errorf("no findings: %q, %v", b.String(), err)
	}
}

func TestLintCheckstyle(t *testing.T) {
	var b bytes.Buffer
	if err := LintCheckstyle(&b, hadolintSample()); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<checkstyle version="4.3">
  <file name="Dockerfile">
    <error column="5" line="2" message="apt-get update leaves the lists" severity="warning" source="WH201"></error>
    <error column="1" line="3" message="consecutive RUNs" severity="info" source="WH104"></error>
  </file>
  <file name="clean.Dockerfile"></file>
  <file name="b/Dockerfile">
    <error column="7" line="4" message="a &lt;tmp&gt; &amp; &#34;file&#34;&#xA;left" severity="error" source="WH601"></error>
  </file>
</checkstyle>
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	// It reads back: the message survives, newline included.
	var doc checkstyle
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Files[2].Errors[0].Message; got != "a <tmp> & \"file\"\nleft" {
		t.Errorf("message read back as %q", got)
	}
	b.Reset()
	if err := LintCheckstyle(&b, LintResult{}); err != nil {
		t.Fatal(err)
	}
	if want := xml.Header + `<checkstyle version="4.3"></checkstyle>` + "\n"; b.String() != want {
		t.Errorf("nothing linted: %q", b.String())
	}
}

// TestLintCodeClimate checks the NUL-separated issues of the Code Climate
// engine spec, field by field.
func TestLintCodeClimate(t *testing.T) {
	var b bytes.Buffer
	if err := LintCodeClimate(&b, hadolintSample()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasSuffix(out, "\x00") || strings.Contains(out, "\n{") {
		t.Fatalf("not NUL-terminated issues: %q", out)
	}
	parts := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	if len(parts) != 3 {
		t.Fatalf("%d issues", len(parts))
	}
	want := `{"categories":["Performance"],"check_name":"WH201","content":{"body":"Fix: rm -rf /var/lib/apt/lists/*\n\nSee https://github.com/whittle/whittle/blob/main/docs/rules/WH201.md"},"description":"apt-get update leaves the lists","location":{"lines":{"begin":2,"end":2},"path":"Dockerfile"},"severity":"major","type":"issue"}`
	if parts[0] != want {
		t.Errorf("issue 0:\n%s\nwant\n%s", parts[0], want)
	}
	for i, p := range parts {
		var is map[string]any
		if err := json.Unmarshal([]byte(p), &is); err != nil {
			t.Fatalf("issue %d: %v", i, err)
		}
		if _, ok := is["fingerprint"]; ok {
			t.Errorf("issue %d has a fingerprint (only gitlab_codeclimate has)", i)
		}
	}
	var last codeClimateIssue
	if err := json.Unmarshal([]byte(parts[2]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Severity != "blocker" || last.Location.Lines != (codeClimateLines{4, 5}) || last.Location.Path != "b/Dockerfile" ||
		last.Description != "a <tmp> & \"file\"\nleft" {
		t.Errorf("issue 2: %+v", last)
	}
	b.Reset()
	if err := LintCodeClimate(&b, LintResult{}); err != nil || b.Len() != 0 {
		t.Errorf("no findings: %q, %v", b.String(), err)
	}
}

// TestLintGitLabCodeClimateSchema validates every entry of the GitLab
// report against GitLab's own schema (testdata/README.md) and checks what
// GitLab's documentation adds: a JSON array, check_name, a known severity,
// location.path and location.lines.begin, and one fingerprint per finding.
func TestLintGitLabCodeClimateSchema(t *testing.T) {
	schema := compileSchema(t, "gitlab-codeclimate-schema.json")
	twice := lintSample
	twice.Findings = append(append([]rules.Finding{}, twice.Findings...), twice.Findings[0], twice.Findings[0])
	twice.Findings[3].Line += 10 // the same finding, further down
	for _, tc := range []struct {
		name string
		in   LintResult
	}{
		{"findings", hadolintSample()},
		{"the same finding three times", twice},
		{"nothing", LintResult{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := LintGitLabCodeClimate(&b, tc.in); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b.Bytes(), []byte("[")) {
				t.Fatalf("not an array: %s", b.String())
			}
			var entries []any
			if err := json.Unmarshal(b.Bytes(), &entries); err != nil {
				t.Fatal(err)
			}
			if entries == nil || len(entries) != len(tc.in.Findings) {
				t.Fatalf("%d entries for %d findings: %s", len(entries), len(tc.in.Findings), b.String())
			}
			fingerprints := map[string]bool{}
			for i, e := range entries {
				if err := schema.Validate(e); err != nil {
					t.Errorf("entry %d does not validate: %v", i, err)
				}
				var is codeClimateIssue
				raw, _ := json.Marshal(e)
				if err := json.Unmarshal(raw, &is); err != nil {
					t.Fatal(err)
				}
				switch is.Severity {
				case "info", "minor", "major", "critical", "blocker":
				default:
					t.Errorf("entry %d: severity %q", i, is.Severity)
				}
				f := tc.in.Findings[i]
				if is.CheckName != f.Rule || is.Location.Path != f.File || is.Location.Lines.Begin != f.Line || is.Description != f.Message {
					t.Errorf("entry %d: %+v for %+v", i, is, f)
				}
				if len(is.Fingerprint) != 40 || fingerprints[is.Fingerprint] {
					t.Errorf("entry %d: fingerprint %q (seen: %v)", i, is.Fingerprint, fingerprints[is.Fingerprint])
				}
				fingerprints[is.Fingerprint] = true
			}
		})
	}
	t.Run("stable when lines move", func(t *testing.T) {
		moved := hadolintSample()
		moved.Findings = append([]rules.Finding{}, moved.Findings...)
		for i := range moved.Findings {
			moved.Findings[i].Line += 3
			moved.Findings[i].EndLine += 3
		}
		a, b := codeClimateIssues(hadolintSample().Findings, true), codeClimateIssues(moved.Findings, true)
		for i := range a {
			if a[i].Fingerprint != b[i].Fingerprint {
				t.Errorf("finding %d: fingerprint changed with its line", i)
			}
		}
	})
	t.Run("the schema rejects", func(t *testing.T) {
		for _, bad := range []string{
			`{"description":"d","severity":"major","location":{"path":"p","lines":{"begin":1}}}`,
			`{"description":"d","fingerprint":"f","severity":"major","location":{"path":"p","lines":{"begin":"1"}}}`,
		} {
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
			if err != nil {
				t.Fatal(err)
			}
			if schema.Validate(doc) == nil {
				t.Errorf("validates: %s", bad)
			}
		}
	})
}

// compileSchema compiles a JSON schema from testdata.
func compileSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("testdata", name)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compiling %s: %v", path, err)
	}
	return schema
}

package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
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

// repairSrc is the Dockerfile the repairs of repairSample edit: CRLF line
// endings, and a RUN continued over two lines.
const repairSrc = "FROM debian:bookworm\r\n" +
	"RUN apt-get update && apt-get install -y curl\r\n" +
	"RUN pip install flask\r\n" +
	"RUN rm -rf /tmp/a \\\r\n" +
	" && echo done\r\n"

// repairSample has a finding with each kind of repair, and one without:
//
//   - WH201, safe: one insertion before a CRLF;
//   - WH202, unsafe: an insertion and a replacement on one line;
//   - WH501, display-only: an insertion at the end of the file;
//   - WH104, safe: a replacement over two lines whose text holds a CRLF;
//   - WH601: no repair.
//
// Its Fixable is what the CLI counts for these findings.
func repairSample(t testing.TB) LintResult {
	t.Helper()
	f, err := dockerfile.Parse("Dockerfile", []byte(repairSrc))
	if err != nil {
		t.Fatal(err)
	}
	// at returns the offset of the n-th (0-based) occurrence of s.
	at := func(s string, n int) int {
		off := -1
		for range n + 1 {
			i := strings.Index(repairSrc[off+1:], s)
			if i < 0 {
				t.Fatalf("%q not in the source %d times", s, n+1)
			}
			off += 1 + i
		}
		return off
	}
	ed := func(start, end int, text string) rules.Edit {
		s, e := f.PosAt(start), f.PosAt(end)
		return rules.Edit{Start: start, End: end, Text: text, Line: s.Line, Column: s.Col, EndLine: e.Line, EndColumn: e.Col}
	}
	curl := at("curl", 0)
	flask := at("flask", 0) + len("flask")
	return LintResult{
		Findings: []rules.Finding{
			{Rule: "WH201", Hadolint: "DL3009", Severity: rules.Warning, File: "Dockerfile", Line: 2, Column: 5, EndLine: 2, EndColumn: 19,
				Stage: "0", InFinalImage: true, Message: "apt-get update leaves the lists",
				Fix: "end the same RUN with rm -rf /var/lib/apt/lists/*", Doc: "docs/rules/WH201.md",
				Repair: &rules.Repair{
					Message: "end the RUN with rm -rf /var/lib/apt/lists/*", Applicability: rules.Safe,
					Reason: "no later instruction of the stage reads the lists",
					Edits:  []rules.Edit{ed(curl+len("curl"), curl+len("curl"), " && rm -rf /var/lib/apt/lists/*")},
				}},
			{Rule: "WH202", Hadolint: "DL3015", Severity: rules.Warning, File: "Dockerfile", Line: 2, Column: 23, EndLine: 2, EndColumn: 46,
				Stage: "0", InFinalImage: true, Message: "apt-get install without --no-install-recommends",
				Fix: "add --no-install-recommends", Doc: "docs/rules/WH202.md",
				Repair: &rules.Repair{
					Message: "add --no-install-recommends and install ca-certificates by name", Applicability: rules.Unsafe,
					Reason: "packages that only came as recommends are no longer installed",
					Edits: []rules.Edit{
						ed(at(" -y", 0), at(" -y", 0), " --no-install-recommends"),
						ed(curl, curl+len("curl"), "ca-certificates curl"),
					},
				}},
			{Rule: "WH501", Hadolint: "DL3042", Severity: rules.Warning, File: "Dockerfile", Line: 3, Column: 5, EndLine: 3, EndColumn: 22,
				Stage: "0", InFinalImage: true, Message: "pip install keeps its cache",
				Doc: "docs/rules/WH501.md",
				Repair: &rules.Repair{
					Message: "set PIP_NO_CACHE_DIR=1 for the stage", Applicability: rules.DisplayOnly,
					Reason: "a comment asks to keep pip's cache",
					Edits:  []rules.Edit{ed(len(repairSrc), len(repairSrc), "ENV PIP_NO_CACHE_DIR=1\r\n")},
				}},
			{Rule: "WH104", Hadolint: "DL3059", Severity: rules.Info, File: "Dockerfile", Line: 4, Column: 1, EndLine: 5, EndColumn: 14,
				Stage: "0", InFinalImage: true, RelatedLine: 3, Message: "consecutive RUNs", Doc: "docs/rules/WH104.md",
				Repair: &rules.Repair{
					Message: "merge the RUN into the one before", Applicability: rules.Safe,
					Edits: []rules.Edit{ed(flask, at("RUN", 2)+len("RUN "), " \\\r\n && ")},
				}},
			{Rule: "WH601", Severity: rules.Warning, File: "Dockerfile", Line: 1, Column: 6, EndLine: 1, EndColumn: 21,
				Stage: "0", InFinalImage: true, Message: "debian:bookworm is a full distribution", Doc: "docs/rules/WH601.md"},
		},
		Rules: []rules.Meta{
			{ID: "WH104", Name: "consecutive-runs", Summary: "s104", Severity: rules.Info, Doc: "docs/rules/WH104.md"},
			{ID: "WH201", Name: "apt-lists-not-removed", Summary: "s201", Severity: rules.Warning, Doc: "docs/rules/WH201.md"},
			{ID: "WH202", Name: "apt-recommends", Summary: "s202", Severity: rules.Warning, Doc: "docs/rules/WH202.md"},
			{ID: "WH501", Name: "pip-cache", Summary: "s501", Severity: rules.Warning, Doc: "docs/rules/WH501.md"},
			{ID: "WH601", Name: "heavy-base", Summary: "s601", Severity: rules.Warning, Doc: "docs/rules/WH601.md"},
		},
		Fixable: LintFixable{Safe: 2, Unsafe: 1},
	}
}

// withRepair returns a copy of f carrying r.
func withRepair(f rules.Finding, r *rules.Repair) rules.Finding {
	f.Repair = r
	return f
}

func TestLintText(t *testing.T) {
	full := repairSample(t)
	base := lintSample.Findings[1]
	unsafeNoReason := &rules.Repair{Message: "merge the RUNs", Applicability: rules.Unsafe}
	tests := []struct {
		name string
		in   LintResult
		want string
	}{{
		name: "no repairs",
		in:   lintSample,
		want: "Dockerfile:2:5: warning WH201 apt-get update leaves the lists\n" +
			"    fix: rm -rf /var/lib/apt/lists/*\n" +
			"Dockerfile:3:1: info WH104 consecutive RUNs\n",
	}, {
		name: "every kind of repair",
		in:   full,
		want: "Dockerfile:2:5: warning WH201 apt-get update leaves the lists [fix]\n" +
			"    fix: end the same RUN with rm -rf /var/lib/apt/lists/*\n" +
			"    repair: end the RUN with rm -rf /var/lib/apt/lists/*\n" +
			"Dockerfile:2:23: warning WH202 apt-get install without --no-install-recommends [unsafe fix]\n" +
			"    fix: add --no-install-recommends\n" +
			"    repair (unsafe, only with --unsafe-fixes): add --no-install-recommends and install ca-certificates by name: " +
			"packages that only came as recommends are no longer installed\n" +
			"Dockerfile:3:5: warning WH501 pip install keeps its cache\n" +
			"    repair (display only, never applied): set PIP_NO_CACHE_DIR=1 for the stage: a comment asks to keep pip's cache\n" +
			"Dockerfile:4:1: info WH104 consecutive RUNs [fix]\n" +
			"    repair: merge the RUN into the one before\n" +
			"Dockerfile:1:6: warning WH601 debian:bookworm is a full distribution\n" +
			"2 findings fixable with whittle fix (1 more with whittle fix --unsafe-fixes)\n",
	}, {
		name: "one safe",
		in: LintResult{
			Findings: []rules.Finding{withRepair(base, full.Findings[3].Repair)},
			Fixable:  LintFixable{Safe: 1},
		},
		want: "Dockerfile:3:1: info WH104 consecutive RUNs [fix]\n" +
			"    repair: merge the RUN into the one before\n" +
			"1 finding fixable with whittle fix\n",
	}, {
		name: "only unsafe, without a reason",
		in: LintResult{
			Findings: []rules.Finding{withRepair(base, unsafeNoReason), withRepair(base, unsafeNoReason)},
			Fixable:  LintFixable{Unsafe: 2},
		},
		want: "Dockerfile:3:1: info WH104 consecutive RUNs [unsafe fix]\n" +
			"    repair (unsafe, only with --unsafe-fixes): merge the RUNs\n" +
			"Dockerfile:3:1: info WH104 consecutive RUNs [unsafe fix]\n" +
			"    repair (unsafe, only with --unsafe-fixes): merge the RUNs\n" +
			"2 findings fixable with whittle fix --unsafe-fixes\n",
	}, {
		name: "only display-only",
		in:   LintResult{Findings: []rules.Finding{withRepair(base, full.Findings[2].Repair)}},
		want: "Dockerfile:3:1: info WH104 consecutive RUNs\n" +
			"    repair (display only, never applied): set PIP_NO_CACHE_DIR=1 for the stage: a comment asks to keep pip's cache\n",
	}, {
		name: "nothing",
		in:   LintResult{},
		want: "",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := LintText(&b, tc.in); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
			b.Reset()
			if err := LintText(&b, tc.in); err != nil || b.String() != tc.want {
				t.Errorf("a second rendering differs: %v\n%s", err, b.String())
			}
		})
	}
}

// TestLintTextLinesParse checks that every finding line, repaired or
// not, still reads as "file:line:col: severity ID message", the marker
// after the message.
func TestLintTextLinesParse(t *testing.T) {
	r := repairSample(t)
	var b bytes.Buffer
	if err := LintText(&b, r); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.Lines(b.String()) {
		if strings.HasPrefix(l, "Dockerfile:") {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
	}
	if len(lines) != len(r.Findings) {
		t.Fatalf("%d finding lines for %d findings:\n%s", len(lines), len(r.Findings), b.String())
	}
	for i, f := range r.Findings {
		prefix := fmt.Sprintf("%s:%d:%d: %s %s %s", f.File, f.Line, f.Column, f.Severity, f.Rule, f.Message)
		rest, ok := strings.CutPrefix(lines[i], prefix)
		if !ok || (rest != "" && rest != " [fix]" && rest != " [unsafe fix]") {
			t.Errorf("line %q does not start with %q and end in a marker", lines[i], prefix)
		}
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
	if _, ok := f["repair"]; ok {
		t.Errorf("a finding without a repair has %v", f["repair"])
	}
	b.Reset()
	if err := LintJSON(&b, LintResult{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes(), []byte(`"findings": []`)) {
		t.Errorf("empty result is %s", b.String())
	}
}

// TestLintJSONRepairs checks the repair object's fields by name, and that
// the findings read back equal to the ones written.
func TestLintJSONRepairs(t *testing.T) {
	in := repairSample(t)
	in.Errors = []string{"other.Dockerfile:1:1: unknown instruction: FORM"}
	var b bytes.Buffer
	if err := LintJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Findings []rules.Finding `json:"findings"`
		Errors   []string        `json:"errors"`
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Findings, in.Findings) || !reflect.DeepEqual(back.Errors, in.Errors) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", back, in)
	}
	var raw struct {
		Findings []struct {
			Repair map[string]any `json:"repair"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		finding       int
		applicability string
		reason        any
		edits         int
	}{
		{0, "safe", "no later instruction of the stage reads the lists", 1},
		{1, "unsafe", "packages that only came as recommends are no longer installed", 2},
		{2, "display-only", "a comment asks to keep pip's cache", 1},
		{3, "safe", nil, 1},
	}
	for _, tc := range tests {
		r := raw.Findings[tc.finding].Repair
		if r["applicability"] != tc.applicability || r["reason"] != tc.reason || r["message"] != in.Findings[tc.finding].Repair.Message {
			t.Errorf("finding %d: repair %v", tc.finding, r)
		}
		edits, _ := r["edits"].([]any)
		if len(edits) != tc.edits {
			t.Fatalf("finding %d: edits %v", tc.finding, r["edits"])
		}
		e := edits[0].(map[string]any)
		for _, k := range []string{"start", "end", "line", "column", "end_line", "end_column", "text"} {
			if _, ok := e[k]; !ok {
				t.Errorf("finding %d: edit %v has no %s", tc.finding, e, k)
			}
		}
	}
	if raw.Findings[4].Repair != nil {
		t.Errorf("finding without repair: %v", raw.Findings[4].Repair)
	}
	// The multi-line edit of WH104 keeps its CRLF.
	if e := back.Findings[3].Repair.Edits[0]; e.Text != " \\\r\n && " || e.Line != 3 || e.EndLine != 4 {
		t.Errorf("multi-line edit %+v", e)
	}
}

package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/whittle/whittle/pkg/rules"
)

// DocBaseURL is where rule documentation pages are published; a finding's
// Doc path (for example "docs/rules/WH201.md") is joined to it for links.
const DocBaseURL = "https://github.com/whittle/whittle/blob/main/"

// LintResult is what the lint renderers print: the findings of one or more
// files, in order, and the description of every rule that ran (SARIF lists
// them as the tool's rules).
type LintResult struct {
	Findings []rules.Finding
	Rules    []rules.Meta
	// Files are the names of the files linted, as given, in order
	// (checkstyle lists each, findings or not).
	Files []string
	// Errors are per-file problems that stopped a file from being linted
	// (for example a Dockerfile that does not parse), already formatted
	// "file:line:col: message".
	Errors []string
	// Fixable counts the findings whittle fix can repair, as the caller
	// counted them; the text renderer prints it after the findings.
	Fixable LintFixable
}

// LintFixable counts findings by how whittle fix repairs them.
type LintFixable struct {
	// Safe is the number of findings whose repair whittle fix applies by
	// default; Unsafe the number whose repair it applies only with
	// --unsafe-fixes. Findings with a display-only repair, or none, are in
	// neither.
	Safe, Unsafe int
}

// LintText writes one line per finding, "file:line:col: severity ID
// message", ending in " [fix]" when whittle fix repairs it by default and
// " [unsafe fix]" when it does so only with --unsafe-fixes. Under it come
// the fix in words and the repair, when there are; after all findings, a
// line counting the fixable ones, when there are any:
//
//	Dockerfile:2:5: warning WH201 apt-get update leaves the lists [fix]
//	    fix: end the same RUN with rm -rf /var/lib/apt/lists/*
//	    repair: append && rm -rf /var/lib/apt/lists/* to the RUN
//	1 finding fixable with whittle fix
func LintText(w io.Writer, r LintResult) error {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s:%d:%d: %s %s %s%s\n", f.File, f.Line, f.Column, f.Severity, f.Rule, f.Message, fixMarker(f.Repair))
		if f.Fix != "" {
			fmt.Fprintf(&b, "    fix: %s\n", f.Fix)
		}
		if f.Repair != nil {
			writeRepair(&b, f.Repair)
		}
	}
	writeFixable(&b, r.Fixable)
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	return nil
}

// fixMarker is what ends a finding's line: whether whittle fix repairs it
// by default, only with --unsafe-fixes, or not at all.
func fixMarker(r *rules.Repair) string {
	if r == nil {
		return ""
	}
	switch r.Applicability {
	case rules.Safe:
		return " [fix]"
	case rules.Unsafe:
		return " [unsafe fix]"
	}
	return ""
}

// writeRepair writes a repair's line: "repair", when whittle fix applies
// it, in parentheses (for a held-back one), the message, and the reason it
// is held back.
func writeRepair(b *strings.Builder, r *rules.Repair) {
	switch r.Applicability {
	case rules.Safe:
		// A safe repair's reason is the evidence that it is safe: the
		// JSON and SARIF output carry it; the line stays short.
		fmt.Fprintf(b, "    repair: %s\n", r.Message)
		return
	case rules.Unsafe:
		fmt.Fprintf(b, "    repair (unsafe, only with --unsafe-fixes): %s", r.Message)
	default:
		fmt.Fprintf(b, "    repair (display only, never applied): %s", r.Message)
	}
	if r.Reason != "" {
		fmt.Fprintf(b, ": %s", r.Reason)
	}
	b.WriteString("\n")
}

// writeFixable writes the line that counts the fixable findings, or
// nothing when there are none.
func writeFixable(b *strings.Builder, n LintFixable) {
	switch {
	case n.Safe > 0 && n.Unsafe > 0:
		fmt.Fprintf(b, "%s fixable with whittle fix (%d more with whittle fix --unsafe-fixes)\n", nFindings(n.Safe), n.Unsafe)
	case n.Safe > 0:
		fmt.Fprintf(b, "%s fixable with whittle fix\n", nFindings(n.Safe))
	case n.Unsafe > 0:
		fmt.Fprintf(b, "%s fixable with whittle fix --unsafe-fixes\n", nFindings(n.Unsafe))
	}
}

// nFindings is "1 finding" or "n findings".
func nFindings(n int) string {
	if n == 1 {
		return "1 finding"
	}
	return fmt.Sprintf("%d findings", n)
}

// lintJSON is the JSON document: {"findings": [...]}; findings is never null.
type lintJSON struct {
	Findings []rules.Finding `json:"findings"`
	Errors   []string        `json:"errors,omitempty"`
}

// LintJSON writes the findings as {"findings":[{file, line, column,
// end_line, end_column, rule, severity, message, fix, repair, doc, ...}]},
// each repair as {message, applicability, reason, edits: [{start, end,
// line, column, end_line, end_column, text}]} (docs/lint.md).
func LintJSON(w io.Writer, r LintResult) error {
	doc := lintJSON{Findings: r.Findings, Errors: r.Errors}
	if doc.Findings == nil {
		doc.Findings = []rules.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	return nil
}

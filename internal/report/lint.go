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
	// Errors are per-file problems that stopped a file from being linted
	// (for example a Dockerfile that does not parse), already formatted
	// "file:line:col: message".
	Errors []string
}

// LintText writes one line per finding, "file:line:col: severity ID
// message", followed by the fix on the next line when there is one.
func LintText(w io.Writer, r LintResult) error {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s:%d:%d: %s %s %s\n", f.File, f.Line, f.Column, f.Severity, f.Rule, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(&b, "    fix: %s\n", f.Fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	return nil
}

// lintJSON is the JSON document: {"findings": [...]}; findings is never null.
type lintJSON struct {
	Findings []rules.Finding `json:"findings"`
	Errors   []string        `json:"errors,omitempty"`
}

// LintJSON writes the findings as {"findings":[{file, line, column,
// end_line, end_column, rule, severity, message, fix, doc, ...}]}.
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

package report

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/whittle/whittle/pkg/rules"
)

// This file holds the lint formats that hadolint users know by name (gnu,
// checkstyle, codeclimate, gitlab_codeclimate), shaped as hadolint writes
// them (its src/Hadolint/Formatter/*.hs), with whittle's rule IDs, columns
// and fixes where hadolint has none.

// LintGNU writes one line per finding in the form of the GNU coding
// standards' error messages, as hadolint's gnu format does, with the column
// the standard allows after the line:
//
//	whittle:Dockerfile:2:5: WH201 warning: apt-get update leaves the lists
func LintGNU(w io.Writer, r LintResult) error {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "whittle:%s:%d:%d: %s %s: %s\n", f.File, f.Line, f.Column, f.Rule, f.Severity, oneLine(f.Message))
	}
	return writeLint(w, b.String())
}

// checkstyle is the root of a Checkstyle XML report (version 4.3, as
// hadolint writes it).
type checkstyle struct {
	XMLName xml.Name         `xml:"checkstyle"`
	Version string           `xml:"version,attr"`
	Files   []checkstyleFile `xml:"file"`
}

type checkstyleFile struct {
	Name   string            `xml:"name,attr"`
	Errors []checkstyleError `xml:"error"`
}

// checkstyleError has hadolint's attributes, in its (alphabetical) order.
type checkstyleError struct {
	Column   int    `xml:"column,attr"`
	Line     int    `xml:"line,attr"`
	Message  string `xml:"message,attr"`
	Severity string `xml:"severity,attr"`
	Source   string `xml:"source,attr"`
}

// LintCheckstyle writes a Checkstyle XML report: one <file> per linted file
// (r.Files, then any other file a finding names), holding one <error> per
// finding with its line, column, severity (info, warning or error), message
// and rule ID as source.
func LintCheckstyle(w io.Writer, r LintResult) error {
	doc := checkstyle{Version: "4.3"}
	index := map[string]int{}
	file := func(name string) *checkstyleFile {
		i, ok := index[name]
		if !ok {
			i = len(doc.Files)
			index[name] = i
			doc.Files = append(doc.Files, checkstyleFile{Name: name})
		}
		return &doc.Files[i]
	}
	for _, name := range r.Files {
		file(name)
	}
	for _, f := range r.Findings {
		cf := file(f.File)
		cf.Errors = append(cf.Errors, checkstyleError{
			Column:   max(f.Column, 1),
			Line:     max(f.Line, 1),
			Message:  f.Message,
			Severity: f.Severity.String(),
			Source:   f.Rule,
		})
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	return writeLint(w, xml.Header+string(out)+"\n")
}

// codeClimateIssue is one issue of the Code Climate analyzer spec
// (github.com/codeclimate/platform, spec/analyzers/SPEC.md), which GitLab's
// Code Quality reads. The fields are in alphabetical order, as hadolint's
// encoder writes them.
type codeClimateIssue struct {
	Categories  []string            `json:"categories"`
	CheckName   string              `json:"check_name"`
	Content     *codeClimateContent `json:"content,omitempty"`
	Description string              `json:"description"`
	Fingerprint string              `json:"fingerprint,omitempty"`
	Location    codeClimateLocation `json:"location"`
	Severity    string              `json:"severity"`
	Type        string              `json:"type"`
}

type codeClimateContent struct {
	Body string `json:"body"`
}

type codeClimateLocation struct {
	Lines codeClimateLines `json:"lines"`
	Path  string           `json:"path"`
}

type codeClimateLines struct {
	Begin int `json:"begin"`
	End   int `json:"end"`
}

// codeClimateSeverity maps a severity as hadolint does: error is
// "blocker", warning "major", info "info".
func codeClimateSeverity(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "blocker"
	case rules.Warning:
		return "major"
	}
	return "info"
}

// codeClimateIssues turns the findings into issues, with fingerprints when
// asked (see LintGitLabCodeClimate).
func codeClimateIssues(findings []rules.Finding, fingerprints bool) []codeClimateIssue {
	issues := make([]codeClimateIssue, 0, len(findings))
	seen := map[string]int{}
	for _, f := range findings {
		is := codeClimateIssue{
			Categories:  []string{"Performance"},
			CheckName:   f.Rule,
			Description: f.Message,
			Location: codeClimateLocation{
				Path:  f.File,
				Lines: codeClimateLines{Begin: max(f.Line, 1), End: max(f.EndLine, f.Line, 1)},
			},
			Severity: codeClimateSeverity(f.Severity),
			Type:     "issue",
		}
		if body := contentBody(f); body != "" {
			is.Content = &codeClimateContent{Body: body}
		}
		if fingerprints {
			key := f.File + "\x00" + f.Rule + "\x00" + f.Message
			n := seen[key]
			seen[key] = n + 1
			sum := sha1.Sum([]byte(key + "\x00" + strconv.Itoa(n)))
			is.Fingerprint = hex.EncodeToString(sum[:])
		}
		issues = append(issues, is)
	}
	return issues
}

// contentBody is an issue's Markdown body: the fix in words and the rule's
// page.
func contentBody(f rules.Finding) string {
	var parts []string
	if f.Fix != "" {
		parts = append(parts, "Fix: "+f.Fix)
	}
	if f.Doc != "" {
		parts = append(parts, "See "+DocBaseURL+f.Doc)
	}
	return strings.Join(parts, "\n\n")
}

// LintCodeClimate writes the findings as Code Climate issues, each one JSON
// object followed by a NUL byte, as the Code Climate engine spec asks and
// hadolint's codeclimate format writes them: {"categories":
// ["Performance"], "check_name", "content": {"body"}, "description",
// "location": {"lines": {"begin", "end"}, "path"}, "severity", "type":
// "issue"}. Severities map as hadolint maps them: error is blocker, warning
// major, info info.
func LintCodeClimate(w io.Writer, r LintResult) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "&&" stays readable
	for _, is := range codeClimateIssues(r.Findings, false) {
		if err := enc.Encode(is); err != nil {
			return fmt.Errorf("writing lint report: %w", err)
		}
		b.Truncate(b.Len() - 1) // the encoder's newline: the NUL ends an issue
		b.WriteByte(0)
	}
	return writeLint(w, b.String())
}

// LintGitLabCodeClimate writes the findings as a GitLab Code Quality
// report: one JSON array of the Code Climate issues of LintCodeClimate,
// each with a fingerprint. GitLab keeps one issue per fingerprint, and
// compares fingerprints between the merge request and its target branch,
// so a fingerprint is the hex SHA-1 of the file, the rule, the message and
// how many findings with those three came before it in the file: distinct
// for every finding, and unchanged when lines above it move.
func LintGitLabCodeClimate(w io.Writer, r LintResult) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(codeClimateIssues(r.Findings, true)); err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	return writeLint(w, b.String())
}

// oneLine joins a message's lines, so that a line-oriented format keeps one
// finding per line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}

func writeLint(w io.Writer, s string) error {
	if _, err := io.WriteString(w, s); err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	return nil
}

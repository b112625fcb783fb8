package rules

import (
	"fmt"
	"strings"
)

// Severity orders findings. A finding in a stage that does not reach the
// final image is reported at Info whatever the rule's severity.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Warning
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText encodes the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts "info", "warning" (or "warn") and "error".
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses a severity name.
func ParseSeverity(name string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "info":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return Info, fmt.Errorf("unknown severity %q (want info, warning or error)", name)
}

// Finding is one size problem found in a Dockerfile: plain data, rendered by
// the CLI.
type Finding struct {
	// Rule is whittle's rule ID (for example "WH201"); Hadolint the mapped
	// hadolint rule ID, if any.
	Rule     string   `json:"rule"`
	Hadolint string   `json:"hadolint,omitempty"`
	Severity Severity `json:"severity"`
	// File is the Dockerfile's name as given; Line and Column are 1-based
	// and point at the instruction or the shell word at fault; EndLine and
	// EndColumn end the range (inclusive line, exclusive column).
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column"`
	// Stage is the name (or index) of the build stage holding the finding.
	Stage string `json:"stage,omitempty"`
	// InFinalImage is true when the stage's layers are part of the final
	// image (the target stage and the stages it is built FROM). Findings
	// elsewhere cost nothing in the image and are reported at Info.
	InFinalImage bool `json:"in_final_image"`
	// RelatedLine is, for a finding about two instructions (something one
	// makes and a later one removes or rewrites), the first line of the
	// earlier one; 0 otherwise. The finding itself is at the later one.
	RelatedLine int `json:"related_line,omitempty"`
	// Paths are the absolute paths of the files the finding is about,
	// when the rule knows them (the archive left, the log written); a
	// path may be a directory, meaning everything under it, and its names
	// may hold path.Match patterns for what the rule cannot know
	// ("/var/lib/gems/*/doc").
	Paths []string `json:"paths,omitempty"`
	// Packages are the names of the OS packages the finding is about,
	// when the rule names them (the build packages kept), as the
	// Dockerfile writes them, without a version or architecture.
	Packages []string `json:"packages,omitempty"`
	Message  string   `json:"message"`
	// Fix says in words how to repair it.
	Fix string `json:"fix,omitempty"`
	// Repair is the repair whittle fix can make, as byte edits with their
	// applicability; nil when the rule has none for this finding.
	Repair *Repair `json:"repair,omitempty"`
	// Doc is the path of the rule's documentation page in the repository.
	Doc string `json:"doc"`
}

// Fixable reports whether whittle fix can repair the finding: by default
// (Safe), or with --unsafe-fixes (Unsafe). A DisplayOnly repair is shown,
// never applied.
func (f Finding) Fixable() bool {
	return f.Repair != nil && (f.Repair.Applicability == Safe || f.Repair.Applicability == Unsafe)
}

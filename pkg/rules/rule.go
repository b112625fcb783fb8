package rules

import (
	"context"
	"fmt"
	"regexp"
)

// Meta describes a rule: what the CLI lists, what the documentation indexes
// and what every finding of the rule carries.
type Meta struct {
	// ID is whittle's rule ID, "WH" and three digits: WH1xx layer
	// technique, WH2xx apt, WH3xx apk, WH4xx rpm family, WH5xx language
	// package managers, WH6xx files, WH7xx base images.
	ID string
	// Name is a short kebab-case name, for example "apt-lists-not-removed".
	Name string
	// Summary is one sentence saying what the rule finds.
	Summary string
	// Hadolint lists the hadolint rule IDs this rule corresponds to (for
	// example "DL3009"); their inline ignores also silence this rule.
	Hadolint []string
	// Severity is the rule's default severity.
	Severity Severity
	// Doc is the path of the rule's documentation page in the repository,
	// for example "docs/rules/WH201.md".
	Doc string
}

// Rule is one check over a parsed Dockerfile. Implementations are stateless
// values: Check is called once per file and returns the findings in any
// order. A rule fills Line, Column, EndLine, EndColumn, Message, Fix and
// Severity (Pass.Finding presets the default); Lint fills Rule, Hadolint,
// Doc, File and Stage, applies ignores and severity overrides, and lowers
// to Info the findings in stages that do not reach the final image.
type Rule interface {
	Meta() Meta
	Check(p *Pass) []Finding
}

// ContextRule is a Rule that may do I/O, for example registry lookups when
// WithRegistryLookups is on. Lint calls CheckContext instead of Check.
type ContextRule interface {
	Rule
	CheckContext(ctx context.Context, p *Pass) ([]Finding, error)
}

var idPattern = regexp.MustCompile(`^WH[0-9]{3}$`)

// validateMeta reports a malformed rule description; tests call it over All.
func validateMeta(m Meta) error {
	if !idPattern.MatchString(m.ID) {
		return fmt.Errorf("checking rule %q: ID is not WH and three digits", m.ID)
	}
	if m.Name == "" || m.Summary == "" {
		return fmt.Errorf("checking rule %s: name and summary are required", m.ID)
	}
	if m.Doc != "docs/rules/"+m.ID+".md" {
		return fmt.Errorf("checking rule %s: doc is %q, want docs/rules/%s.md", m.ID, m.Doc, m.ID)
	}
	return nil
}

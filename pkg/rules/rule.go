package rules

import (
	"context"
	"fmt"
	"regexp"
	"slices"
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
	// Repair is the applicability of the rule's repairs when they apply
	// without a reason to hold them back (a finding's own Repair may be
	// stricter: unsafe in its context, or display-only); 0 when the rule
	// has no repair.
	Repair Applicability
	// Measure says how analyze --dockerfile measures a finding's cost in
	// the built image; Category is the cache category (pkg/account)
	// whose bytes measure it when Measure is MeasureCache.
	Measure  Measure
	Category string
	// Intent lists words that, in a comment beside an instruction, show
	// that its author weighed what the rule's repair changes ("recommend"
	// for WH202): the repair is then only shown (DisplayOnly), never
	// applied. Matched case-insensitively.
	Intent []string
}

// Measure is how analyze --dockerfile measures what a finding costs.
type Measure int

// Ways of measuring a finding's cost.
const (
	// MeasureNone: the cost needs a rebuild to compare.
	MeasureNone Measure = iota
	// MeasureCache: the bytes of Meta.Category the finding's layer ships.
	MeasureCache
	// MeasurePaths: the bytes of Finding.Paths the finding's layer ships.
	MeasurePaths
	// MeasureHidden: the bytes of the earlier layer (Finding.RelatedLine)
	// that the finding's layer hides.
	MeasureHidden
	// MeasureBase: the base image's layers.
	MeasureBase
	// MeasurePackages: the bytes of the OS packages Finding.Packages
	// names that the finding's layer installed, with the dependencies it
	// installed for them alone (packages.Result.Removal).
	MeasurePackages
)

// Repairable returns the IDs of the rules that have a repair, sorted.
func Repairable() []string {
	var out []string
	for _, r := range All() {
		if m := r.Meta(); m.Repair != 0 {
			out = append(out, m.ID)
		}
	}
	slices.Sort(out)
	return out
}

// Metas returns the metadata of every rule, ordered by ID.
func Metas() []Meta {
	rs := All()
	out := make([]Meta, len(rs))
	for i, r := range rs {
		out[i] = r.Meta()
	}
	return out
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

package report

import (
	"encoding/base64"
	"fmt"
	"io"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/whittle/whittle/pkg/rules"
)

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "error"
	case rules.Warning:
		return "warning"
	}
	return "note"
}

// SrcRootID is the uriBaseId of artifact URIs relative to the source root
// (SARIF §3.14.14 names %SRCROOT% as the conventional one).
const SrcRootID = "%SRCROOT%"

// SARIFOptions is what a SARIF log carries beyond the findings.
type SARIFOptions struct {
	// Version is the tool's version; "" writes none.
	Version string
	// SrcRoot is the absolute file:// URI of the directory that relative
	// artifact URIs are relative to, ending in "/": the run's
	// originalUriBaseIds entry for SrcRootID. "" for none.
	SrcRoot string
	// Artifacts maps a finding's File to the URI its results and fixes
	// name. A file not in the map is named as given, with no base.
	Artifacts map[string]SARIFArtifact
}

// SARIFArtifact is where a file is, as a SARIF artifact location.
type SARIFArtifact struct {
	// URI is relative to SrcRoot when Relative is true, else absolute (a
	// file outside the source root: file:///...).
	URI      string
	Relative bool
}

// LintSARIF writes a SARIF 2.1.0 log with one run of the tool "whittle"
// (at o.Version, when not empty): every rule that ran as a reporting
// descriptor (with its documentation page as help URI and its default
// level), and every finding as a result with its file and region, and with
// its repair as a fix when whittle fix can apply it (see sarifFix). Files
// are named as o.Artifacts says: relative to o.SrcRoot, which the run
// declares as %SRCROOT% in originalUriBaseIds, or absolute.
func LintSARIF(w io.Writer, r LintResult, o SARIFOptions) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	driver := sarif.NewDriver("whittle").WithInformationURI(DocBaseURL + "docs/lint.md")
	if o.Version != "" {
		driver.WithVersion(o.Version)
	}
	run := sarif.NewRun(*sarif.NewTool(driver))
	if o.SrcRoot != "" {
		run.WithOriginalUriBaseIds(map[string]*sarif.ArtifactLocation{
			SrcRootID: sarif.NewSimpleArtifactLocation(o.SrcRoot),
		})
	}
	index := map[string]int{}
	for i, m := range r.Rules {
		index[m.ID] = i
		desc := sarif.NewRule(m.ID).
			WithName(m.Name).
			WithShortDescription(sarif.NewMultiformatMessageString(m.Summary)).
			WithHelpURI(DocBaseURL + m.Doc).
			WithTextHelp(m.Summary + " See " + DocBaseURL + m.Doc).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(m.Severity)))
		if len(m.Hadolint) > 0 {
			pb := sarif.NewPropertyBag()
			pb.Add("hadolint", m.Hadolint)
			desc.AttachPropertyBag(pb)
		}
		driver.AddRule(desc)
	}
	results := make([]*sarif.Result, 0, len(r.Findings))
	for _, f := range r.Findings {
		text := f.Message
		if f.Fix != "" {
			text += " Fix: " + f.Fix
		}
		region := sarif.NewRegion().WithStartLine(max(f.Line, 1)).WithStartColumn(max(f.Column, 1))
		if f.EndLine >= f.Line && f.EndLine > 0 {
			region.WithEndLine(f.EndLine)
			if f.EndColumn > 0 && (f.EndLine > f.Line || f.EndColumn > f.Column) {
				region.WithEndColumn(f.EndColumn)
			}
		}
		res := sarif.NewRuleResult(f.Rule).
			WithLevel(sarifLevel(f.Severity)).
			WithMessage(sarif.NewTextMessage(text)).
			WithLocations([]*sarif.Location{
				sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
					WithArtifactLocation(o.location(f.File)).
					WithRegion(region)),
			})
		if i, ok := index[f.Rule]; ok {
			res.WithRuleIndex(i)
		}
		if fix := sarifFix(f, o.location(f.File)); fix != nil {
			res.AddFix(fix)
		}
		results = append(results, res)
	}
	run.WithResults(results)
	log.AddRun(run)
	if err := log.PrettyWrite(w); err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	return nil
}

// sarifFix returns a finding's repair as a SARIF fix, or nil when whittle
// fix never applies it (no repair, a display-only one, or one without
// edits): a SARIF consumer may apply any fix it is given, so a repair that
// a human must decide on stays in words (the result's message).
//
// The fix's description is the repair's message; its properties say
// "applicability" ("safe", or "unsafe" for a repair whittle fix applies
// only with --unsafe-fixes: a consumer that applies fixes unreviewed
// should take only safe ones) and "reason", when there is one. It changes
// one artifact, the finding's file (at file), with one replacement per edit
// in source order, each region given both as bytes and as lines and
// columns, and the inserted text both as text and, as SARIF requires beside
// a byte region, base64 (§3.57.2).
func sarifFix(f rules.Finding, file *sarif.ArtifactLocation) *sarif.Fix {
	if !f.Fixable() || len(f.Repair.Edits) == 0 {
		return nil
	}
	change := sarif.NewArtifactChange(file)
	for _, e := range f.Repair.Edits {
		rep := sarif.NewReplacement(sarifEditRegion(e))
		if e.Text != "" {
			rep.WithInsertedContent(sarif.NewArtifactContent().
				WithText(e.Text).
				WithBinary(base64.StdEncoding.EncodeToString([]byte(e.Text))))
		}
		change.WithReplacement(rep)
	}
	fix := sarif.NewFix().
		WithDescriptionText(f.Repair.Message).
		WithArtifactChanges([]*sarif.ArtifactChange{change})
	pb := sarif.NewPropertyBag()
	pb.Add("applicability", f.Repair.Applicability.String())
	if f.Repair.Reason != "" {
		pb.Add("reason", f.Repair.Reason)
	}
	fix.AttachPropertyBag(pb)
	return fix
}

// location is the artifact location of a file, as o.Artifacts says.
func (o SARIFOptions) location(file string) *sarif.ArtifactLocation {
	a, ok := o.Artifacts[file]
	if !ok {
		return sarif.NewSimpleArtifactLocation(file)
	}
	loc := sarif.NewSimpleArtifactLocation(a.URI)
	if a.Relative {
		loc.WithUriBaseId(SrcRootID)
	}
	return loc
}

// sarifEditRegion is the region an edit replaces: its bytes, and its lines
// and columns when it has them (an insertion has length 0 and equal start
// and end).
func sarifEditRegion(e rules.Edit) *sarif.Region {
	region := sarif.NewRegion().WithByteOffset(e.Start).WithByteLength(e.End - e.Start)
	if e.Line >= 1 && e.Column >= 1 && e.EndLine >= e.Line && e.EndColumn >= 1 {
		region.WithStartLine(e.Line).WithStartColumn(e.Column).WithEndLine(e.EndLine).WithEndColumn(e.EndColumn)
	}
	return region
}

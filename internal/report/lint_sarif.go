package report

import (
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

// LintSARIF writes a SARIF 2.1.0 log with one run of the tool "whittle":
// every rule that ran as a reporting descriptor (with its documentation
// page as help URI and its default level), and every finding as a result
// with its file and region.
func LintSARIF(w io.Writer, r LintResult, version string) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	driver := sarif.NewDriver("whittle").WithInformationURI(DocBaseURL + "docs/lint.md")
	if version != "" {
		driver.WithVersion(version)
	}
	run := sarif.NewRun(*sarif.NewTool(driver))
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
					WithArtifactLocation(sarif.NewSimpleArtifactLocation(f.File)).
					WithRegion(region)),
			})
		if i, ok := index[f.Rule]; ok {
			res.WithRuleIndex(i)
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

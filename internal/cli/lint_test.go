package cli

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/whittle/whittle/internal/report"
	"github.com/whittle/whittle/pkg/rules"
)

// TestLintScripts runs testdata/lint/*.txtar: formats, exit codes, stdin,
// inline ignores, rule selection and the lint section of .whittle.yaml.
// Scripts can use `exitcode N CMD ARGS...` (see TestAnalyzeScripts),
// `sarifcheck FILE`, which validates a SARIF 2.1.0 log, `gitlabcheck FILE`,
// which validates a GitLab Code Quality report, and `findings FORMAT FILE`,
// which lists the findings of a report in any format (cmdFindings).
func TestLintScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "lint"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":    cmdExitCode,
			"sarifcheck":  cmdSARIFCheck,
			"gitlabcheck": cmdGitLabCheck,
			"findings":    cmdFindings,
		},
	})
}

func TestCountFixable(t *testing.T) {
	repair := func(a rules.Applicability) *rules.Repair { return &rules.Repair{Message: "m", Applicability: a} }
	findings := []rules.Finding{
		{Rule: "WH201", Repair: repair(rules.Safe)},
		{Rule: "WH202", Repair: repair(rules.Unsafe)},
		{Rule: "WH203", Repair: repair(rules.Safe)},
		{Rule: "WH501", Repair: repair(rules.DisplayOnly)},
		{Rule: "WH601"},
	}
	got := countFixable(findings)
	if want := (report.LintFixable{Safe: 2, Unsafe: 1}); got != want {
		t.Errorf("countFixable = %+v, want %+v", got, want)
	}
	n := 0
	for _, f := range findings {
		if f.Fixable() {
			n++
		}
	}
	if got.Safe+got.Unsafe != n {
		t.Errorf("counted %d fixable, Finding.Fixable says %d", got.Safe+got.Unsafe, n)
	}
	if got := countFixable(nil); got != (report.LintFixable{}) {
		t.Errorf("no findings: %+v", got)
	}
}

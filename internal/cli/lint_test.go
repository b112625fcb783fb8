package cli

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestLintScripts runs testdata/lint/*.txtar: formats, exit codes, stdin,
// inline ignores, rule selection and the lint section of .whittle.yaml.
// Scripts can use `exitcode N CMD ARGS...` (see TestAnalyzeScripts) and
// `sarifcheck FILE`, which validates a SARIF 2.1.0 log.
func TestLintScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "lint"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":   cmdExitCode,
			"sarifcheck": cmdSARIFCheck,
		},
	})
}

package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestSquashScripts runs testdata/squash/*.txtar. Each script starts with
// app.tar (examples/app.tar, the example image) in $WORK, and has the
// `exitcode N CMD ARGS...` command of the analyze scripts.
func TestSquashScripts(t *testing.T) {
	app, err := os.ReadFile(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "squash"),
		Setup: func(env *testscript.Env) error {
			return os.WriteFile(filepath.Join(env.WorkDir, "app.tar"), app, 0o644)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
		},
	})
}

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/whittle/whittle/examples/appimage"
)

// TestDiffScripts runs testdata/diff/*.txtar. Each script starts with
// these files in $WORK:
//
//	app.tar      examples/app.tar, the example image
//	next.tar     its next release (appimage.BuildNext, as
//	             `go run ./examples/gen -next` writes it), whose changes
//	             are known by construction
//	corrupt.tar  the example with one byte of its biggest layer blob changed
//
// and the example image is also served as $REGISTRY/app:1.0 by an
// in-process registry and written as the OCI layout $LAYOUT (tag 1.0);
// $NEXT_LAYOUT is the next release as an OCI layout (tag 1.1). The
// commands exitcode and emptydir are those of the analyze scripts.
func TestDiffScripts(t *testing.T) {
	app, err := os.ReadFile(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	var next bytes.Buffer
	if err := appimage.BuildNext(&next); err != nil {
		t.Fatal(err)
	}
	corrupt, err := corruptBiggestBlob(app)
	if err != nil {
		t.Fatal(err)
	}
	registryHost, layoutDir := serveExample(t, app)
	nextLayout := filepath.Join(t.TempDir(), "next")
	img, err := appimage.NextImage()
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.Write(nextLayout, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1.1"})); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "diff"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "")
			env.Setenv("REGISTRY", registryHost)
			env.Setenv("LAYOUT", layoutDir)
			env.Setenv("NEXT_LAYOUT", nextLayout)
			for name, data := range map[string][]byte{
				"app.tar":     app,
				"next.tar":    next.Bytes(),
				"corrupt.tar": corrupt,
			} {
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), data, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"emptydir": cmdEmptyDir,
		},
	})
}

// TestCompleteDiffFormat: diff's --format completes to its four formats,
// with what each is for.
func TestCompleteDiffFormat(t *testing.T) {
	cands, directive := complete(t, "diff", "--format", "")
	want := []string{"text\tfor people", "json\tevery item, documented schema", "markdown\tfor a pull-request comment", "html\tone self-contained page with charts"}
	if !slices.Equal(cands, want) || directive != ":4" {
		t.Errorf("diff --format: %q (directive %s), want %q", cands, directive, want)
	}
}

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/whittle/whittle/pkg/squash"
)

// TestSquashScripts runs testdata/squash/*.txtar. Each script starts with
// app.tar (examples/app.tar, the example image) in $WORK, and has the
// `exitcode N CMD ARGS...` command of the analyze scripts, `samefigures`
// (outputs_test.go) and the condition [root].
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
			"exitcode":    cmdExitCode,
			"samefigures": cmdSameFigures,
		},
		Condition: scriptCondition,
	})
}

// TestSquashBaseFromLayoutAnnotation: an image whose base-image annotations
// name a base held in the same OCI layout keeps exactly the base's layers.
func TestSquashBaseFromLayoutAnnotation(t *testing.T) {
	dir := t.TempDir()
	base, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	child, err := mutate.AppendLayers(base, mustLayer(t), mustLayer(t))
	if err != nil {
		t.Fatal(err)
	}
	bd, _ := base.Digest()
	child = mutate.Annotations(child, map[string]string{
		squash.AnnotationBaseName:   "example.com/base:1",
		squash.AnnotationBaseDigest: bd.String(),
	}).(v1.Image)
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(base); err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(child, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "app"})); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), []string{"squash", "--dry-run", "oci:" + dir + ":app"}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want := "2 layers shared with example.com/base:1@" + bd.String() + " (base-image annotations) (annotation)"
	if !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

func mustLayer(t *testing.T) v1.Layer {
	t.Helper()
	l, err := random.Layer(256, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

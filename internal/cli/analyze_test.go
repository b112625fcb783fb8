package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/whittle/whittle/pkg/account"
)

// TestMain lets test scripts run `whittle` as a command: the test binary
// re-runs itself and calls Execute, so every script command has its own
// process, working directory, environment and exit code. Any command's
// scripts can use it.
//
// The layer cache (docs/cache.md) of the tests is never the user's: in
// process, XDG_CACHE_HOME is a temporary directory; a script's whittle
// keeps its cache in $WORK/.cache, so that a script analysing an image
// twice reads it warm the second time, with the same figures.
func TestMain(m *testing.M) {
	testscript.Main(cacheHome{m}, map[string]func(){
		"whittle": func() {
			if os.Getenv("XDG_CACHE_HOME") == "" {
				os.Setenv("XDG_CACHE_HOME", filepath.Join(os.Getenv("WORK"), ".cache"))
			}
			ctx, stop := NotifyContext(context.Background())
			code := Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

// cacheHome runs the tests with XDG_CACHE_HOME in a directory removed
// when they end.
type cacheHome struct{ *testing.M }

func (m cacheHome) Run() int {
	dir, err := os.MkdirTemp("", "whittle-test-cache-")
	if err != nil {
		return 1
	}
	defer os.RemoveAll(dir)
	os.Setenv("XDG_CACHE_HOME", dir)
	return m.M.Run()
}

// TestAnalyzeScripts runs testdata/analyze/*.txtar. Each script starts with
// these files in $WORK:
//
//	app.tar        examples/app.tar, the example image
//	truncated.tar  its first half
//	corrupt.tar    the example with one byte of its biggest layer blob changed
//	notes.txt      a text file, not an image
//	pkgs.tar, apk.tar, rpm.tar  synthetic images with package databases
//	               (packageImages says what each holds)
//
// and $DIVE_TEST_IMAGE names dive's test-docker-image.tar (in
// testdata/compat/dive at the repository root); the example image is also
// served as $REGISTRY/app:1.0 by an in-process registry and written as the
// OCI layout $LAYOUT (tag 1.0), and $REHEADER_LAYOUT is that layout with
// the gzip header of its biggest blob changed; $ENGINE_HOST is the unix://
// URL of a fake container engine (Docker's API, as podman's service speaks
// it) that serves the example image as app:1.0 (serveEngine);
// and the command `exitcode N CMD ARGS...`, which runs CMD and expects exit
// status N (keeping stdout and stderr for the commands after it), and
// `emptydir DIR` (outputs_test.go).
func TestAnalyzeScripts(t *testing.T) {
	app, err := os.ReadFile(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	corrupt, err := corruptBiggestBlob(app)
	if err != nil {
		t.Fatal(err)
	}
	diveImage, err := filepath.Abs(filepath.Join("..", "..", "testdata", "compat", "dive", "test-docker-image.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(diveImage); err != nil {
		t.Fatal(err)
	}
	registryHost, layoutDir := serveExample(t, app)
	reheader := reheaderLayout(t, app)
	engineHost := serveEngine(t, app)
	pkgImages := packageImages(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "analyze"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "")
			env.Setenv("DIVE_TEST_IMAGE", diveImage)
			env.Setenv("REGISTRY", registryHost)
			env.Setenv("LAYOUT", layoutDir)
			env.Setenv("REHEADER_LAYOUT", reheader)
			env.Setenv("ENGINE_HOST", engineHost)
			files := map[string][]byte{
				"app.tar":       app,
				"truncated.tar": app[:len(app)/2],
				"corrupt.tar":   corrupt,
				"notes.txt":     []byte("not an image\n"),
			}
			for name, data := range pkgImages {
				files[name] = data
			}
			for name, data := range files {
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

// serveExample pushes the example image to an in-process registry and
// writes it as an OCI layout; it returns the registry's host:port and the
// layout's directory.
func serveExample(t *testing.T, archive []byte) (string, string) {
	t.Helper()
	img, err := tarball.Image(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(archive)), nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.NewTag(host+"/app:1.0", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1.0"})); err != nil {
		t.Fatal(err)
	}
	return host, dir
}

// reheaderLayout writes the example as an OCI layout whose biggest blob has
// another gzip modification time: other bytes, the same content.
func reheaderLayout(t *testing.T, archive []byte) string {
	t.Helper()
	img, err := tarball.Image(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(archive)), nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "reheader")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1.0"})); err != nil {
		t.Fatal(err)
	}
	blobs := filepath.Join(dir, "blobs", "sha256")
	ents, err := os.ReadDir(blobs)
	if err != nil {
		t.Fatal(err)
	}
	var biggest string
	var size int64
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > size {
			biggest, size = e.Name(), fi.Size()
		}
	}
	b, err := os.ReadFile(filepath.Join(blobs, biggest))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("biggest blob %s is not gzip", biggest)
	}
	b[4] ^= 0xff // MTIME
	if err := os.WriteFile(filepath.Join(blobs, biggest), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cmdExitCode runs a command and checks its exit status.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// corruptBiggestBlob returns a copy of a docker-archive tar with one byte in
// the middle of its biggest member changed (the biggest member is a layer).
func corruptBiggestBlob(archive []byte) ([]byte, error) {
	type member struct {
		hdr  *tar.Header
		data []byte
	}
	var members []member
	tr := tar.NewReader(bytes.NewReader(archive))
	biggest := -1
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		members = append(members, member{h, data})
		if biggest < 0 || len(data) > len(members[biggest].data) {
			biggest = len(members) - 1
		}
	}
	if biggest < 0 || !strings.HasSuffix(members[biggest].hdr.Name, ".tar.gz") {
		return nil, fmt.Errorf("no layer blob in archive")
	}
	d := members[biggest].data
	d[len(d)/2] ^= 0xff
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, m := range members {
		if err := tw.WriteHeader(m.hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(m.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func TestWriteReportAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeReportAtomic(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("file holds %q, want %q", b, "new")
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	// A failed write leaves no temporary file and no output.
	if err := writeReportAtomic(filepath.Join(dir, "missing", "r.json"), []byte("x")); err == nil {
		t.Error("writing into a missing directory: nil error")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(ents))
	}
}

func TestErrorLine(t *testing.T) {
	err := errors.Join(errors.New("a.dive-ci: bad"), errors.New("b: worse"))
	if got, want := errorLine(err), "a.dive-ci: bad; b: worse"; got != want {
		t.Errorf("errorLine = %q, want %q", got, want)
	}
}

func TestColorFor(t *testing.T) {
	var buf bytes.Buffer
	t.Setenv("NO_COLOR", "")
	if colorFor(&buf, false) {
		t.Error("colour on a buffer")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if colorFor(f, false) {
		t.Error("colour on a regular file")
	}
}

// TestAnalyzeProgress drives the progress bar directly (the command only
// draws it when stderr is a terminal).
func TestAnalyzeProgress(t *testing.T) {
	var buf bytes.Buffer
	if newLayerProgress(&buf) != nil {
		t.Error("progress bar on a buffer")
	}
	var none *layerProgress
	none.finish() // nil-safe
	p := &layerProgress{w: &buf}
	p.update(account.Progress{Layers: 3, LayersDone: 1, Entries: 1200})
	p.update(account.Progress{Layers: 3, LayersDone: 3, Entries: 2400})
	p.update(account.Progress{Layers: 3, LayersDone: 3, Entries: 2400, Done: true})
	p.finish()
	if !strings.Contains(buf.String(), "reading layers") {
		t.Errorf("progress output %q lacks the description", buf.String())
	}
}

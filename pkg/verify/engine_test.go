package verify

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/imageref"
)

// fakeCLI is a shell script standing in for docker and buildah: it logs
// its arguments, fails `docker version` when FAKE_DOWN is set and `build`
// (`bud`) when FAKE_BUILD_FAILS is, and writes $FAKE_ARCHIVE where `save
// -o` or `push TAG oci-archive:` says.
const fakeCLI = `#!/bin/sh
echo "$*" >>"$FAKE_LOG"
case $1 in
version)
	if [ -n "$FAKE_DOWN" ] && [ "${0##*/}" = docker ]; then echo "Cannot connect to the Docker daemon" >&2; exit 1; fi
	echo 1.0 ;;
build|bud)
	echo "Step 1/2 : FROM base"
	if [ -n "$FAKE_BUILD_FAILS" ]; then echo "E: Unable to locate package nosuch" >&2; exit 100; fi ;;
save) /bin/cp "$FAKE_ARCHIVE" "$3" ;;
push) /bin/cp "$FAKE_ARCHIVE" "${3#oci-archive:}" ;;
rmi) ;;
esac
`

// fakeEnv puts the named fake CLIs alone on PATH and returns the log.
func fakeEnv(t *testing.T, archive string, names ...string) string {
	t.Helper()
	bin := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(bin, n), []byte(fakeCLI), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	log := filepath.Join(t.TempDir(), "log")
	t.Setenv("PATH", bin)
	t.Setenv("FAKE_LOG", log)
	t.Setenv("FAKE_ARCHIVE", archive)
	t.Setenv("FAKE_DOWN", "")
	t.Setenv("FAKE_BUILD_FAILS", "")
	return log
}

func readLog(t *testing.T, log string) string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDockerCLIEngine(t *testing.T) {
	img, err := synth.Build(synth.Image{Layers: []synth.Layer{base}})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "save.tar")
	if err := tarball.WriteToFile(archive, nil, img); err != nil {
		t.Fatal(err)
	}
	log := fakeEnv(t, archive, "docker", "buildah")
	t.Setenv("TMPDIR", t.TempDir())
	eng, err := FindEngine(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if eng.Name() != EngineDocker {
		t.Fatalf("engine %s", eng.Name())
	}
	var out strings.Builder
	b, err := eng.Build(context.Background(), Build{Dockerfile: "/t/Dockerfile", Context: "/ctx", Tag: "w:original",
		Network: "host", Target: "app", BuildArgs: []string{"A=1", "B=x y"}, Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.ConfigFile()
	got, err := b.Image.ConfigFile()
	if err != nil || len(got.RootFS.DiffIDs) != 1 || got.RootFS.DiffIDs[0] != want.RootFS.DiffIDs[0] {
		t.Errorf("image read back: %v %v", got, err)
	}
	if !b.Uncompressed {
		t.Error("docker save's layers not marked uncompressed")
	}
	if !strings.Contains(out.String(), "Step 1/2") {
		t.Errorf("build output not passed on: %q", out.String())
	}
	if err := eng.Remove(context.Background(), "w:original"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(readLog(t, log)), "\n")
	if len(lines) != 4 || lines[0] != "version --format {{.Server.Version}}" ||
		lines[1] != "build -t w:original -f /t/Dockerfile --network host --target app --build-arg A=1 --build-arg B=x y /ctx" ||
		!strings.HasPrefix(lines[2], "save -o "+os.Getenv("TMPDIR")) || !strings.HasSuffix(lines[2], "/image.tar w:original") ||
		lines[3] != "rmi w:original" {
		t.Errorf("commands:\n%s", strings.Join(lines, "\n"))
	}
	b.Release()
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}

	// A failed build: the error ends with the build's last lines.
	t.Setenv("FAKE_BUILD_FAILS", "1")
	_, err = eng.Build(context.Background(), Build{Dockerfile: "/t/Dockerfile", Context: "/ctx", Tag: "w:fixed", Output: &out})
	if err == nil || !strings.Contains(err.Error(), "docker build failed (exit status 100)") || !strings.Contains(err.Error(), "E: Unable to locate package nosuch") {
		t.Errorf("error %v", err)
	}
}

func TestBuildahEngine(t *testing.T) {
	img, err := synth.Build(synth.Image{Layers: []synth.Layer{base}, OCI: true})
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "oci.tar")
	ref, err := imageref.ParseDestination("oci-archive:" + archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.Write(context.Background(), img); err != nil {
		t.Fatal(err)
	}
	log := fakeEnv(t, archive, "docker", "buildah")
	// The docker CLI is there, but no engine answers it: buildah builds.
	t.Setenv("FAKE_DOWN", "1")
	eng, err := FindEngine(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if eng.Name() != EngineBuildah {
		t.Fatalf("engine %s", eng.Name())
	}
	b, err := eng.Build(context.Background(), Build{Dockerfile: "/t/D", Context: "/ctx", Tag: "w:fixed", Output: &strings.Builder{}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if b.Uncompressed {
		t.Error("buildah's OCI archive marked uncompressed")
	}
	if ls, err := b.Image.Layers(); err != nil || len(ls) != 1 {
		t.Errorf("layers %v %v", ls, err)
	}
	if err := eng.Remove(context.Background(), "w:fixed"); err != nil {
		t.Fatal(err)
	}
	got := readLog(t, log)
	for _, want := range []string{"bud --layers -t w:fixed -f /t/D /ctx\n", "push w:fixed oci-archive:", "rmi w:fixed\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("commands lack %q:\n%s", want, got)
		}
	}

	// Neither answers: the error says what each did.
	t.Setenv("DOCKER_HOST", "unix:///nowhere/docker.sock")
	if err := os.Remove(filepath.Join(os.Getenv("PATH"), "buildah")); err != nil {
		t.Fatal(err)
	}
	_, err = FindEngine(context.Background(), "")
	var ne *NoEngineError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "found, but no Docker Engine answered at DOCKER_HOST=unix:///nowhere/docker.sock") ||
		!strings.Contains(err.Error(), "Cannot connect to the Docker daemon") || !strings.Contains(err.Error(), "buildah: not on PATH") {
		t.Errorf("error %v", err)
	}
}

func TestFindEngineSocketWithoutCLI(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv("PATH", t.TempDir())
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	_, err = FindEngine(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "docker: no docker CLI on PATH (a Docker Engine socket is at "+sock+", but whittle builds through the docker CLI: put it on PATH)") {
		t.Errorf("error %v", err)
	}
}

package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/imageref"
)

// Engine builds Dockerfiles into images that whittle can read.
type Engine interface {
	// Name is the engine's name ("docker", "buildah").
	Name() string
	// Build builds b and returns the image, readable until its Release.
	Build(ctx context.Context, b Build) (*Built, error)
	// Remove removes the image tagged tag from the engine.
	Remove(ctx context.Context, tag string) error
}

// Build is one build.
type Build struct {
	// Dockerfile is the path of the Dockerfile (outside Context).
	Dockerfile string
	// Context is the build context directory.
	Context string
	// Tag is the name to give the image.
	Tag string
	// Network ("" for the engine's default), Target ("" for the last
	// stage), BuildArgs (KEY=VALUE) as the engine's flags of those names.
	Network   string
	Target    string
	BuildArgs []string
	// Output receives the engine's build output (never nil).
	Output io.Writer
}

// Built is a built image.
type Built struct {
	Image v1.Image
	// Uncompressed is true when the engine gave the layers out as plain
	// tars (`docker save`): their blob sizes are then the tars' sizes, not
	// compressed sizes.
	Uncompressed bool
	// Release frees what reading Image needs (a temporary archive); nil
	// when nothing.
	Release func()
}

// Engine names FindEngine knows.
const (
	EngineDocker  = "docker"
	EngineBuildah = "buildah"
)

// NoEngineError is FindEngine's error when no engine can build: Tried
// says, for each engine looked for, what was found.
type NoEngineError struct {
	Tried []string
}

func (e *NoEngineError) Error() string {
	return "no container engine to build with: " + strings.Join(e.Tried, "; ") +
		". Install Docker Engine or buildah, or point whittle at a running Docker Engine with DOCKER_HOST=unix:///PATH/docker.sock (the docker CLI must be on PATH), or choose one with --engine docker|buildah"
}

// lookPath and probe are replaced by tests.
var lookPath = exec.LookPath

// FindEngine finds the engine to build with. name "" tries, in order, the
// docker CLI on PATH with a Docker Engine that answers it (DOCKER_HOST,
// or the CLI's own default: /var/run/docker.sock or its context), then
// buildah on PATH; name "docker" or "buildah" asks for that one. When none
// can build the error is a *NoEngineError that says what was looked for.
func FindEngine(ctx context.Context, name string) (Engine, error) {
	var tried []string
	if name != "" && name != EngineDocker && name != EngineBuildah {
		return nil, fmt.Errorf("unknown engine %q (want %s or %s)", name, EngineDocker, EngineBuildah)
	}
	if name == "" || name == EngineDocker {
		p, err := lookPath("docker")
		if err != nil {
			msg := "docker: no docker CLI on PATH"
			if sock := dockerSocket(); sock != "" {
				msg += " (a Docker Engine socket is at " + sock + ", but whittle builds through the docker CLI: put it on PATH)"
			}
			tried = append(tried, msg)
		} else {
			e := &DockerCLI{Path: p}
			if err := e.probe(ctx); err != nil {
				tried = append(tried, fmt.Sprintf("docker: %s found, but no Docker Engine answered at %s: %v", p, dockerHost(), err))
			} else {
				return e, nil
			}
		}
	}
	if name == "" || name == EngineBuildah {
		p, err := lookPath("buildah")
		if err != nil {
			tried = append(tried, "buildah: not on PATH")
		} else {
			e := &Buildah{Path: p}
			if err := e.probe(ctx); err != nil {
				tried = append(tried, fmt.Sprintf("buildah: %s found, but `buildah version` failed: %v", p, err))
			} else {
				return e, nil
			}
		}
	}
	return nil, &NoEngineError{Tried: tried}
}

// dockerHost says where the docker CLI looks for its engine.
func dockerHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return "DOCKER_HOST=" + h
	}
	if c := os.Getenv("DOCKER_CONTEXT"); c != "" {
		return "DOCKER_CONTEXT=" + c
	}
	return "the CLI's default (unix:///var/run/docker.sock unless a docker context says otherwise)"
}

// dockerSocket returns the path of the Docker Engine's unix socket when
// one exists (DOCKER_HOST's, or the default), else "".
func dockerSocket() string {
	p := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		if !strings.HasPrefix(h, "unix://") {
			return ""
		}
		p = strings.TrimPrefix(h, "unix://")
	}
	if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSocket != 0 {
		return p
	}
	return ""
}

// DockerCLI builds with the docker CLI: `docker build`, then `docker save`
// to a temporary archive that whittle reads.
type DockerCLI struct {
	// Path is the docker CLI's path.
	Path string
	// TempDir is where the saved archives go ("" for the system's).
	TempDir string
}

var _ Engine = (*DockerCLI)(nil)

// Name implements Engine.
func (e *DockerCLI) Name() string { return EngineDocker }

func (e *DockerCLI) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err := output(ctx, e.Path, "version", "--format", "{{.Server.Version}}")
	return err
}

// Build implements Engine: `docker build -t TAG -f DOCKERFILE [--network
// N] [--target T] [--build-arg KV]... CONTEXT`, then `docker save`.
func (e *DockerCLI) Build(ctx context.Context, b Build) (*Built, error) {
	args := append([]string{"build", "-t", b.Tag, "-f", b.Dockerfile}, buildFlags(b)...)
	args = append(args, b.Context)
	if err := run(ctx, b.Output, e.Path, args...); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(e.TempDir, "whittle-verify-image-")
	if err != nil {
		return nil, fmt.Errorf("making a temporary directory: %w", err)
	}
	release := func() { os.RemoveAll(dir) }
	archive := filepath.Join(dir, "image.tar")
	if _, err := output(ctx, e.Path, "save", "-o", archive, b.Tag); err != nil {
		release()
		return nil, fmt.Errorf("saving %s: %w", b.Tag, err)
	}
	img, err := openArchive(ctx, "docker-archive:"+archive)
	if err != nil {
		release()
		return nil, fmt.Errorf("reading %s as `docker save` wrote it: %w", b.Tag, err)
	}
	// docker save writes every layer as a plain tar.
	return &Built{Image: img, Uncompressed: true, Release: release}, nil
}

// Remove implements Engine: `docker rmi TAG`.
func (e *DockerCLI) Remove(ctx context.Context, tag string) error {
	_, err := output(ctx, e.Path, "rmi", tag)
	return err
}

// Buildah builds with buildah: `buildah build --layers`, then `buildah
// push` to a temporary OCI archive that whittle reads. Where buildah
// keeps its images and how it isolates RUN is buildah's own
// configuration (storage.conf, BUILDAH_ISOLATION).
type Buildah struct {
	Path    string
	TempDir string
}

var _ Engine = (*Buildah)(nil)

// Name implements Engine.
func (e *Buildah) Name() string { return EngineBuildah }

func (e *Buildah) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err := output(ctx, e.Path, "version")
	return err
}

// Build implements Engine: `buildah build --layers -t TAG -f DOCKERFILE
// ... CONTEXT` (`bud` is its older name), then `buildah push TAG
// oci-archive:...`.
func (e *Buildah) Build(ctx context.Context, b Build) (*Built, error) {
	args := append([]string{"bud", "--layers", "-t", b.Tag, "-f", b.Dockerfile}, buildFlags(b)...)
	args = append(args, b.Context)
	if err := run(ctx, b.Output, e.Path, args...); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(e.TempDir, "whittle-verify-image-")
	if err != nil {
		return nil, fmt.Errorf("making a temporary directory: %w", err)
	}
	release := func() { os.RemoveAll(dir) }
	archive := filepath.Join(dir, "image.tar")
	if _, err := output(ctx, e.Path, "push", b.Tag, "oci-archive:"+archive); err != nil {
		release()
		return nil, fmt.Errorf("exporting %s: %w", b.Tag, err)
	}
	img, err := openArchive(ctx, "oci-archive:"+archive)
	if err != nil {
		release()
		return nil, fmt.Errorf("reading %s as buildah exported it: %w", b.Tag, err)
	}
	return &Built{Image: img, Release: release}, nil
}

// Remove implements Engine: `buildah rmi TAG`.
func (e *Buildah) Remove(ctx context.Context, tag string) error {
	_, err := output(ctx, e.Path, "rmi", tag)
	return err
}

func buildFlags(b Build) []string {
	var args []string
	if b.Network != "" {
		args = append(args, "--network", b.Network)
	}
	if b.Target != "" {
		args = append(args, "--target", b.Target)
	}
	for _, a := range b.BuildArgs {
		args = append(args, "--build-arg", a)
	}
	return args
}

func openArchive(ctx context.Context, ref string) (v1.Image, error) {
	r, err := imageref.Parse(ref)
	if err != nil {
		return nil, err
	}
	return r.Image(ctx)
}

// run runs a command with its output to w; a failure's error ends with
// the output's last lines.
func run(ctx context.Context, w io.Writer, path string, args ...string) error {
	tail := &tailBuffer{max: 4096}
	out := io.MultiWriter(w, tail)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return commandError(path, args, err, tail.String())
	}
	return nil
}

// output runs a command and returns its stdout; a failure's error holds
// its stderr.
func output(ctx context.Context, path string, args ...string) (string, error) {
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: 4096}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return "", commandError(path, args, err, stderr.String())
	}
	return stdout.String(), nil
}

func commandError(path string, args []string, err error, out string) error {
	name := filepath.Base(path)
	if len(args) > 0 {
		name += " " + args[0]
	}
	out = strings.TrimSpace(out)
	lines := strings.Split(out, "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && out != "" {
		return fmt.Errorf("%s failed (%v): %s", name, err, strings.Join(lines, "\n"))
	}
	return fmt.Errorf("%s failed: %w", name, err)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

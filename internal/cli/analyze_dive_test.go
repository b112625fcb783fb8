package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/pflag"

	"github.com/whittle/whittle/internal/gate"
)

// serveEngine serves the example image as "app:1.0" from a fake container
// engine on a unix socket, speaking the part of the Docker Engine API
// (which podman's service speaks too) that reading an image uses: ping,
// image inspect and image save. It returns the engine's unix:// URL.
func serveEngine(t *testing.T, archive []byte) string {
	t.Helper()
	img, err := tarball.Image(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(archive)), nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	// A short directory: a socket's path is limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "whe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "engine.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix sockets unavailable: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41") // podman's compatible API
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/_ping"):
			_, _ = io.WriteString(w, "OK")
		case strings.HasSuffix(p, "/images/app:1.0/json"):
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"Id": id.String(), "RepoTags": []string{"app:1.0"}})
		case strings.HasSuffix(p, "/images/get") && strings.HasSuffix(r.URL.Query().Get("names"), "/app:1.0"):
			w.Header().Set("Content-Type", "application/x-tar")
			_, _ = w.Write(archive)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"No such image"}`)
		}
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "unix://" + sock
}

func TestDiveReference(t *testing.T) {
	env := map[string]string{"XDG_RUNTIME_DIR": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		source, image, want, err string
	}{
		{"", "app:1", "app:1", ""},
		{"docker", "app:1", "docker-daemon:app:1", ""},
		{"docker-archive", "app.tar", "docker-archive:app.tar", ""},
		{"docker-tar", "app.tar", "docker-archive:app.tar", ""},
		{"docker", "docker://app:1", "", "--source docker: docker://app:1 already names its source (docker://); give one"},
		{"docker-archive", "oci:dir", "", "already names its source (oci)"},
		{"kaniko", "app:1", "", `--source: unknown engine "kaniko" (want docker, podman or docker-archive)`},
		// dive's podman://IMAGE is --source podman IMAGE (no socket here).
		{"", "podman://app:1", "", "podman://app:1: no podman API socket"},
		{"podman", "podman://app:1", "", "podman://app:1: no podman API socket"},
		{"docker", "podman://app:1", "", "--source docker: podman://app:1 already names its source (podman); give one"},
		{"", "podman://", "", "podman://: missing image name after podman://"},
	} {
		d := diveFlags{source: tc.source}
		got, opts, err := d.reference(tc.image, getenv)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s %s: error %v, want %q", tc.source, tc.image, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want || len(opts) != 0):
			t.Errorf("%s %s: %q (%d options), %v; want %q", tc.source, tc.image, got, len(opts), err, tc.want)
		}
	}
}

func TestPodmanHost(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_RUNTIME_DIR": dir}
	getenv := func(k string) string { return env[k] }
	if _, err := podmanHost(getenv); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "podman", "podman.sock")) {
		t.Errorf("no socket: %v", err)
	}
	// A socket where rootless podman puts it (a short path: sockets'
	// paths are limited).
	short, err := os.MkdirTemp("", "whp")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(short)
	if err := os.Mkdir(filepath.Join(short, "podman"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(short, "podman", "podman.sock"))
	if err != nil {
		t.Skipf("unix sockets unavailable: %v", err)
	}
	defer l.Close()
	env["XDG_RUNTIME_DIR"] = short
	if got, err := podmanHost(getenv); err != nil || got != "unix://"+filepath.Join(short, "podman", "podman.sock") {
		t.Errorf("rootless socket: %q, %v", got, err)
	}
	// CONTAINER_HOST wins, and must be a unix:// or tcp:// URL.
	env["CONTAINER_HOST"] = "tcp://127.0.0.1:8080"
	if got, err := podmanHost(getenv); err != nil || got != env["CONTAINER_HOST"] {
		t.Errorf("CONTAINER_HOST: %q, %v", got, err)
	}
	env["CONTAINER_HOST"] = "ssh://core@host/run/podman/podman.sock"
	if _, err := podmanHost(getenv); err == nil {
		t.Error("ssh:// CONTAINER_HOST: no error")
	}
}

// TestAnalyzeGateOn checks when the gate runs: flags, and dive's CI=true
// with a .dive-ci (or ci-config: of .whittle.yaml) present, unless
// --ci=false.
func TestAnalyzeGateOn(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("ci", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("ci", "dive.yaml"), []byte("rules: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	on := func(ciEnv string, args []string, cfg analyzeConfig, cfgPath string) bool {
		o := &analyzeOptions{}
		fs := pflag.NewFlagSet("analyze", pflag.ContinueOnError)
		fs.BoolVar(&o.ci, "ci", false, "")
		fs.StringVar(&o.ciConfig, "ci-config", "", "")
		fs.StringVar(&o.thresholds.MinEfficiency, "min-efficiency", "", "")
		o.dive.add(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return analyzeGateOn(fs, o, cfg, cfgPath, func(k string) string {
			if k == "CI" {
				return ciEnv
			}
			return ""
		})
	}
	none := analyzeConfig{}
	viaConfig := analyzeConfig{CIConfig: "dive.yaml"}
	for _, tc := range []struct {
		name    string
		ci      string
		args    []string
		cfg     analyzeConfig
		cfgPath string
		dotDive bool
		want    bool
	}{
		{"nothing", "", nil, none, "", false, false},
		{"--ci", "", []string{"--ci"}, none, "", false, true},
		{"dive's flag", "", []string{"--highestWastedBytes", "1MB"}, none, "", false, true},
		{"CI without .dive-ci", "true", nil, none, "", false, false},
		{"CI with .dive-ci", "true", nil, none, "", true, true},
		{"CI=1 with .dive-ci", "1", nil, none, "", true, true},
		{"CI=yes with .dive-ci", "yes", nil, none, "", true, true},
		{"CI=false with .dive-ci", "false", nil, none, "", true, false},
		{"CI=TRUE is not dive's true", "TRUE", nil, none, "", true, false},
		{"--ci=false wins over CI", "true", []string{"--ci=false"}, none, "", true, false},
		{"CI with ci-config: of .whittle.yaml", "true", nil, viaConfig, filepath.Join("ci", ".whittle.yaml"), false, true},
		{"ci-config: names no file", "true", nil, viaConfig, ".whittle.yaml", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(gate.DiveCIFile)
			if tc.dotDive {
				if err := os.WriteFile(gate.DiveCIFile, []byte("rules: {}\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := on(tc.ci, tc.args, tc.cfg, tc.cfgPath); got != tc.want {
				t.Errorf("gate on: %v, want %v", got, tc.want)
			}
		})
	}
}

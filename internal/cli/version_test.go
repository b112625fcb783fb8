package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestVersionScripts runs testdata/version/*.txtar: `whittle version` and
// `--version` as the test binary reports them (no VCS stamp, "(devel)").
func TestVersionScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "version"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
		},
	})
}

const testRevision = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"

// stamped is build info as `go build` in a git clone writes it.
func stamped(version string, modified bool) *debug.BuildInfo {
	mod := "false"
	if modified {
		mod = "true"
	}
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "github.com/whittle/whittle/cmd/whittle",
		Main:      debug.Module{Path: "github.com/whittle/whittle", Version: version},
		Settings: []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "CGO_ENABLED", Value: "0"},
			{Key: "GOARCH", Value: "arm64"},
			{Key: "GOOS", Value: "linux"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: testRevision},
			{Key: "vcs.time", Value: "2026-05-01T10:00:00Z"},
			{Key: "vcs.modified", Value: mod},
		},
	}
}

func TestVersionFrom(t *testing.T) {
	host := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name     string
		bi       *debug.BuildInfo
		ok       bool
		want     versionInfo
		line     string
		toolVers string
	}{{
		name: "release",
		bi:   stamped("v1.2.3", false),
		ok:   true,
		want: versionInfo{Module: "github.com/whittle/whittle", Version: "v1.2.3", VCS: "git", Revision: testRevision,
			Time: "2026-05-01T10:00:00Z", GoVersion: "go1.26.8", Platform: "linux/arm64"},
		line:     "whittle v1.2.3 (1a2b3c4d5e6f, 2026-05-01T10:00:00Z)",
		toolVers: "v1.2.3",
	}, {
		name: "modified clone",
		bi:   stamped("v0.0.0-20260501100000-1a2b3c4d5e6f+dirty", true),
		ok:   true,
		want: versionInfo{Module: "github.com/whittle/whittle", Version: "v0.0.0-20260501100000-1a2b3c4d5e6f+dirty", VCS: "git",
			Revision: testRevision, Time: "2026-05-01T10:00:00Z", Modified: true, GoVersion: "go1.26.8", Platform: "linux/arm64"},
		line:     "whittle v0.0.0-20260501100000-1a2b3c4d5e6f+dirty (1a2b3c4d5e6f-dirty, 2026-05-01T10:00:00Z)",
		toolVers: "v0.0.0-20260501100000-1a2b3c4d5e6f+dirty",
	}, {
		name: "devel without VCS",
		bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/whittle/whittle", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}}},
		ok:   true,
		want: versionInfo{Module: "github.com/whittle/whittle", Version: "(devel)", GoVersion: "go1.26.8", Platform: "linux/amd64"},
		line: "whittle (devel)",
	}, {
		name: "empty main version",
		bi:   &debug.BuildInfo{GoVersion: "go1.26.8"},
		ok:   true,
		want: versionInfo{Version: "(devel)", GoVersion: "go1.26.8", Platform: host},
		line: "whittle (devel)",
	}, {
		name: "no build info",
		ok:   false,
		want: versionInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: host},
		line: "whittle (devel)",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := versionFrom(tt.bi, tt.ok)
			if got != tt.want {
				t.Errorf("versionFrom =\n%+v\nwant\n%+v", got, tt.want)
			}
			if l := got.line(); l != tt.line {
				t.Errorf("line = %q, want %q", l, tt.line)
			}
			if v := got.tool(); v != tt.toolVers {
				t.Errorf("tool version (SARIF) = %q, want %q", v, tt.toolVers)
			}
		})
	}
}

// TestVersionCommand runs `whittle version` with injected build info: the
// text report, and JSON that decodes back to the same figures.
func TestVersionCommand(t *testing.T) {
	v := versionFrom(stamped("v1.2.3", true), true)
	run := func(args ...string) string {
		t.Helper()
		cmd := newCmdVersion(func() versionInfo { return v })
		var out, errOut bytes.Buffer
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("version %v: %v (stderr %q)", args, err, errOut.String())
		}
		return out.String()
	}
	want := `whittle v1.2.3 (1a2b3c4d5e6f-dirty, 2026-05-01T10:00:00Z)
module:    github.com/whittle/whittle
version:   v1.2.3
revision:  1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b
time:      2026-05-01T10:00:00Z
modified:  true
go:        go1.26.8
platform:  linux/arm64
`
	if got := run(); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	js := run("--format", "json")
	var back versionInfo
	if err := json.Unmarshal([]byte(js), &back); err != nil {
		t.Fatalf("decoding %s: %v", js, err)
	}
	if back != v {
		t.Errorf("JSON decodes to %+v, want %+v", back, v)
	}
	for _, key := range []string{`"module"`, `"version"`, `"vcs"`, `"revision"`, `"time"`, `"modified"`, `"go_version"`, `"platform"`} {
		if !strings.Contains(js, key) {
			t.Errorf("JSON lacks %s:\n%s", key, js)
		}
	}
}

// TestRootVersionFlag: `whittle --version` prints the first line of
// `whittle version`, whatever the build info.
func TestRootVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-v"}} {
		var out, errOut bytes.Buffer
		if code := Execute(t.Context(), args, strings.NewReader(""), &out, &errOut); code != ExitOK {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
		if want := readVersionInfo().line() + "\n"; out.String() != want {
			t.Errorf("%v printed %q, want %q", args, out.String(), want)
		}
	}
}

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

const naiveDockerfile = "FROM local/debian:bookworm\n# tools\nRUN apt-get update && apt-get install -y curl\n"

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Execute(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFixCLI(t *testing.T) {
	fixed := "FROM local/debian:bookworm\n# tools\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"
	unsafeFixed := "FROM local/debian:bookworm\n# tools\nRUN apt-get update && apt-get install --no-install-recommends -y ca-certificates curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"
	tests := []struct {
		name       string
		args       []string
		stdin      string
		file       string // content of the Dockerfile passed as the last arg, if any
		wantCode   int
		wantOut    string // exact stdout, unless "" and wantOutHas set
		wantOutHas []string
		wantErrHas []string
		wantFile   string // content of the file afterwards
	}{
		{name: "stdout", args: []string{"fix"}, file: naiveDockerfile, wantOut: fixed,
			wantErrHas: []string{":3: WH201 remove /var/lib/apt/lists at the end of the RUN\n", ":3: WH203 run apt-get clean at the end of the RUN\n",
				":3: WH202 held back, unsafe: add --no-install-recommends to apt-get install and install ca-certificates by name: ",
				"(--unsafe-fixes applies it)\n", ": 2 changes; 1 repair not applied\n"}, wantFile: naiveDockerfile},
		{name: "unsafe", args: []string{"fix", "--unsafe-fixes"}, file: naiveDockerfile, wantOut: unsafeFixed,
			wantErrHas: []string{":3: WH202 add --no-install-recommends to apt-get install and install ca-certificates by name (unsafe: ", ": 3 changes\n"}},
		{name: "check ignores unsafe", args: []string{"fix", "--check"}, file: fixed, wantCode: ExitOK,
			wantErrHas: []string{"WH202 held back, unsafe"}},
		{name: "check with unsafe", args: []string{"fix", "--check", "--unsafe-fixes"}, file: fixed, wantCode: ExitFail},
		{name: "stdin", args: []string{"fix", "-q", "-"}, stdin: naiveDockerfile, wantOut: fixed},
		{name: "diff", args: []string{"fix", "--diff", "-q"}, file: naiveDockerfile,
			wantOutHas: []string{"-RUN apt-get update && apt-get install -y curl\n", "+RUN apt-get update && apt-get install -y curl && apt-get clean", "@@ -1,3 +1,3 @@"}},
		{name: "write", args: []string{"fix", "--write", "-q"}, file: naiveDockerfile, wantOut: "", wantFile: fixed},
		{name: "check fails", args: []string{"fix", "--check"}, file: naiveDockerfile, wantCode: ExitFail, wantOut: "", wantFile: naiveDockerfile},
		{name: "check passes", args: []string{"fix", "--check"}, file: fixed, wantCode: ExitOK, wantOut: ""},
		{name: "one change", args: []string{"fix", "--rule", "WH201"}, file: naiveDockerfile,
			wantOut:    "FROM local/debian:bookworm\n# tools\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
			wantErrHas: []string{": 1 change; 2 repairs not applied\n", "WH203 not selected: run apt-get clean"}},
		{name: "rule", args: []string{"fix", "-q", "--rule", "WH201"}, file: naiveDockerfile,
			wantOut: "FROM local/debian:bookworm\n# tools\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"},
		{name: "skip", args: []string{"fix", "-q", "--skip", "WH201,WH203"}, file: naiveDockerfile,
			wantOut: naiveDockerfile},
		{name: "unknown rule", args: []string{"fix", "--rule", "WH999"}, file: naiveDockerfile, wantCode: ExitError, wantErrHas: []string{"WH999"}},
		// Skipping a lint rule that has no repair (WH104) changes nothing;
		// skipping a rule that does not exist is an error, as in lint.
		{name: "skip unrepairable", args: []string{"fix", "-q", "--skip", "WH104"}, file: naiveDockerfile, wantOut: fixed},
		{name: "skip unknown", args: []string{"fix", "--skip", "WH104,WH999"}, file: naiveDockerfile, wantCode: ExitError,
			wantErrHas: []string{`whittle: skipping rules: unknown rule "WH999"` + "\n"}},
		{name: "write and check", args: []string{"fix", "--write", "--check"}, file: naiveDockerfile, wantCode: ExitError},
		{name: "unparsable", args: []string{"fix"}, file: "FROM\nRUN <<EOF\n", wantCode: ExitError},
		{name: "missing file", args: []string{"fix", "/nonexistent/Dockerfile"}, wantCode: ExitError, wantErrHas: []string{"/nonexistent/Dockerfile: reading: no such file or directory"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			var path string
			if tc.file != "" {
				path = writeTemp(t, tc.file)
				args = append(append([]string{}, args...), path)
			}
			code, out, errs := runCLI(t, tc.stdin, args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.wantCode, errs)
			}
			if tc.wantOutHas == nil && tc.wantCode == ExitOK && out != tc.wantOut {
				t.Errorf("stdout %q, want %q", out, tc.wantOut)
			}
			for _, s := range tc.wantOutHas {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.wantErrHas {
				if !strings.Contains(errs, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errs)
				}
			}
			if tc.wantFile != "" {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != tc.wantFile {
					t.Errorf("file now %q, want %q", b, tc.wantFile)
				}
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
					t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
				}
				left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*whittle*"))
				if len(left) > 0 {
					t.Errorf("temporary files left: %v", left)
				}
			}
		})
	}
}

func TestFixWriteFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "Dockerfile.real")
	if err := os.WriteFile(real, []byte(naiveDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "Dockerfile")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks:", err)
	}
	if code, _, errs := runCLI(t, "", "fix", "--write", "-q", link); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", fi, err)
	}
	b, _ := os.ReadFile(real)
	if !strings.Contains(string(b), "apt-get clean") {
		t.Errorf("target not rewritten: %s", b)
	}
}

// TestFixScripts runs testdata/fix/*.txtar (see TestAnalyzeScripts for
// `exitcode`).
func TestFixScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:  filepath.Join("testdata", "fix"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exitcode": cmdExitCode},
	})
}

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInput runs every command on input it must refuse: each must exit
// 2 with one line on stderr naming what is at fault, print nothing on
// stdout, and write no file.
func TestBadInput(t *testing.T) {
	app, err := os.ReadFile(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{
		"app.tar":    app,
		"empty":      nil,
		"Dockerfile": []byte("FROM alpine\nRUN apk add curl\n"),
		"nofrom":     []byte("FROM\n"),
		"misspelt":   []byte("FROM alpine\nRUNN echo hi\n"),
		"bin.tar":    app[:4096],
		"sub/.keep":  nil,
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)

	for _, tc := range []struct {
		args []string
		want string // the whole stderr line
	}{
		// Missing or wrong positional arguments name what the command wants.
		{[]string{"analyze"}, "whittle: analyze wants one IMAGE, got 0 argument(s) (see whittle analyze --help)"},
		{[]string{"analyze", "a", "b"}, "whittle: analyze wants one IMAGE, got 2 argument(s) (see whittle analyze --help)"},
		{[]string{"lint"}, "whittle: lint wants one or more FILEs, or - for standard input, got 0 argument(s) (see whittle lint --help)"},
		{[]string{"fix"}, "whittle: fix wants one DOCKERFILE (or - for standard input), got 0 argument(s) (see whittle fix --help)"},
		{[]string{"squash"}, "whittle: squash wants SRC and DST, got 0 argument(s) (see whittle squash --help)"},
		{[]string{"lint", ""}, "whittle: lint: argument 1 is empty"},
		{[]string{"analyze", ""}, "whittle: analyze: argument 1 is empty"},
		{[]string{"fix", "missing"}, "whittle: missing: reading: no such file or directory"},
		{[]string{"fix", "sub"}, "whittle: sub: reading: is a directory"},
		// Numeric flags: the flag and the value, no strconv internals.
		{[]string{"analyze", "--top", "x", "app.tar"}, `whittle: --top: "x" is not a whole number`},
		{[]string{"analyze", "--jobs", "99999999999999999999", "app.tar"}, `whittle: --jobs: "99999999999999999999" is out of range`},
		{[]string{"squash", "--keep-layers", "abc", "app.tar", "out.tar"}, `whittle: --keep-layers: "abc" is not a whole number`},
		{[]string{"fix", "--write=maybe", "Dockerfile"}, `whittle: --write: "maybe" is not true or false`},
		// Outputs that cannot be written fail before the image is read.
		{[]string{"analyze", "-o", "nodir/r.json", "app.tar"}, "whittle: writing nodir/r.json: directory nodir does not exist"},
		{[]string{"analyze", "-o", "sub", "app.tar"}, "whittle: writing sub: it is a directory"},
		{[]string{"analyze", "-o", "bin.tar", "app.tar"}, "whittle: writing bin.tar: it is a tar archive, not a report; refusing to replace it"},
		{[]string{"fleet", "-o", "nodir/r.json", "app.tar"}, "whittle: writing nodir/r.json: directory nodir does not exist"},
		{[]string{"fleet", "-o", "bin.tar", "app.tar"}, "whittle: writing bin.tar: it is a tar archive, not a report; refusing to replace it"},
		{[]string{"squash", "--all", "app.tar", "nodir/out.tar"}, "whittle: writing docker-archive:nodir/out.tar: directory nodir does not exist"},
		{[]string{"squash", "--all", "app.tar", "oci:nodir/layout"}, "whittle: writing oci:nodir/layout: directory nodir does not exist"},
		{[]string{"squash", "--all", "app.tar", "oci-archive:nodir/out.tar"}, "whittle: writing oci-archive:nodir/out.tar: directory nodir does not exist"},
		{[]string{"squash", "--all", "app.tar", "app.tar/out.tar"}, "whittle: writing docker-archive:app.tar/out.tar: app.tar is not a directory"},
		// Destinations that would lose a file, a directory or push to a
		// registry by accident.
		{[]string{"squash", "--all", "app.tar", "bin.tar"}, "whittle: writing docker-archive:bin.tar: bin.tar already exists (use --force to replace it)"},
		{[]string{"squash", "--all", "app.tar", "sub"}, `whittle: parsing destination "sub": a directory that is not an OCI image layout (no index.json); whittle does not write into it (name a new directory, oci:NEWDIR, or a file, NAME.tar)`},
		{[]string{"squash", "--all", "--force", "app.tar", "oci:sub"}, "whittle: writing oci:sub: sub is not empty and holds no index.json (not an OCI layout)"},
		{[]string{"squash", "--all", "app.tar", "sub/.keep"}, "whittle: writing docker-archive:sub/.keep: sub/.keep already exists (use --force to replace it)"},
		{[]string{"squash", "--all", "app.tar", "newimage"}, `whittle: parsing destination "newimage": neither an existing path, a new *.tar file nor an image name with a registry host; write newimage.tar (a docker save archive), oci:newimage (an OCI image layout), docker://newimage (push to a registry) or docker-daemon:newimage (load into the Docker Engine)`},
		{[]string{"squash", "--all", "app.tar", "-"}, `whittle: parsing destination "-": writing an image to standard output is not supported; name a file (out.tar, oci-archive:out.tar), a layout (oci:DIR) or docker://REF`},
		{[]string{"squash", "--all", "-", "out.tar"}, `whittle: parsing image reference "-": standard input is not an image reference here (save the stream to a file first; ./- names a file called -)`},
		// Standard input for analyze: a docker save stream, not nothing.
		{[]string{"analyze", "-"}, "whittle: opening standard input: not a tar archive (empty file)"},
		{[]string{"analyze", "-", "--dockerfile", "-"}, "whittle: analyze: the image and --dockerfile cannot both be read from standard input"},
		{[]string{"fleet", "-"}, `whittle: parsing image reference "-": standard input is not an image reference here (save the stream to a file first; ./- names a file called -)`},
		// The image is named once, not once per wrapping layer.
		{[]string{"squash", "missing.tar", "out.tar"}, "whittle: opening docker-archive:missing.tar: image not found: stat missing.tar: no such file or directory"},
		// A binary file or a Dockerfile that does not build is refused by
		// lint and by fix, naming the file and the line.
		{[]string{"lint", "app.tar"}, "app.tar: not a Dockerfile: binary content (is this an image? try whittle analyze)"},
		{[]string{"fix", "app.tar"}, "whittle: app.tar: not a Dockerfile: binary content (is this an image? try whittle analyze)"},
		{[]string{"fix", "nofrom"}, "whittle: nofrom:1:1: FROM requires either one or three arguments"},
		{[]string{"fix", "misspelt"}, "whittle: misspelt:2:1: unknown instruction: RUNN (did you mean RUN?)"},
		{[]string{"fix", "empty"}, "whittle: empty:1:1: file with no instructions"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Execute(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != ExitError {
				t.Errorf("exit code %d, want %d", code, ExitError)
			}
			if got := strings.TrimSuffix(stderr.String(), "\n"); got != tc.want {
				t.Errorf("stderr:\n got %q\nwant %q", got, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout not empty: %.200q", stdout.String())
			}
			for _, p := range []string{"out.tar", "nodir", "r.json"} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s was written", p)
				}
			}
			if ents, _ := os.ReadDir("sub"); len(ents) != 1 {
				t.Errorf("sub holds %d entries, want only .keep", len(ents))
			}
		})
	}
}

// TestConfigErrors: a bad .whittle.yaml section is one line naming the file,
// the section and each bad key or value at its line in the file (comments
// and blank lines counted), without Go type names.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := "# whittle settings\n\nlint:\n  # only these\n\n  enable: [WH201]\n\n  bogus: 1\n  fail-level: [1]\n" +
		"analyze:\n  nope: 2\n  top: x\nfix:\n  enable: 3\n  x: 1\n"
	for name, b := range map[string]string{
		".whittle.yaml": cfg,
		"Dockerfile":    "FROM alpine\nRUN apk add curl\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	cfgPath := filepath.Join(dir, ".whittle.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lint", "Dockerfile"}, `whittle: ` + cfgPath + `: lint: line 8: unknown key "bogus"; line 9: cannot unmarshal !!seq into string`},
		{[]string{"analyze", "missing.tar"}, `whittle: ` + cfgPath + `: analyze: line 11: unknown key "nope"; line 12: cannot unmarshal !!str ` + "`x`" + ` into int`},
		{[]string{"fix", "Dockerfile"}, `whittle: ` + cfgPath + `: fix: line 14: cannot unmarshal !!int ` + "`3`" + ` into []string; line 15: unknown key "x"`},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Execute(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != ExitError {
				t.Errorf("exit code %d, want %d", code, ExitError)
			}
			if got := strings.TrimSuffix(stderr.String(), "\n"); got != tc.want {
				t.Errorf("stderr:\n got %q\nwant %q", got, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout not empty: %.200q", stdout.String())
			}
		})
	}
}

// TestAnalyzeConfigFlag: analyze --config FILE reads the analyze section of
// FILE, as lint --config and fix --config do, instead of .whittle.yaml.
// The example image wastes 43,002 of 231,958 bytes (0.1854).
func TestAnalyzeConfigFlag(t *testing.T) {
	app, err := os.ReadFile(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{
		"app.tar":       app,
		"loose.yaml":    []byte("analyze:\n  max-wasted-ratio: 0.5\n"),
		"strict.yaml":   []byte("analyze:\n  max-wasted-ratio: 0.1\n"),
		".whittle.yaml": []byte("analyze:\n  max-wasted-ratio: 0.01\n  min-efficiency: 0.99\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	for _, tc := range []struct {
		config string
		code   int
		line   string
	}{
		{"loose.yaml", ExitOK, "  PASS  max-wasted-ratio  wasted / size  0.1854  <= 0.5  loose.yaml"},
		{"strict.yaml", ExitFail, "  FAIL  max-wasted-ratio  wasted / size  0.1854  <= 0.1  strict.yaml"},
	} {
		t.Run(tc.config, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Execute(context.Background(), []string{"analyze", "--ci", "--config", tc.config, "app.tar"}, nil, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "\n"+tc.line+"\n") {
				t.Errorf("no line %q in:\n%s", tc.line, stdout.String())
			}
			if strings.Contains(stdout.String(), "min-efficiency") {
				t.Errorf(".whittle.yaml was read although --config names another file")
			}
		})
	}
}

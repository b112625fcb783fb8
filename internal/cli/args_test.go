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
		// Numeric flags: the flag and the value, no strconv internals.
		{[]string{"analyze", "--top", "x", "app.tar"}, `whittle: --top: "x" is not a whole number`},
		{[]string{"analyze", "--jobs", "99999999999999999999", "app.tar"}, `whittle: --jobs: "99999999999999999999" is out of range`},
		{[]string{"squash", "--keep-layers", "abc", "app.tar", "out.tar"}, `whittle: --keep-layers: "abc" is not a whole number`},
		{[]string{"fix", "--write=maybe", "Dockerfile"}, `whittle: -w, --write: "maybe" is not true or false`},
		// Outputs that cannot be written fail before the image is read.
		{[]string{"analyze", "-o", "nodir/r.json", "app.tar"}, "whittle: writing nodir/r.json: directory nodir does not exist"},
		{[]string{"analyze", "-o", "sub", "app.tar"}, "whittle: writing sub: it is a directory"},
		{[]string{"squash", "--all", "app.tar", "nodir/out.tar"}, "whittle: writing nodir/out.tar: directory nodir does not exist"},
		{[]string{"squash", "--all", "app.tar", "oci:nodir/layout"}, "whittle: writing oci:nodir/layout: directory nodir does not exist"},
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

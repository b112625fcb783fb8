package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dirEntries lists what dir holds.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// squashDirs copies the example image into a new directory and points
// $TMPDIR at an empty one.
func squashDirs(t *testing.T) (work, tmp string) {
	t.Helper()
	app, err := os.ReadFile(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	work, tmp = t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if err := os.WriteFile(filepath.Join(work, "app.tar"), app, 0o644); err != nil {
		t.Fatal(err)
	}
	return work, tmp
}

// --max-temp-bytes refuses, as squash writes, what would pass it, and
// leaves nothing: neither in $TMPDIR nor beside the destination.
func TestSquashMaxTempBytes(t *testing.T) {
	work, tmp := squashDirs(t)
	src, dst := filepath.Join(work, "app.tar"), filepath.Join(work, "small.tar")
	hint := "(to write more, raise --max-temp-bytes; see docs/limits.md)"
	for _, tc := range []struct {
		value, want string
	}{
		{"10KB", `^whittle: writing the squash spool \(the merged layers' visible content, uncompressed\): refused: whittle has written [0-9.]+ (B|KiB) to temporary files and the output, and may write at most 9\.8 KiB \(10,000 bytes; the limit on what whittle may write\) ` + regexp.QuoteMeta(hint) + "\n$"},
		// The spool and the merged layer fit; the output does not.
		{"300KB", `^whittle: writing docker-archive:` + regexp.QuoteMeta(dst) + `: writing ` + regexp.QuoteMeta(dst) + `: refused: .* may write at most 293 KiB .*` + regexp.QuoteMeta(hint) + "\n$"},
		{"0.000001%", `^whittle: writing the squash spool .*refused`},
		{"abc", `^whittle: --max-temp-bytes: "abc" is not a size`},
		{"0%", `^whittle: --max-temp-bytes: "0%" is not a share of the free space`},
		{"101%", `^whittle: --max-temp-bytes: "101%" is not a share`},
	} {
		code, _, stderr := runCLI(t, "", "squash", src, dst, "--keep-layers", "1", "--max-temp-bytes", tc.value)
		if code != ExitError || !regexp.MustCompile(tc.want).MatchString(stderr) {
			t.Errorf("--max-temp-bytes %s: exit %d, stderr %q; want 2 and %s", tc.value, code, stderr, tc.want)
		}
		if got := dirEntries(t, work); len(got) != 1 {
			t.Errorf("--max-temp-bytes %s: the destination's directory holds %v", tc.value, got)
		}
		if got := dirEntries(t, tmp); len(got) != 0 {
			t.Errorf("--max-temp-bytes %s: $TMPDIR holds %v", tc.value, got)
		}
	}
	for _, v := range []string{"0", "100%", "10MB"} {
		code, _, stderr := runCLI(t, "", "squash", src, dst, "--keep-layers", "1", "--max-temp-bytes", v, "--force")
		if code != 0 {
			t.Errorf("--max-temp-bytes %s: exit %d: %s", v, code, stderr)
		}
	}
	if got := dirEntries(t, tmp); len(got) != 0 {
		t.Errorf("$TMPDIR holds %v", got)
	}
}

// A squash interrupted by a signal says what was interrupted and that
// nothing was written, and exits 143 (SIGTERM) or 130 (SIGINT).
func TestSquashInterrupted(t *testing.T) {
	work, tmp := squashDirs(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&Interrupt{Signal: syscall.SIGTERM})
	var out, errb bytes.Buffer
	code := Execute(ctx, []string{"squash", filepath.Join(work, "app.tar"), filepath.Join(work, "small.tar"), "--keep-layers", "1"}, strings.NewReader(""), &out, &errb)
	want := "whittle: squash interrupted (SIGTERM) before reading docker-archive:" + filepath.Join(work, "app.tar") + ": nothing was written to " + filepath.Join(work, "small.tar") + "\n"
	if code != 143 || errb.String() != want {
		t.Errorf("exit %d, stderr %q; want 143 and %q", code, errb.String(), want)
	}
	if got := dirEntries(t, work); len(got) != 1 {
		t.Errorf("the destination's directory holds %v", got)
	}
	if got := dirEntries(t, tmp); len(got) != 0 {
		t.Errorf("$TMPDIR holds %v", got)
	}
}

// cancelReader reads r and, once n bytes are read, cancels with cause.
type cancelReader struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= n; c.n <= 0 && c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	return n, err
}

// `analyze -` interrupted while it reads the image: the message says so,
// exit 130 for SIGINT, and nothing is left in $TMPDIR.
func TestAnalyzeStdinInterrupted(t *testing.T) {
	work, tmp := squashDirs(t)
	app, err := os.ReadFile(filepath.Join(work, "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stdin := &cancelReader{r: bytes.NewReader(app), n: 1 << 16, cancel: func() { cancel(&Interrupt{Signal: os.Interrupt}) }}
	var out, errb bytes.Buffer
	code := Execute(ctx, []string{"analyze", "-"}, stdin, &out, &errb)
	want := "whittle: analyze interrupted (SIGINT) while reading the image from standard input\n"
	if code != 130 || errb.String() != want {
		t.Errorf("exit %d, stderr %q; want 130 and %q", code, errb.String(), want)
	}
	if got := dirEntries(t, tmp); len(got) != 0 {
		t.Errorf("$TMPDIR holds %v", got)
	}
}

// NotifyContext turns SIGTERM into a cancelled context whose cause names
// it.
func TestNotifyContext(t *testing.T) {
	ctx, stop := NotifyContext(context.Background())
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	intr, ok := context.Cause(ctx).(*Interrupt)
	if !ok || intr.Name() != "SIGTERM" || intr.ExitCode() != 143 {
		t.Fatalf("cause %v", context.Cause(ctx))
	}
	if (&Interrupt{Signal: os.Interrupt}).ExitCode() != 130 {
		t.Error("SIGINT does not exit 130")
	}
}

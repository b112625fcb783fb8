//go:build linux

package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal and returns its reading end and the
// terminal the command writes to.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("numbering the pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the terminal end: %v", err)
	}
	return m, s
}

// runOnTerminal runs whittle with stdout (or stderr) on a terminal and
// returns what the terminal received and what the other stream got.
func runOnTerminal(t *testing.T, stderrOnTTY bool, args ...string) (tty, other string, code int) {
	t.Helper()
	master, term := openPTY(t)
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once the terminal end is closed
		done <- b
	}()
	var buf bytes.Buffer
	stdout, stderr := io.Writer(term), io.Writer(&buf)
	if stderrOnTTY {
		stdout, stderr = &buf, term
	}
	code = Execute(context.Background(), args, nil, stdout, stderr)
	term.Close()
	return string(<-done), buf.String(), code
}

// TestAnalyzeOnTerminal checks colour and progress, which whittle shows
// only to a terminal.
func TestAnalyzeOnTerminal(t *testing.T) {
	app, err := filepath.Abs(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // no .whittle.yaml or .dive-ci around
	t.Setenv("NO_COLOR", "")

	out, _, code := runOnTerminal(t, false, "analyze", app)
	if code != ExitOK || !strings.Contains(out, "\x1b[1mSummary\x1b[0m") {
		t.Errorf("stdout on a terminal: exit %d, no colour:\n%.300q", code, out)
	}
	out, _, _ = runOnTerminal(t, false, "analyze", "--no-color", app)
	if strings.Contains(out, "\x1b[") || !strings.Contains(out, "Summary") {
		t.Errorf("--no-color on a terminal printed escapes:\n%.300q", out)
	}
	t.Setenv("NO_COLOR", "1")
	out, _, _ = runOnTerminal(t, false, "analyze", "--max-wasted-bytes", "1MB", app)
	if strings.Contains(out, "\x1b[") || !strings.Contains(out, "PASS (1 rule)") {
		t.Errorf("NO_COLOR on a terminal printed escapes:\n%.300q", out)
	}
	t.Setenv("NO_COLOR", "")

	// Progress goes to stderr only when stderr is a terminal, and it never
	// reaches stdout.
	bar, report, code := runOnTerminal(t, true, "analyze", app)
	if code != ExitOK || !strings.Contains(bar, "reading layers") {
		t.Errorf("stderr on a terminal: exit %d, no progress: %q", code, bar)
	}
	if strings.Contains(report, "reading layers") || strings.Contains(report, "\x1b[") {
		t.Errorf("stdout (not a terminal) got progress or colour")
	}
	var errBuf bytes.Buffer
	if code := Execute(context.Background(), []string{"analyze", app}, nil, io.Discard, &errBuf); code != ExitOK || errBuf.Len() != 0 {
		t.Errorf("stderr not a terminal: exit %d, stderr %q, want silence", code, errBuf.String())
	}
}

// TestFleetOnTerminal: fleet's colour and progress, as analyze's.
func TestFleetOnTerminal(t *testing.T) {
	app, err := filepath.Abs(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	t.Setenv("NO_COLOR", "")
	out, _, code := runOnTerminal(t, false, "fleet", app, app)
	if code != ExitOK || !strings.Contains(out, "\x1b[1mShared bases\x1b[0m") {
		t.Errorf("stdout on a terminal: exit %d, no colour:\n%.300q", code, out)
	}
	bar, report, code := runOnTerminal(t, true, "fleet", app, app)
	if code != ExitOK || !strings.Contains(bar, "reading layers") {
		t.Errorf("stderr on a terminal: exit %d, no progress: %q", code, bar)
	}
	if strings.Contains(report, "reading layers") || strings.Contains(report, "\x1b[") {
		t.Errorf("stdout (not a terminal) got progress or colour")
	}
	// --packages: the images analyzed one by one.
	bar, report, code = runOnTerminal(t, true, "fleet", "--packages", app)
	if code != ExitOK || !strings.Contains(bar, "reading layers of image 1 of 1") {
		t.Errorf("fleet --packages on a terminal: exit %d, progress %q", code, bar)
	}
	if !strings.Contains(report, "\nPackages\n") || strings.Contains(report, "incomplete") {
		t.Errorf("fleet --packages: no packages section:\n%s", report)
	}
}

package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestSpoolStdin: the spool holds the stream, is invisible on disk while
// in use (Linux), and is gone after Close or a failed copy.
func TestSpoolStdin(t *testing.T) {
	app, err := os.ReadFile(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	empty := func(when string) {
		t.Helper()
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Errorf("%s: %s holds %v", when, tmp, ents)
		}
	}

	s, err := spoolStdin(context.Background(), bytes.NewReader(app))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		// Unlinked at once: only the empty directory is there.
		ents, _ := os.ReadDir(s.dir)
		if len(ents) != 0 || !strings.HasPrefix(s.path, "/proc/self/fd/") {
			t.Errorf("spool file visible while in use: %v (read through %s)", ents, s.path)
		}
	}
	img, err := s.Ref.Image(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ls, err := img.Layers(); err != nil || len(ls) != 7 {
		t.Errorf("spooled image: %d layers, %v", len(ls), err)
	}
	// Errors name standard input.
	shown := s.hide(errors.New("opening " + s.Ref.String() + ": bad; " + s.path))
	if got, want := shown.Error(), "opening standard input: bad; standard input"; got != want {
		t.Errorf("hide: %q, want %q", got, want)
	}
	s.Close()
	empty("after Close")

	// A stream that fails, or a cancelled context, leaves nothing.
	broken := io.MultiReader(bytes.NewReader(app[:1000]), errReader{errors.New("pipe broke")})
	if _, err := spoolStdin(context.Background(), broken); err == nil || !strings.Contains(err.Error(), "pipe broke") {
		t.Errorf("broken stream: %v", err)
	}
	empty("after a broken stream")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := spoolStdin(ctx, bytes.NewReader(app)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	empty("after cancelling")

	// A nil spool hides nothing.
	var none *stdinSpool
	if err := none.hide(io.EOF); err != io.EOF {
		t.Errorf("nil spool changed %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

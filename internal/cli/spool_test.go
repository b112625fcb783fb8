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

	"github.com/whittle/whittle/pkg/spool"
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

	s, err := spoolStdin(context.Background(), bytes.NewReader(app), nil)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		// A file with no name: nothing at all in $TMPDIR, even while in
		// use, so a killed whittle leaves nothing.
		empty("while in use")
		if !strings.HasPrefix(s.path, "/proc/self/fd/") {
			t.Errorf("spool read through %s", s.path)
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
	if _, err := spoolStdin(context.Background(), broken, nil); err == nil || !strings.Contains(err.Error(), "pipe broke") {
		t.Errorf("broken stream: %v", err)
	}
	empty("after a broken stream")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := spoolStdin(ctx, bytes.NewReader(app), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	empty("after cancelling")

	// Past --max-temp-bytes: refused as it is written, naming what.
	b := spool.NewBudget(int64(len(app) / 2))
	_, err = spoolStdin(context.Background(), bytes.NewReader(app), b)
	var le *spool.LimitError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "standard input") || b.Used() > int64(len(app)/2) {
		t.Errorf("past the cap: %v (wrote %d of %d allowed)", err, b.Used(), len(app)/2)
	}
	empty("after the cap")

	// A nil spool hides nothing.
	var none *stdinSpool
	if err := none.hide(io.EOF); err != io.EOF {
		t.Errorf("nil spool changed %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/whittle/whittle/pkg/imageref"
	"github.com/whittle/whittle/pkg/spool"
)

// stdinSpool is a `docker save` stream read from standard input into a
// temporary file, which image readers need: they seek, and read the
// archive more than once.
type stdinSpool struct {
	// Ref is the spooled archive, as docker-archive:PATH.
	Ref  imageref.Ref
	f    *os.File
	dir  string
	path string // the path Ref names
}

// errStdinTerminal is the error for `analyze -` typed at a terminal.
var errStdinTerminal = errors.New("standard input is a terminal; pipe an image archive into it: docker save IMAGE | whittle analyze -")

// spoolStdin copies stdin to a temporary file (under $TMPDIR), counted
// against budget as it is written. On Linux the file has no name
// (spool.Create) and is read back through /proc/self/fd, so nothing is left
// on disk even when whittle is killed; elsewhere it is a file in a new
// temporary directory, which Close removes. The caller must Close the
// spool on every path.
func spoolStdin(ctx context.Context, stdin io.Reader, budget *spool.Budget) (_ *stdinSpool, err error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil, errStdinTerminal
	}
	s := &stdinSpool{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if f, err := spool.Create("", "whittle-stdin.tar"); err == nil {
		if alias := fmt.Sprintf("/proc/self/fd/%d", f.Fd()); sameFile(alias, f) {
			s.f, s.path = f, alias
		} else {
			f.Close()
		}
	}
	if s.f == nil {
		if s.dir, err = os.MkdirTemp("", "whittle-stdin-"); err != nil {
			return nil, fmt.Errorf("spooling standard input: %w", err)
		}
		if s.f, err = os.Create(filepath.Join(s.dir, "image.tar")); err != nil {
			return nil, fmt.Errorf("spooling standard input: %w", err)
		}
		s.path = s.f.Name()
	}
	w := budget.Writer(s.f, "standard input's spool")
	if _, err := io.CopyBuffer(&ctxWriter{ctx: ctx, w: w}, stdin, make([]byte, 1<<20)); err != nil {
		return nil, fmt.Errorf("spooling standard input: %w", pathErrCause(err))
	}
	if s.Ref, err = imageref.Parse("docker-archive:" + s.path); err != nil {
		return nil, err
	}
	return s, nil
}

// sameFile reports whether the path p opens f.
func sameFile(p string, f *os.File) bool {
	a, err := os.Stat(p)
	if err != nil {
		return false
	}
	b, err := f.Stat()
	return err == nil && os.SameFile(a, b)
}

// Close frees the spool file (and removes its directory, where it has
// one).
func (s *stdinSpool) Close() {
	if s.f != nil {
		s.f.Close()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// hide names standard input in err where it names the spool file.
func (s *stdinSpool) hide(err error) error {
	if s == nil || err == nil || !strings.Contains(err.Error(), s.path) {
		return err
	}
	msg := strings.ReplaceAll(err.Error(), s.Ref.String(), "standard input")
	msg = strings.ReplaceAll(msg, s.path, "standard input")
	return &shownError{err: err, msg: msg}
}

// shownError is err with another message; errors.Is and errors.As still
// see err.
type shownError struct {
	err error
	msg string
}

func (e *shownError) Error() string { return e.msg }
func (e *shownError) Unwrap() error { return e.err }

// ctxWriter stops a long copy when its context is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

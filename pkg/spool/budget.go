package spool

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/dustin/go-humanize"
)

// DefaultShare is the share of the free space, measured once when the
// budget is made, that DefaultBudget allows: room for whatever else the
// machine writes meanwhile.
const DefaultShare = 0.9

// Budget caps the bytes written through its writers, all of them
// together. A nil *Budget, or one with a limit of 0, caps nothing. It is
// safe for concurrent use.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes (0: no cap).
func NewBudget(limit int64) *Budget {
	if limit < 0 {
		limit = 0
	}
	return &Budget{limit: limit}
}

// DefaultBudget returns ShareBudget(DefaultShare, dirs...).
func DefaultBudget(dirs ...string) (*Budget, error) { return ShareBudget(DefaultShare, dirs...) }

// ShareBudget returns a budget of share (0 to 1) of the free space of the
// file system with the least free space among those holding dirs ("" is
// the system's temporary directory), measured now. Where free space cannot
// be measured (systems other than Linux and the BSDs) it caps nothing.
func ShareBudget(share float64, dirs ...string) (*Budget, error) {
	if share <= 0 || share > 1 {
		return nil, fmt.Errorf("a share of the free space is more than 0 and at most 1, not %g", share)
	}
	var least int64 = -1
	for _, d := range dirs {
		free, ok, err := FreeBytes(d)
		if err != nil {
			return nil, fmt.Errorf("measuring the free space of %s: %w", dirName(d), err)
		}
		if ok && (least < 0 || free < least) {
			least = free
		}
	}
	if least < 0 {
		return NewBudget(0), nil
	}
	// At least one byte: 0 would mean no cap on a full disk.
	return NewBudget(max(int64(float64(least)*share), 1)), nil
}

// Limit is the cap in bytes (0: none).
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

// Used is how many bytes the budget counts: those its writers wrote and
// those taken, less those released.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// take counts n more bytes for what, or refuses them, counting nothing,
// when they would pass the limit.
func (b *Budget) take(n int, what string) error { return b.Take(int64(n), what) }

// Writer returns a writer to w that counts what it writes against the
// budget, and refuses (a *LimitError naming what) a write that would pass
// it, before any of its bytes reach w.
func (b *Budget) Writer(w io.Writer, what string) io.Writer {
	if b == nil {
		return w
	}
	return &budgetWriter{b: b, w: w, what: what}
}

type budgetWriter struct {
	b    *Budget
	w    io.Writer
	what string
}

func (bw *budgetWriter) Write(p []byte) (int, error) {
	if err := bw.b.take(len(p), bw.what); err != nil {
		return 0, err
	}
	n, err := bw.w.Write(p)
	if n < len(p) {
		bw.b.used.Add(-int64(len(p) - n))
	}
	return n, err
}

// LimitError is a write refused because it would pass a Budget.
type LimitError struct {
	// What was being written ("the squash spool", "docker-archive:out.tar").
	What string
	// Limit of the budget; Used, bytes written through it before.
	Limit, Used int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("writing %s: refused: whittle has written %s to temporary files and the output, and may write at most %s (%s bytes; the limit on what whittle may write)",
		e.What, humanize.IBytes(uint64(e.Used)), humanize.IBytes(uint64(e.Limit)), humanize.Comma(e.Limit))
}

func dirName(d string) string {
	if d == "" {
		return "the temporary directory"
	}
	return d
}

// Take counts n more bytes for what, or refuses them (a *LimitError),
// counting nothing, when they would pass the limit: for writers that
// count their own bytes, such as a file that is given back with Release.
func (b *Budget) Take(n int64, what string) error {
	if b == nil {
		return nil
	}
	used := b.used.Add(n)
	if b.limit > 0 && used > b.limit {
		b.used.Add(-n)
		return &LimitError{What: what, Limit: b.limit, Used: used - n}
	}
	return nil
}

// TakeWithin is Take for writes that may be given up: it refuses n bytes
// that would bring what the budget counts past share (0 to 1) of its
// limit, leaving the rest to the writes that may not.
func (b *Budget) TakeWithin(n int64, share float64, what string) error {
	if b == nil {
		return nil
	}
	used := b.used.Add(n)
	if b.limit > 0 && float64(used) > share*float64(b.limit) {
		b.used.Add(-n)
		return &LimitError{What: what, Limit: int64(share * float64(b.limit)), Used: used - n}
	}
	return nil
}

// Release gives back n bytes taken before, once what they held is gone
// from the disk (a temporary file closed).
func (b *Budget) Release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.used.Add(-n)
}

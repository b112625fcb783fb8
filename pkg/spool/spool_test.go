package spool

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestBudget(t *testing.T) {
	b := NewBudget(10)
	var x, y bytes.Buffer
	wx, wy := b.Writer(&x, "x"), b.Writer(&y, "y")
	if _, err := wx.Write([]byte("123456")); err != nil {
		t.Fatal(err)
	}
	if _, err := wy.Write([]byte("1234")); err != nil {
		t.Fatal(err)
	}
	// One more byte, through either writer, passes the cap: refused
	// before anything reaches the writer.
	n, err := wy.Write([]byte("5"))
	var le *LimitError
	if !errors.As(err, &le) || n != 0 || le.What != "y" || le.Limit != 10 || le.Used != 10 {
		t.Fatalf("write past the cap: n %d, err %v", n, err)
	}
	if x.Len()+y.Len() != 10 || b.Used() != 10 {
		t.Fatalf("wrote %d+%d bytes, counted %d; want 10", x.Len(), y.Len(), b.Used())
	}
	// No cap: a nil budget and a limit of 0.
	for _, nb := range []*Budget{nil, NewBudget(0)} {
		var z bytes.Buffer
		if _, err := io.Copy(nb.Writer(&z, "z"), bytes.NewReader(make([]byte, 1<<20))); err != nil || z.Len() != 1<<20 {
			t.Fatalf("no cap: %d bytes, %v", z.Len(), err)
		}
	}
}

func TestDefaultBudget(t *testing.T) {
	dir := t.TempDir()
	free, ok, err := FreeBytes(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DefaultBudget(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		if b.Limit() != 0 {
			t.Fatalf("no free space measured, yet a cap of %d", b.Limit())
		}
		return
	}
	// Free space moves while other work runs: 1% either way.
	want := float64(free) * DefaultShare
	if got := float64(b.Limit()); got < want*0.99 || got > want*1.01 {
		t.Fatalf("default cap %d, want about 90%% of %d free bytes", b.Limit(), free)
	}
	if _, err := DefaultBudget(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing directory measured")
	}
}

func TestCreateLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(dir, "spool")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("content")); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("the spool file has a name: %v", ents)
	}
	buf := make([]byte, 7)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "content" {
		t.Fatalf("read back %q, %v", buf, err)
	}
	f.Close()
}

// deadPID returns a process id that no process has.
func deadPID(t *testing.T) int {
	t.Helper()
	for pid := 4194000; pid > 1000; pid -= 997 {
		if !processAlive(pid) {
			return pid
		}
	}
	t.Fatal("no free process id")
	return 0
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	dead := deadPID(t)
	staleFile := filepath.Join(dir, ".out.tar.whittle-tmp-"+strconv.Itoa(dead)+"-123")
	staleDir := filepath.Join(dir, ".layout.whittle-tmp-"+strconv.Itoa(dead)+"-456")
	alive := filepath.Join(dir, ".out.tar.whittle-tmp-1-789") // pid 1 always runs
	other := filepath.Join(dir, ".out.tar.tmp-"+strconv.Itoa(dead))
	for _, p := range []string{staleFile, alive, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(staleDir, "blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	// This process's own, locked: kept whatever its name says.
	mine, err := CreateBeside(filepath.Join(dir, "mine.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	d, err := MkdirBeside(filepath.Join(dir, "mine"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	if _, ok := IsTemp(filepath.Base(mine.Name())); !ok {
		t.Fatalf("%s is not recognised", mine.Name())
	}
	// A file locked by a live holder under a dead process id (another
	// process id namespace sharing the directory): kept.
	lockedDead := filepath.Join(dir, ".held.whittle-tmp-"+strconv.Itoa(dead)+"-1")
	if err := os.WriteFile(lockedDead, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	held, err := os.Open(lockedDead)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	lockFile(held)

	removed, err := RemoveStale(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Errorf("removed %v, want the two of process %d", removed, dead)
	}
	for _, p := range []string{staleFile, staleDir} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there", p)
		}
	}
	for _, p := range []string{alive, other, mine.Name(), d.Path, lockedDead} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
	if r, err := RemoveStale(filepath.Join(dir, "missing")); err != nil || r != nil {
		t.Errorf("missing dir: %v %v", r, err)
	}
}

// TakeWithin refuses past its share of the limit, leaving the rest to
// Take; Release gives bytes back; no limit caps nothing.
func TestBudgetTakeWithin(t *testing.T) {
	b := NewBudget(100)
	if err := b.TakeWithin(50, 0.5, "ahead"); err != nil {
		t.Fatal(err)
	}
	var le *LimitError
	if err := b.TakeWithin(1, 0.5, "ahead"); !errors.As(err, &le) || le.What != "ahead" || le.Limit != 50 {
		t.Fatalf("past the share: %v", err)
	}
	if err := b.Take(50, "spool"); err != nil {
		t.Fatalf("the rest is Take's: %v", err)
	}
	if err := b.Take(1, "spool"); err == nil {
		t.Fatal("past the limit")
	}
	b.Release(50)
	if b.Used() != 50 {
		t.Fatalf("used %d after Release", b.Used())
	}
	if err := NewBudget(0).TakeWithin(1<<40, 0.5, "x"); err != nil {
		t.Fatal(err)
	}
	var nb *Budget
	if err := nb.TakeWithin(1, 0.5, "x"); err != nil {
		t.Fatal(err)
	}
	nb.Release(1)
}

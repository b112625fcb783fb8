package imageref

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/validate"
	"golang.org/x/sys/unix"

	"github.com/whittle/whittle/pkg/spool"
)

// deadPID returns a process id that no process has.
func deadPID(t *testing.T) int {
	t.Helper()
	for pid := 4194000; pid > 1000; pid -= 997 {
		if errors.Is(unix.Kill(pid, 0), unix.ESRCH) {
			return pid
		}
	}
	t.Fatal("no free process id")
	return 0
}

// What a killed write left beside its destination (a temporary file, a
// layout assembled beside its place, a blob of a layout being added to)
// is removed by the next write there; what a live process writes is not.
func TestWriteRemovesStale(t *testing.T) {
	dir := t.TempDir()
	dead := strconv.Itoa(deadPID(t))
	stale := []string{
		filepath.Join(dir, ".out.tar.whittle-tmp-"+dead+"-1"),
		filepath.Join(dir, ".other.tar.whittle-tmp-"+dead+"-2"),
	}
	staleDir := filepath.Join(dir, ".lay.whittle-tmp-"+dead+"-3")
	live := filepath.Join(dir, ".x.tar.whittle-tmp-1-4") // pid 1 runs
	for _, p := range append(stale, live) {
		if err := os.WriteFile(p, make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(staleDir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := Parse("docker-archive:" + filepath.Join(dir, "out.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(context.Background(), smallImage(t, 2, "")); err != nil {
		t.Fatal(err)
	}
	for _, p := range append(stale, staleDir) {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there", filepath.Base(p))
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live process's file was removed: %v", err)
	}

	// A layout: its blobs directory is cleaned when an image is added.
	lay := filepath.Join(dir, "lay")
	lr, err := Parse("oci:" + lay + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := lr.Write(context.Background(), smallImage(t, 1, "")); err != nil {
		t.Fatal(err)
	}
	staleBlob := filepath.Join(lay, "blobs", "sha256", ".0123abcd.whittle-tmp-"+dead+"-5")
	if err := os.WriteFile(staleBlob, []byte("half a blob"), 0o644); err != nil {
		t.Fatal(err)
	}
	lr2, _ := Parse("oci:" + lay + ":v2")
	if err := lr2.Write(context.Background(), smallImage(t, 2, "")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(staleBlob); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale blob %s is still there", filepath.Base(staleBlob))
	}
	for _, tag := range []string{"v1", "v2"} {
		rr, _ := Parse("oci:" + lay + ":" + tag)
		img, err := rr.Image(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Errorf("%s: %v", tag, err)
		}
	}
}

// A new layout is assembled beside its place and renamed into it: until
// the rename there is nothing at the destination (a killed run leaves no
// layout that lists no image), and a failure leaves nothing at all.
func TestNewLayoutAssembledBeside(t *testing.T) {
	for _, empty := range []bool{false, true} {
		dir := t.TempDir()
		lay := filepath.Join(dir, "lay")
		if empty {
			if err := os.Mkdir(lay, 0o750); err != nil {
				t.Fatal(err)
			}
		}
		r, _ := Parse("oci:" + lay)
		var sawTemp string
		check := withBeforeRename(func(tmp string) error {
			if filepath.Dir(tmp) != dir {
				return nil // a blob or index.json inside the new layout
			}
			sawTemp = tmp
			if _, ok := spool.IsTemp(filepath.Base(tmp)); !ok {
				t.Errorf("assembled in %s, not beside %s with a recognisable name", tmp, lay)
			}
			ents, _ := os.ReadDir(lay)
			if len(ents) > 0 {
				t.Errorf("the destination holds %d entries before the rename", len(ents))
			}
			return errors.New("simulated failure")
		})
		if err := r.Write(context.Background(), smallImage(t, 1, ""), check); err == nil {
			t.Fatal("the failure was not reported")
		}
		if sawTemp == "" {
			t.Fatal("the hook did not run")
		}
		noTempFiles(t, dir)
		if _, err := os.Stat(sawTemp); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after a failure", sawTemp)
		}
		if err := r.Write(context.Background(), smallImage(t, 1, "")); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(lay)
		if err != nil {
			t.Fatal(err)
		}
		if want := os.FileMode(0o755); empty {
			want = 0o750
			if fi.Mode().Perm() != want {
				t.Errorf("mode %v, want the empty directory's %v", fi.Mode().Perm(), want)
			}
		}
		img, err := r.Image(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Error(err)
		}
		noTempFiles(t, dir)
	}
}

// The budget caps what Write writes to files, as it writes; past it,
// nothing is left.
func TestWriteBudget(t *testing.T) {
	img := smallImage(t, 3, "")
	for _, kind := range []string{"docker-archive:%s/out.tar", "oci-archive:%s/out.tar", "oci:%s/lay"} {
		dir := t.TempDir()
		r, err := Parse(fmt.Sprintf(kind, dir))
		if err != nil {
			t.Fatal(err)
		}
		b := spool.NewBudget(1000)
		err = r.Write(context.Background(), img, WithBudget(b))
		var le *spool.LimitError
		if !errors.As(err, &le) || le.Limit != 1000 {
			t.Fatalf("%s: %v, want a *spool.LimitError", kind, err)
		}
		if b.Used() > 1000 {
			t.Errorf("%s: wrote %d bytes past a cap of 1000", kind, b.Used())
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s: left %v", kind, ents)
		}
		// Room for it: counted.
		b = spool.NewBudget(0)
		if err := r.Write(context.Background(), img, WithBudget(b)); err != nil {
			t.Fatal(err)
		}
		if b.Used() < 1000 {
			t.Errorf("%s: counted %d bytes", kind, b.Used())
		}
	}
}

// The Docker Engine's image is spooled once into a file with no name in
// $TMPDIR, counted against the budget.
func TestDaemonSpool(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	fd := newFakeDaemon()
	img := randomImage(t, 3)
	fd.add(t, "app:v1", img)
	b := spool.NewBudget(0)
	got, err := openRef(t, "docker-daemon:app:v1", WithDaemonClient(fd), WithBudget(b))
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, img)
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("$TMPDIR holds %v while the image is in use", ents)
	}
	if b.Used() == 0 || len(fd.saves) != 1 {
		t.Errorf("spooled %d bytes in %d saves, want some in one", b.Used(), len(fd.saves))
	}
	// Past the budget: refused as it spools (when the image is first
	// read: opening it only inspects it).
	small, err := openRef(t, "docker-daemon:app:v1", WithDaemonClient(fd), WithBudget(spool.NewBudget(100)))
	if err == nil {
		_, err = small.Manifest()
	}
	var le *spool.LimitError
	if !errors.As(err, &le) {
		t.Errorf("past the budget: %v", err)
	}
}

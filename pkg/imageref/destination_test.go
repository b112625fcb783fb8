package imageref

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCheckWrite: what Write would refuse is refused before any work, with
// Write's wording.
func TestCheckWrite(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	img := smallImage(t, 1, "")
	for _, s := range []string{"oci:lay:v1", "docker-archive:old.tar", "oci-archive:old-oci.tar"} {
		if err := write(t, s, img); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"plain", "emptydir", "dir.tar"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile("plain/notes.txt", []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("lay", "laylink"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref     string
		opts    []Option
		wantErr string // "" when the write is allowed
	}{
		{ref: "new.tar"},
		{ref: "oci-archive:new.tar:v1"},
		{ref: "oci:newdir"},
		{ref: "oci:emptydir"},
		{ref: "oci:lay:v2"},
		{ref: "oci:lay", opts: []Option{WithTag("v2")}},
		{ref: "old.tar", opts: []Option{WithReplace(true)}},
		{ref: "oci:lay", opts: []Option{WithReplace(true)}},
		{ref: "oci:lay:v1", opts: []Option{WithReplace(true)}},
		{ref: "docker://registry.example.com/app:1"},
		{ref: "docker-daemon:app:1"},
		{ref: "old.tar", wantErr: "writing docker-archive:old.tar: old.tar already exists"},
		{ref: "oci-archive:old-oci.tar", wantErr: "writing oci-archive:old-oci.tar: old-oci.tar already exists"},
		{ref: "oci:lay", wantErr: "writing oci:lay: lay already exists"},
		{ref: "oci:laylink", wantErr: "writing oci:laylink: laylink already exists"},
		{ref: "oci:lay:v1", wantErr: `writing oci:lay:v1: lay already holds an image tagged "v1"`},
		{ref: "oci:lay", opts: []Option{WithTag("v1")}, wantErr: `writing oci:lay: lay already holds an image tagged "v1"`},
		{ref: "oci:plain", wantErr: "writing oci:plain: plain is not empty and holds no index.json (not an OCI layout)"},
		{ref: "oci:plain", opts: []Option{WithReplace(true)}, wantErr: "writing oci:plain: plain is not empty and holds no index.json (not an OCI layout)"},
		{ref: "oci:old.tar", opts: []Option{WithReplace(true)}, wantErr: "writing oci:old.tar: old.tar exists and is not a directory"},
		{ref: "docker-archive:dir.tar", opts: []Option{WithReplace(true)}, wantErr: "writing docker-archive:dir.tar: dir.tar is a directory, not a file"},
		{ref: "missing/out.tar", wantErr: "writing docker-archive:missing/out.tar: directory missing does not exist"},
		{ref: "oci:missing/out", wantErr: "writing oci:missing/out: directory missing does not exist"},
		{ref: "oci-archive:old.tar/out.tar", wantErr: "writing oci-archive:old.tar/out.tar: old.tar is not a directory"},
		{ref: "docker-archive:out.tar:app:x", opts: []Option{WithTag("app:y")}, wantErr: `writing docker-archive:out.tar:app:x: the reference names "app:x" but the tag option says "app:y"`},
		{ref: "docker-archive:out.tar", opts: []Option{WithTag("Bad:Tag")}, wantErr: "writing docker-archive:out.tar: parsing tag: "},
		{ref: "docker-daemon:app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", wantErr: "the Docker Engine needs a tag to load an image under, not a digest"},
		{ref: "out.tar", opts: []Option{WithTag("a b")}, wantErr: `invalid tag "a b"`},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			r, err := ParseDestination(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			err = r.CheckWrite(context.Background(), tt.opts...)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("CheckWrite: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckWrite: %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(tt.wantErr, "already") != errors.Is(err, ErrExists) {
				t.Errorf("errors.Is(%v, ErrExists) = %v", err, errors.Is(err, ErrExists))
			}
		})
	}
	// Nothing was left by the checks.
	for _, d := range []string{".", "lay", "emptydir"} {
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("%s left in %s", e.Name(), d)
			}
		}
	}
}

func TestCheckWriteReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"docker-archive:" + dir + "/out.tar", "oci:" + dir + "/out", "oci-archive:" + dir + "/out.tar"} {
		r, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		err = r.CheckWrite(context.Background())
		want := "writing " + s + ": directory " + dir + " is not writable (permission denied)"
		if err == nil || err.Error() != want || !errors.Is(err, fs.ErrPermission) {
			t.Errorf("CheckWrite: %v, want %q", err, want)
		}
		if err := r.Write(context.Background(), smallImage(t, 1, "")); err == nil || strings.Contains(err.Error(), "whittle-tmp-") {
			t.Errorf("Write: %v, want an error naming no temporary file", err)
		}
	}
}

// TestWriteErrorsNameTheDestination: an error about the temporary file is
// reported under the destination's name.
func TestWriteErrorsNameTheDestination(t *testing.T) {
	img := smallImage(t, 1, "")
	for _, s := range []string{"docker-archive:out.tar", "oci-archive:out.tar", "oci:out", "oci:out:v1"} {
		t.Run(s, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			opts := []Option{WithReplace(true), withBeforeRename(func(tmp string) error {
				return &fs.PathError{Op: "write", Path: tmp, Err: syscall.ENOSPC}
			})}
			if strings.HasPrefix(s, "oci:") {
				// An existing layout: replaced whole (no tag) or by entry.
				if err := write(t, s, img); err != nil {
					t.Fatal(err)
				}
			}
			err := write(t, s, img, opts...)
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("error %v, want ENOSPC", err)
			}
			if strings.Contains(err.Error(), "whittle-tmp-") || !strings.Contains(err.Error(), "out") {
				t.Errorf("error %q names a temporary file", err)
			}
			noTempFiles(t, dir)
		})
	}
}

// TestReplaceLayoutThroughSymlink: replacing a layout named by a symbolic
// link replaces the directory it names and keeps the link.
func TestReplaceLayoutThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real, link := filepath.Join(dir, "real"), filepath.Join(dir, "link")
	a, b := smallImage(t, 1, ""), smallImage(t, 2, "")
	if err := write(t, "oci:"+real+":v1", a); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(real, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", link); err != nil {
		t.Fatal(err)
	}
	if err := write(t, "oci:"+link, b, WithReplace(true)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is gone: %v", err)
	}
	if fi, err := os.Stat(real); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("the layout's mode is not kept: %v %v", fi.Mode(), err)
	}
	got, err := openRef(t, "oci:"+real)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, b)
	if entries := layoutEntries(t, real); len(entries) != 1 {
		t.Errorf("entries %v, want the new image alone", entries)
	}
	noTempFiles(t, dir)
}

// An archive written through a symbolic link replaces the file the link
// names; the link stays.
func TestReplaceArchiveThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real, link := filepath.Join(dir, "real.tar"), filepath.Join(dir, "link.tar")
	a, b := randomImage(t, 2), randomImage(t, 3)
	if err := write(t, "docker-archive:"+real, a); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.tar", link); err != nil {
		t.Fatal(err)
	}
	if err := write(t, "docker-archive:"+link, b); err == nil {
		t.Fatal("an existing archive replaced without WithReplace")
	}
	if err := write(t, "docker-archive:"+link, b, WithReplace(true)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is gone: %v", err)
	}
	got, err := openRef(t, "docker-archive:"+real)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, b)
	noTempFiles(t, dir)
}

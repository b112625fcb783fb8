package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Create makes a file for reading and writing in dir ("" is the system's
// temporary directory) that has no name in it: on Linux it is made without
// one (O_TMPFILE), elsewhere it is removed as soon as it is made. Nothing
// is left in dir however the process ends; closing the file frees its
// space. Its Name is dir/what, for messages only.
func Create(dir, what string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	if f, ok := createUnnamed(dir, what); ok {
		return f, nil
	}
	f, err := os.CreateTemp(dir, ".whittle-spool-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("unlinking a spool file: %w", err)
	}
	return f, nil
}

// tempTag marks the temporary names of CreateBeside and MkdirBeside:
// .BASE.whittle-tmp-PID-N.
const tempTag = ".whittle-tmp-"

var tempName = regexp.MustCompile(`^\..+\.whittle-tmp-([0-9]+)-[0-9]+$`)

// IsTemp reports whether name (a base name) is one CreateBeside or
// MkdirBeside gives, and the process id it holds.
func IsTemp(name string) (pid int, ok bool) {
	m := tempName.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	pid, err := strconv.Atoi(m[1])
	return pid, err == nil
}

func besidePattern(dst string) (dir, pattern string) {
	dst = filepath.Clean(dst)
	return filepath.Dir(dst), "." + filepath.Base(dst) + tempTag + strconv.Itoa(os.Getpid()) + "-*"
}

// CreateBeside creates the temporary file in which dst is written before
// it is renamed into place: in dst's directory, named
// .BASE.whittle-tmp-PID-N, and locked (flock) while it is open, so that
// RemoveStale in a later run tells it from a leftover.
func CreateBeside(dst string) (*os.File, error) {
	dir, pattern := besidePattern(dst)
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	lockFile(f)
	return f, nil
}

// Dir is a temporary directory made by MkdirBeside.
type Dir struct {
	Path string
	lock *os.File
}

// MkdirBeside creates the temporary directory in which dst is assembled
// before it is renamed into place, named and locked as CreateBeside's
// files. Release unlocks it (it does not remove it).
func MkdirBeside(dst string) (*Dir, error) {
	dir, pattern := besidePattern(dst)
	p, err := os.MkdirTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	d := &Dir{Path: p}
	if f, err := os.Open(p); err == nil {
		lockFile(f)
		d.lock = f
	}
	return d, nil
}

// Release unlocks the directory.
func (d *Dir) Release() {
	if d != nil && d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
}

// RemoveStale removes from dir the temporary files and directories of
// CreateBeside and MkdirBeside that a process which no longer runs left
// (killed before it could remove them): those whose process id is not a
// live process and that no process holds locked. It returns their paths,
// and what it could not remove as an error (it removes the others). A
// missing dir holds nothing.
func RemoveStale(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range ents {
		name := e.Name()
		if !strings.Contains(name, tempTag) {
			continue
		}
		pid, ok := IsTemp(name)
		if !ok || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		p := filepath.Join(dir, name)
		if locked(p) {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, fmt.Errorf("removing %s, left by process %d: %w", p, pid, err))
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

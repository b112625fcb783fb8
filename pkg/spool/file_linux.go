package spool

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// createUnnamed makes a file with no name in dir (O_TMPFILE); ok is false
// where the file system cannot.
func createUnnamed(dir, what string) (*os.File, bool) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, false
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir, what)), true
}

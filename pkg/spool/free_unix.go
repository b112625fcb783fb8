//go:build linux || darwin || freebsd || netbsd || openbsd

package spool

import (
	"os"

	"golang.org/x/sys/unix"
)

// FreeBytes is the free space, for an unprivileged user, of the file
// system holding dir ("" is the system's temporary directory); ok is false
// where it cannot be measured.
func FreeBytes(dir string) (free int64, ok bool, err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false, err
	}
	return int64(st.Bavail) * int64(st.Bsize), true, nil //nolint:unconvert // field types differ by system
}

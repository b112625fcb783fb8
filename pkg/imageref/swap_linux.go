package imageref

import (
	"errors"

	"golang.org/x/sys/unix"
)

// swapDirs exchanges the directories a and b in one step (renameat2 with
// RENAME_EXCHANGE), so b is never missing; where the file system cannot,
// it falls back to two renames.
func swapDirs(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		return swapDirsByRename(a, b)
	}
	return err
}

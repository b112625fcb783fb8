//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package spool

// FreeBytes cannot measure free space on this system: ok is false.
func FreeBytes(dir string) (free int64, ok bool, err error) { return 0, false, nil }

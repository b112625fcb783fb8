//go:build !linux

package imageref

// swapDirs exchanges the directories a and b with two renames.
func swapDirs(a, b string) error { return swapDirsByRename(a, b) }

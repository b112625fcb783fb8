// Package packages attributes every visible byte of an image to the OS
// package that owns it, or to "no package", grouped by top directory.
//
// It reads the package databases of the final filesystem, captured by
// pkg/account while the layers stream (each layer is still read once):
// dpkg (/var/lib/dpkg/status with info/*.list, diversions, and the
// status.d directory of distroless images with its .md5sums lists) and
// apk (/lib/apk/db/installed). An rpm database is found and reported as
// not supported, never read into a wrong figure. Attribute then assigns
// each visible regular file, a hard-linked file once, to exactly one
// owner, so that the package bytes and the no-package bytes add up to the
// image's visible_bytes. docs/packages.md states every rule.
//
//	rep, err := account.Analyze(ctx, img, packages.AnalyzeOptions()...)
//	...
//	res, err := packages.Attribute(rep)
//
// The parsers are exported for callers that read databases by other
// means; they never fail: what they cannot read they skip.
package packages

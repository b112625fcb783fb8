package cli

import "runtime/debug"

// toolVersion returns whittle's version as the Go toolchain stamped it in
// the binary (the module version, for `go install ...@v1.2.3`), or "" when
// the binary carries none: a "(devel)" build, a test binary.
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return ""
	}
	return bi.Main.Version
}

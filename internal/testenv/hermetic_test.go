//go:build !shared

package testenv

import (
	"strings"
	"testing"
)

// TestSharedDirHermetic: outside the shared tier no test may read the
// shared data, even when it is there.
func TestSharedDirHermetic(t *testing.T) {
	t.Setenv("WHITTLE_SHARED", t.TempDir())
	r := &recorder{TB: t}
	if d := SharedDir(r); d != "" || !strings.Contains(r.failure, "-tags shared") {
		t.Errorf("SharedDir = %q, failure %q; want a failure naming -tags shared", d, r.failure)
	}
}

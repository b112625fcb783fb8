package testenv

import (
	"fmt"
	"testing"
)

// recorder is a testing.TB whose Fatal records the failure and returns, so
// that a test can check how SharedDir fails.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Fatal(args ...any)            { r.failure = fmt.Sprint(args...) }
func (r *recorder) Fatalf(f string, args ...any) { r.failure = fmt.Sprintf(f, args...) }

package fix

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// FuzzFix checks on any input, in both modes, that Fix never panics and, for input that
// parses, that the output parses, keeps every parsing RUN parsing, and is
// a fixed point.
func FuzzFix(f *testing.F) {
	ins, _ := filepath.Glob("testdata/golden/*.in")
	for _, in := range ins {
		if b, err := os.ReadFile(in); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("FROM a\nRUN apt-get update\nRUN apt-get install -y x\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		// Odd lengths take the unsafe repairs too.
		opt := WithUnsafeFixes(len(src)%2 == 1)
		before, err := dockerfile.Parse("in", src)
		res, ferr := Fix(src, opt)
		if err != nil {
			if ferr == nil {
				t.Fatalf("Fix accepted input the model rejects: %v", err)
			}
			return
		}
		if ferr != nil {
			t.Fatalf("Fix failed on parsing input: %v", ferr)
		}
		after, err := dockerfile.Parse("out", res.Output)
		if err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, res.Output)
		}
		if scriptErrors(after) > scriptErrors(before) {
			t.Fatalf("output has more RUNs that do not parse:\n%s", res.Output)
		}
		again, err := Fix(res.Output, opt)
		if err != nil || !bytes.Equal(again.Output, res.Output) {
			t.Fatalf("not idempotent:\n%s\n---\n%s", res.Output, again.Output)
		}
	})
}

package fix

import (
	"fmt"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/testenv"
)

// fixWork repairs src and returns the bytes allocated.
func fixWork(t *testing.T, src string) float64 {
	t.Helper()
	var err error
	var res *Result
	b := testenv.AllocBytes(func() { res, err = Fix([]byte(src)) })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) == 0 {
		t.Fatal("nothing repaired")
	}
	return b
}

// Repairing costs work in the size of the file: in the number of
// instructions and in the number of commands of one RUN, with a repair
// for each. (A chain of stages is linted as TestLintLinearInStageChain
// shows; fix lints it once a round.)
func TestFixLinear(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		src  func(n int) string
	}{
		{"RUN lines that download and extract", 8, func(n int) string {
			var b strings.Builder
			b.WriteString("FROM debian:12\n")
			for i := range n {
				fmt.Fprintf(&b, "RUN curl -fsSL -o /tmp/f%d.tgz https://example.com/%d.tgz && tar -xzf /tmp/f%d.tgz -C /opt && pip install p%d\n", i, i, i, i)
			}
			return b.String()
		}},
		{"one RUN of chained commands", 8, func(n int) string {
			var b strings.Builder
			b.WriteString("FROM debian:12\nRUN apt-get update")
			for i := range n {
				fmt.Fprintf(&b, " \\\n && curl -o /tmp/x%d.tgz https://example.com/%d && tar xzf /tmp/x%d.tgz -C /opt && pip install p%d", i, i, i, i)
			}
			b.WriteString("\n")
			return b.String()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testenv.Linear(t, "fix: "+tc.name, tc.n, func(n int) float64 { return fixWork(t, tc.src(n)) })
		})
	}
}

package fix

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

var update = flag.Bool("update", false, "rewrite the golden .out and .log files")

// TestGolden runs Fix over testdata/golden/*.in and compares the output
// with NAME.out and the change summary with NAME.log. Each case is also
// checked for the guarantees: the output parses, every RUN that parsed
// still parses, and a second Fix changes nothing.
func TestGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/golden/*.in")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var opts []Option
			if first, _, _ := bytes.Cut(src, []byte("\n")); bytes.HasPrefix(first, []byte("# fix-options: ")) {
				opts = parseTestOptions(t, string(bytes.TrimPrefix(first, []byte("# fix-options: "))))
			}
			res, err := Fix(src, opts...)
			if err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			for _, c := range res.Changes {
				fmt.Fprintf(&log, "%d: %s %s\n", c.Line, c.Rule, c.Message)
			}
			outPath := strings.TrimSuffix(in, ".in") + ".out"
			logPath := strings.TrimSuffix(in, ".in") + ".log"
			if *update {
				if err := os.WriteFile(outPath, res.Output, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(logPath, []byte(log.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(outPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(res.Output, want) {
				t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", outPath, res.Output, want)
			}
			wantLog, err := os.ReadFile(logPath)
			if err != nil {
				t.Fatal(err)
			}
			if log.String() != string(wantLog) {
				t.Errorf("changes differ from %s:\n--- got\n%s--- want\n%s", logPath, log.String(), wantLog)
			}
			if bytes.Equal(src, res.Output) != !res.Changed() {
				t.Errorf("Changed() = %v but output equal to input = %v", res.Changed(), bytes.Equal(src, res.Output))
			}
			checkGuarantees(t, src, res.Output, opts...)
		})
	}
}

// checkGuarantees checks what Fix promises for any input that parses.
func checkGuarantees(t *testing.T, src, out []byte, opts ...Option) {
	t.Helper()
	before, err := dockerfile.Parse("in", src)
	if err != nil {
		t.Fatalf("input does not parse: %v", err)
	}
	after, err := dockerfile.Parse("out", out)
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	if got, want := scriptErrors(after), scriptErrors(before); got > want {
		t.Errorf("output has %d RUNs whose shell does not parse, input %d:\n%s", got, want, out)
	}
	again, err := Fix(out, opts...)
	if err != nil {
		t.Fatalf("second fix: %v", err)
	}
	if !bytes.Equal(again.Output, out) || again.Changed() {
		t.Errorf("not idempotent; second pass changed %v:\n%s", again.Changes, again.Output)
	}
	if d := directives(before); d != directives(after) {
		t.Errorf("directives changed: %q -> %q", d, directives(after))
	}
}

func scriptErrors(f *dockerfile.File) int {
	n := 0
	for in := range f.All() {
		if in.Run != nil && in.Run.Script != nil && in.Run.Script.Err != nil {
			n++
		}
	}
	return n
}

func directives(f *dockerfile.File) string {
	var b strings.Builder
	for _, d := range f.Directives {
		b.WriteString(string(f.Src[d.Range.Start.Offset:d.Range.End.Offset]) + "\n")
	}
	return b.String()
}

// parseTestOptions reads "rule=WH201,WH203 skip=WH202 base=alpine:3.20".
func parseTestOptions(t *testing.T, s string) []Option {
	var opts []Option
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "rule":
			opts = append(opts, WithRules(strings.Split(v, ",")...))
		case "skip":
			opts = append(opts, WithSkip(strings.Split(v, ",")...))
		case "base":
			opts = append(opts, WithBaseImage(v))
		case "unsafe":
			opts = append(opts, WithUnsafeFixes(true))
		default:
			t.Fatalf("unknown test option %q", k)
		}
	}
	return opts
}

//go:build shared && unix

package fix

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/rules"
)

func benchCorpus(b testing.TB) [][]byte {
	files, _ := filepath.Glob(filepath.Join(corpusDir(b), "corpus", "*", "*"))
	var srcs [][]byte
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := dockerfile.Parse(f, src); err == nil {
			srcs = append(srcs, src)
		}
	}
	if len(srcs) == 0 {
		b.Fatal("no corpus")
	}
	return srcs
}

// BenchmarkLintCorpus is the baseline for BenchmarkFixCorpus: one parse
// and one lint of every corpus file, what any repair needs at least.
func BenchmarkLintCorpus(b *testing.B) {
	srcs := benchCorpus(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, src := range srcs {
			f, err := dockerfile.Parse("Dockerfile", src)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := rules.Lint(context.Background(), f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkFixCorpus repairs every corpus file.
func BenchmarkFixCorpus(b *testing.B) {
	srcs := benchCorpus(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, src := range srcs {
			if _, err := Fix(src); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestFixWithinTwiceLint holds fix's cost over the corpus to at most twice
// lint's, measured in the same run: each pass over every corpus file is
// measured five times, lint and fix in turn, and the least CPU time
// (user + system, of this process) of each is compared: the least is the
// one the machine's other work disturbed least, and CPU time does not
// count the time spent waiting for a core on a loaded machine. Lint's pass
// is a parse and a lint of each file, what any repair needs at least.
func TestFixWithinTwiceLint(t *testing.T) {
	srcs := benchCorpus(t)
	if len(srcs) < 119 {
		t.Fatalf("%d corpus files parse, want 119", len(srcs))
	}
	lint := func() {
		for _, src := range srcs {
			f, err := dockerfile.Parse("Dockerfile", src)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rules.Lint(context.Background(), f); err != nil {
				t.Fatal(err)
			}
		}
	}
	changed := 0
	fix := func() {
		changed = 0
		for _, src := range srcs {
			res, err := Fix(src)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Changes) > 0 {
				changed++
			}
		}
	}
	type cost struct{ cpu, wall time.Duration }
	measure := func(fn func()) cost {
		runtime.GC() // the collection of the other pass's garbage is not this pass's cost
		c0, w0 := cpuTime(t), time.Now()
		fn()
		return cost{cpuTime(t) - c0, time.Since(w0)}
	}
	lint() // warm up: the rules' tables, the parser's pools
	fix()
	best := func(a, b cost) cost { return cost{min(a.cpu, b.cpu), min(a.wall, b.wall)} }
	l, f := cost{1 << 62, 1 << 62}, cost{1 << 62, 1 << 62}
	for i := 0; i < 5; i++ {
		l = best(l, measure(lint))
		f = best(f, measure(fix))
	}
	ratio := float64(f.cpu) / float64(l.cpu)
	t.Logf("%d files (%d changed by fix): CPU lint %v, fix %v: %.2fx; wall lint %v, fix %v: %.2fx",
		len(srcs), changed, l.cpu, f.cpu, ratio, l.wall, f.wall, float64(f.wall)/float64(l.wall))
	if changed == 0 {
		t.Fatal("fix changed no corpus file: the comparison measures nothing")
	}
	if ratio > 2 {
		t.Errorf("fixing the corpus takes %.2f times the CPU time of linting it (fix %v, lint %v), want at most 2", ratio, f.cpu, l.cpu)
	}
}

// cpuTime is the process's user + system time so far.
func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

//go:build shared

package fix

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/rules"
)

func benchCorpus(b *testing.B) [][]byte {
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

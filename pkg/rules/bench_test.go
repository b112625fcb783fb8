//go:build shared

package rules

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// BenchmarkLintCorpus lints all 119 corpus Dockerfiles per iteration
// (parse included), and BenchmarkParseCorpus only parses them: the
// difference is what the rules cost.
func BenchmarkLintCorpus(b *testing.B) {
	srcs := corpusSources(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range srcs {
			f, err := dockerfile.Parse("Dockerfile", s)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Lint(context.Background(), f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkParseCorpus(b *testing.B) {
	srcs := corpusSources(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range srcs {
			if _, err := dockerfile.Parse("Dockerfile", s); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func corpusSources(b *testing.B) [][]byte {
	var srcs [][]byte
	for _, p := range corpusFiles(b) {
		s, err := os.ReadFile(filepath.Clean(p))
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, s)
	}
	return srcs
}

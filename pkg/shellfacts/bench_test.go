//go:build shared

package shellfacts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/testenv"
	"github.com/whittle/whittle/pkg/dockerfile"
)

// BenchmarkCorpus parses the shared corpus (the baseline: BuildKit and
// mvdan/sh through the model) and then also reads the facts of every RUN.
func BenchmarkCorpus(b *testing.B) {
	var srcs [][]byte
	filepath.WalkDir(testenv.Shared(b, "corpus"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".Dockerfile") {
			if src, err := os.ReadFile(p); err == nil {
				srcs = append(srcs, src)
			}
		}
		return nil
	})
	if len(srcs) == 0 {
		b.Fatal("no corpus")
	}
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			for _, src := range srcs {
				if _, err := dockerfile.Parse("Dockerfile", src); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("parse+facts", func(b *testing.B) {
		for b.Loop() {
			for _, src := range srcs {
				f, err := dockerfile.Parse("Dockerfile", src)
				if err != nil {
					b.Fatal(err)
				}
				for in := range f.All() {
					if _, err := OfRun(in); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	})
}

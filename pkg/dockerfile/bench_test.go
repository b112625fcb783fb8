//go:build shared

package dockerfile

import (
	"bytes"
	"os"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// BenchmarkCorpus parses the shared corpus with BuildKit's parser alone
// (the baseline) and with the whole model (BuildKit, byte offsets, stages,
// mvdan/sh for every RUN).
func BenchmarkCorpus(b *testing.B) {
	var srcs [][]byte
	for _, name := range corpusFiles(b) {
		src, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	if len(srcs) == 0 {
		b.Fatal("no corpus")
	}
	b.Run("buildkit", func(b *testing.B) {
		for b.Loop() {
			for _, src := range srcs {
				if _, err := parser.Parse(bytes.NewReader(src)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("model", func(b *testing.B) {
		for b.Loop() {
			for _, src := range srcs {
				if _, err := Parse("Dockerfile", src); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

package account

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"

	"github.com/whittle/whittle/internal/benchutil"
	"github.com/whittle/whittle/internal/synth"
)

// benchImage generates (once, cached under WHITTLE_BENCH_DIR or the user
// cache directory) a synthetic image of WHITTLE_BENCH_FILES files (default
// 20000, 3.5 kB on average) for the benchmarks below.
// The full-size figures come from scripts/bench-analyze.sh.
func benchImage(b *testing.B) v1.Image {
	b.Helper()
	files := 20000
	if s := os.Getenv("WHITTLE_BENCH_FILES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		files = n
	}
	dir := os.Getenv("WHITTLE_BENCH_DIR")
	if dir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			b.Fatal(err)
		}
		dir = filepath.Join(c, "whittle-bench")
	}
	spec := synth.DefaultLarge
	spec.Files, spec.Bytes = files, synth.DefaultLarge.Bytes/int64(synth.DefaultLarge.Files)*int64(files)
	p, err := synth.Large(context.Background(), dir, spec)
	if err != nil {
		b.Fatal(err)
	}
	img, err := benchutil.OpenLayout(p)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// BenchmarkBaseline only decompresses and reads every layer once, one
// layer at a time: the floor of any analysis.
func BenchmarkBaseline(b *testing.B) {
	img := benchImage(b)
	layers, err := img.Layers()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				b.Fatal(err)
			}
			zr, err := gzip.NewReader(rc)
			if err != nil {
				b.Fatal(err)
			}
			tr := tar.NewReader(zr)
			for {
				if _, err := tr.Next(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, tr)
			}
			io.Copy(io.Discard, zr)
			rc.Close()
		}
	}
}

// BenchmarkAnalyze is Analyze with one job (compare with BenchmarkBaseline).
func BenchmarkAnalyze(b *testing.B) {
	img := benchImage(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Analyze(context.Background(), img, WithJobs(1)); err != nil {
			b.Fatal(err)
		}
	}
}

package squash

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// text returns n bytes of compressible pseudo-random text.
func text(seed int64, n int) []byte {
	rng := rand.New(rand.NewSource(seed))
	words := []string{"alpha ", "beta ", "gamma\n", "/usr/lib/x86_64-linux-gnu ", "0x3f9a ", "delta "}
	b := make([]byte, 0, n+64)
	for len(b) < n {
		if rng.Intn(8) == 0 {
			var w [8]byte
			rng.Read(w[:])
			b = append(b, w[:]...)
		}
		b = append(b, words[rng.Intn(len(words))]...)
	}
	return b[:n]
}

// withProcs runs fn with GOMAXPROCS set to n.
func withProcs(n int, fn func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	fn()
}

// layerBytes reads the merged layer's blob.
func layerBytes(t *testing.T, res *Result) []byte {
	t.Helper()
	l, err := res.Image.(interface {
		LayerByDigest(v1.Hash) (v1.Layer, error)
	}).LayerByDigest(mustHash(t, res.Layer.Digest))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSquashReproducible squashes one image twice, and once more on one
// core (GOMAXPROCS 1, where the read pipeline's goroutines share it), for
// each codec at two levels: the merged layer's bytes and the image's
// digest must not change. The merged layer spans several gzip
// blocks, so the blocks compressed on different cores are checked too.
func TestSquashReproducible(t *testing.T) {
	var layers [][]te
	layers = append(layers, []te{d("etc"), f("etc/base", "base")})
	var l1, l2 []te
	l1 = append(l1, d("data"))
	for i := 0; i < 3; i++ {
		l1 = append(l1, f("data/f"+string(rune('a'+i)), string(text(int64(i), 1<<20+333))))
	}
	l2 = append(l2, f("data/fb", string(text(9, 700<<10))), wh("data/fc"))
	layers = append(layers, l1, l2)
	img := buildImage(t, true, layers...)

	seen := map[string]string{}
	for _, c := range []struct {
		codec  Compression
		levels []int
	}{{Gzip, []int{1, 9}}, {Zstd, []int{1, 7}}} {
		var sizes []int
		for _, level := range c.levels {
			opts := []Option{WithCompression(c.codec), WithCompressionLevel(level)}
			first := squashOK(t, img, opts...)
			blob := layerBytes(t, first)
			if int64(len(blob)) != first.Layer.Size {
				t.Fatalf("%s %d: blob of %d bytes, layer size %d", c.codec, level, len(blob), first.Layer.Size)
			}
			checkBlob(t, mustLayer(t, first), first.Layer)
			if want, got := applyImage(t, img).canon(), applyImage(t, first.Image).canon(); got != want {
				t.Errorf("%s %d: final tree differs", c.codec, level)
			}
			runs := map[string]*Result{"again": squashOK(t, img, opts...)}
			withProcs(1, func() { runs["one core"] = squashOK(t, img, opts...) })
			for name, r := range runs {
				if !bytes.Equal(layerBytes(t, r), blob) {
					t.Errorf("%s level %d, %s: merged layer's bytes differ", c.codec, level, name)
				}
				if r.Layer.Digest != first.Layer.Digest || r.Layer.DiffID != first.Layer.DiffID {
					t.Errorf("%s level %d, %s: layer %s/%s, first %s/%s", c.codec, level, name,
						r.Layer.Digest, r.Layer.DiffID, first.Layer.Digest, first.Layer.DiffID)
				}
				if a, b := digestOf(t, r.Image), digestOf(t, first.Image); a != b {
					t.Errorf("%s level %d, %s: image digest %s, first %s", c.codec, level, name, a, b)
				}
			}
			// The level is applied: each level gives its own bytes.
			key := first.Layer.Digest
			if prev, ok := seen[key]; ok {
				t.Errorf("%s level %d writes the same layer as %s", c.codec, level, prev)
			}
			seen[key] = fmt.Sprint(c.codec, " ", level)
			sizes = append(sizes, len(blob))
		}
		if sizes[1] >= sizes[0] {
			t.Errorf("%s: level %d gives %d bytes, level %d %d", c.codec, c.levels[1], sizes[1], c.levels[0], sizes[0])
		}
	}
}

func mustLayer(t *testing.T, res *Result) v1.Layer {
	t.Helper()
	l, err := res.Image.(interface {
		LayerByDigest(v1.Hash) (v1.Layer, error)
	}).LayerByDigest(mustHash(t, res.Layer.Digest))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCompressorIndependentOfCores writes the same stream through the
// compressor on 1, 2 and 3 cores, cut into writes of different sizes: the
// output must be the same, and decompress to the input. The zstd input
// spans two of the encoder's concurrent jobs (16 MiB at the fastest level),
// the gzip one several blocks.
func TestCompressorIndependentOfCores(t *testing.T) {
	in := text(1, 17<<20)
	for _, c := range []struct {
		codec Compression
		size  int
	}{{Gzip, 3<<20 + 5}, {Zstd, len(in)}} {
		var first []byte
		for _, run := range []struct{ cores, chunk int }{{1, 1 << 20}, {2, 32 << 10}, {3, 12345}} {
			var out bytes.Buffer
			zw, err := newCompressorN(&out, c.codec, 1, run.cores)
			if err != nil {
				t.Fatal(err)
			}
			for p := in[:c.size]; len(p) > 0; {
				n := min(len(p), run.chunk)
				if _, err := zw.Write(p[:n]); err != nil {
					t.Fatal(err)
				}
				p = p[n:]
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = out.Bytes()
				var zr io.Reader
				if c.codec == Zstd {
					d, err := zstd.NewReader(bytes.NewReader(first))
					if err != nil {
						t.Fatal(err)
					}
					defer d.Close()
					zr = d
				} else if zr, err = gzip.NewReader(bytes.NewReader(first)); err != nil {
					t.Fatal(err)
				}
				got := sha256.New()
				if _, err := io.Copy(got, zr); err != nil {
					t.Fatalf("%s: %v", c.codec, err)
				}
				if want := sha256.Sum256(in[:c.size]); !bytes.Equal(got.Sum(nil), want[:]) {
					t.Fatalf("%s: output does not decompress to the input", c.codec)
				}
				continue
			}
			if !bytes.Equal(out.Bytes(), first) {
				t.Errorf("%s on %d cores, writes of %d: output differs from one core's (%d bytes, %d)", c.codec, run.cores, run.chunk, out.Len(), len(first))
			}
		}
	}
}

func TestCompressionLevels(t *testing.T) {
	for _, c := range []struct {
		codec Compression
		in    string
		want  int
		err   string
	}{
		{Gzip, "1", 1, ""},
		{Gzip, "9", 9, ""},
		{Gzip, "fastest", 1, ""},
		{Gzip, "Default", 0, ""},
		{Gzip, "better", 7, ""},
		{Gzip, "best", 9, ""},
		{Gzip, "0", 0, "out of range"},
		{Gzip, "10", 0, "out of range (1 to 9)"},
		{Gzip, "fast", 0, "unknown gzip compression level"},
		{Zstd, "22", 22, ""},
		{Zstd, "best", 11, ""},
		{Zstd, "fastest", 1, ""},
		{Zstd, "23", 0, "out of range (1 to 22)"},
		{Zstd, "-1", 0, "out of range"},
		{"lz4", "1", 0, "unknown compression"},
	} {
		got, err := ParseCompressionLevel(c.codec, c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %q: error %v, want %q", c.codec, c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s %q = %d, %v; want %d", c.codec, c.in, got, err, c.want)
		}
	}
	// zstd's levels onto the encoder's four.
	for level, want := range map[int]zstd.EncoderLevel{0: zstd.SpeedDefault, 1: zstd.SpeedFastest, 2: zstd.SpeedFastest,
		3: zstd.SpeedDefault, 5: zstd.SpeedDefault, 6: zstd.SpeedBetterCompression, 9: zstd.SpeedBetterCompression,
		10: zstd.SpeedBestCompression, 22: zstd.SpeedBestCompression} {
		if got := ZstdEncoderLevel(level); got != want {
			t.Errorf("zstd level %d runs at %s, want %s", level, got, want)
		}
	}
	img := buildImage(t, false, squashCases[0].layers...)
	if _, err := Squash(t.Context(), img, WithCompressionLevel(12), WithTempDir(t.TempDir())); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("gzip level 12 accepted: %v", err)
	}
	if _, err := Squash(t.Context(), img, WithCompressionLevel(-1)); err == nil {
		t.Errorf("level -1 accepted")
	}
}

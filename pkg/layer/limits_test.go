package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"

	"github.com/whittle/whittle/internal/synth"
)

// zeros is a tar holding one file of n zero bytes.
func zeros(t *testing.T, n int64) []byte {
	t.Helper()
	raw, err := synth.TarBytes([]synth.Entry{{Kind: synth.KindFile, Path: "zeros", Content: make([]byte, n)}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A stream that expands past its limits is refused as soon as it does,
// with a *LimitError naming the layer: a zstd bomb after the ratio floor,
// any stream past MaxBytes, an entry declaring more than MaxEntryBytes
// (a sparse one of 2 TiB under the defaults). gzip, which cannot expand
// past about 1032 times, passes the default ratio.
func TestWalkLimits(t *testing.T) {
	const mib = 1 << 20
	raw := zeros(t, 8*mib)
	zl, err := synth.CompressedLayer(raw, "zstd", true)
	if err != nil {
		t.Fatal(err)
	}
	gl, err := synth.CompressedLayer(raw, "gzip", true)
	if err != nil {
		t.Fatal(err)
	}
	sparse := synth.SparseTar("huge", 2<<40)
	sl := synth.RawLayer(sparse, types.OCIUncompressedLayer, synth.Digest(sparse), synth.Digest(sparse))
	small := Limits{MaxRatio: DefaultMaxRatio, RatioFloor: mib}
	for _, tc := range []struct {
		name   string
		walk   func() error
		kind   string
		before int64 // refused before reading this much of the stream
	}{
		{"zstd bomb past the ratio", func() error { return Walk(context.Background(), zl, nop, WithLimits(small)) }, LimitRatio, 2 * mib},
		{"gzip at its best ratio", func() error { return Walk(context.Background(), gl, nop, WithLimits(small)) }, "", 0},
		{"past MaxBytes", func() error { return Walk(context.Background(), gl, nop, WithLimits(Limits{MaxBytes: 4 * mib})) }, LimitBytes, 5 * mib},
		{"no limits", func() error { return Walk(context.Background(), zl, nop, WithLimits(NoLimits())) }, "", 0},
		{"a sparse entry of 2 TiB, default limits", func() error { return Walk(context.Background(), sl, nop) }, LimitEntry, 0},
		{"the same without the entry limit", func() error {
			return Walk(context.Background(), sl, nop, WithLimits(Limits{MaxRatio: DefaultMaxRatio, MaxBytes: DefaultMaxBytes}))
		}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.walk()
			var le *LimitError
			if tc.kind == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.As(err, &le) || le.Kind != tc.kind || le.Layer == "" {
				t.Fatalf("err = %v (%T), want a %s limit", err, err, tc.kind)
			}
			if tc.before > 0 && le.Got > tc.before {
				t.Errorf("refused after %d bytes, want before %d", le.Got, tc.before)
			}
			if tc.kind == LimitEntry && le.Entry != "huge" {
				t.Errorf("entry %q", le.Entry)
			}
			t.Log(err)
		})
	}
	if err := (Limits{MaxBytes: -1}).Validate(); err == nil {
		t.Error("a negative limit is valid")
	}
}

func nop(*Entry) error { return nil }

// The default ratio refuses a real zstd bomb early: a few kB that would
// expand to a TiB stop after the ratio floor.
func TestWalkZstdBombDefault(t *testing.T) {
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// A tar header for one file of 1 TiB, then zeros: the stream never
	// needs to exist in full, only to be written compressed.
	var hdr bytes.Buffer
	if err := tar.NewWriter(&hdr).WriteHeader(&tar.Header{Name: "bomb", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 40}); err != nil {
		t.Fatal(err)
	}
	zw.Write(hdr.Bytes())
	chunk := make([]byte, 1<<20)
	for range 96 { // 96 MiB of zeros compress to a few kB
		zw.Write(chunk)
	}
	zw.Close()
	blob := buf.Bytes()
	l := synth.RawLayer(blob, types.OCILayerZStd, synth.Digest([]byte("unknown")), synth.Digest(blob))
	err = Walk(context.Background(), l, nop)
	var le *LimitError
	if !errors.As(err, &le) || le.Kind != LimitRatio || le.Got > DefaultRatioFloor+(8<<20) {
		t.Fatalf("err = %v", err)
	}
	t.Logf("%d bytes of blob: %v", len(blob), err)
}

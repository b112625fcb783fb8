package layer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/spool"
)

// walked is what a walk saw: its entries, its info and its error.
type walked struct {
	entries []string
	info    Info
	err     string
}

func walkWith(t *testing.T, l v1.Layer, opts ...Option) walked {
	t.Helper()
	got, info, err := collect(t, l, opts...)
	w := walked{info: info}
	for _, e := range got { // the content, by its digest
		w.entries = append(w.entries, synth.Digest([]byte(e)).Hex[:12])
	}
	var le *LimitError
	if errors.As(err, &le) {
		// Where past the limit a stream is refused depends on how it
		// is read (the sizes of the reads): the same limit, the same
		// layer.
		w.err = fmt.Sprintf("limit %s of layer %s, entry %q", le.Kind, le.Layer, le.Entry)
	} else if err != nil {
		w.err = err.Error()
	}
	return w
}

// A walk with a prefetch sees what a walk without one sees, entry for
// entry, with the same Info and the same error, however far the prefetch
// came: done before the walk, running beside it, stopped by its budget
// before writing anything or half way, or a prefetch of another layer. Its
// file's bytes go back to the budget when it is closed.
func TestPrefetchSameAsWalk(t *testing.T) {
	const mib = 1 << 20
	// About 3.5 MiB of tar that does not compress: several chunks of the
	// prefetch, in a blob of about the same size.
	entries := []synth.Entry{synth.Dir("d/")}
	for i := range 7 {
		entries = append(entries, synth.File(fmt.Sprintf("d/f%d", i), string(synth.Pattern(mib/2, uint64(i+1)))))
	}
	entries = append(entries, synth.Hardlink("d/h", "d/f1"), synth.Whiteout("d/old"))
	raw, err := synth.TarBytes(entries)
	if err != nil {
		t.Fatal(err)
	}
	blobOf := func(c string) []byte {
		l, err := synth.CompressedLayer(raw, c, true)
		if err != nil {
			t.Fatal(err)
		}
		rc, _ := l.Compressed()
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return b
	}
	gz, zs := blobOf("gzip"), blobOf("zstd")
	bad := synth.Digest([]byte("not it"))
	zeros := zeros(t, 8*mib)
	zl, _ := synth.CompressedLayer(zeros, "zstd", true)
	smallRatio := WithLimits(Limits{MaxRatio: DefaultMaxRatio, RatioFloor: mib})

	layers := []struct {
		name string
		l    v1.Layer
		opts []Option
	}{
		{"gzip", synth.RawLayer(gz, types.OCILayer, synth.Digest(raw), synth.Digest(gz)), nil},
		{"zstd", synth.RawLayer(zs, types.OCILayerZStd, synth.Digest(raw), synth.Digest(zs)), nil},
		{"gzip, blob digest as declared", synth.RawLayer(gz, types.OCILayer, synth.Digest(raw), synth.Digest(gz)), []Option{WithBlobDigestCheck(false)}},
		{"uncompressed", synth.RawLayer(raw, types.OCIUncompressedLayer, synth.Digest(raw), synth.Digest(raw)), nil},
		{"gzip blob with trailing bytes", synth.RawLayer(append(append([]byte{}, gz...), 0, 0, 0), types.OCILayer, synth.Digest(raw), synth.Digest(append(append([]byte{}, gz...), 0, 0, 0))), nil},
		{"truncated gzip", synth.RawLayer(gz[:len(gz)*2/3], types.OCILayer, synth.Digest(raw), synth.Digest(gz)), nil},
		{"truncated zstd", synth.RawLayer(zs[:len(zs)*2/3], types.OCILayerZStd, synth.Digest(raw), synth.Digest(zs)), nil},
		{"not gzip at all", synth.RawLayer([]byte{0x1f, 0x8b, 0, 0, 1, 2, 3}, types.OCILayer, synth.Digest(raw), synth.Digest(gz)), nil},
		{"wrong diff_id", synth.RawLayer(gz, types.OCILayer, bad, synth.Digest(gz)), nil},
		{"wrong digest", synth.RawLayer(gz, types.OCILayer, synth.Digest(raw), bad), nil},
		{"zstd bomb past the ratio", zl, []Option{smallRatio}},
		{"past MaxBytes", synth.RawLayer(gz, types.OCILayer, synth.Digest(raw), synth.Digest(gz)), []Option{WithLimits(Limits{MaxBytes: 2 * mib})}},
	}
	other := synth.RawLayer(zs, types.OCILayerZStd, synth.Digest(raw), synth.Digest(zs))
	for _, lc := range layers {
		t.Run(lc.name, func(t *testing.T) {
			want := walkWith(t, lc.l, lc.opts...)
			for _, mode := range []struct {
				name   string
				budget int64
				wait   bool
				of     v1.Layer
			}{
				{"done before the walk", 0, true, nil},
				{"beside the walk", 0, false, nil},
				{"budget spent before the first chunk", mib / 2, true, nil},
				// A prefetch takes at most half the budget: one chunk.
				{"budget spent half way", 3 * mib, true, nil},
				{"budget spent half way, beside the walk", 3 * mib, false, nil},
				{"of another layer", 0, true, other},
			} {
				t.Run(mode.name, func(t *testing.T) {
					of := lc.l
					if mode.of != nil {
						of = mode.of
					}
					b := spool.NewBudget(mode.budget)
					p := StartPrefetch(context.Background(), of, t.TempDir(), b, lc.opts...)
					if mode.wait {
						<-p.exited
					}
					got := walkWith(t, lc.l, append(append([]Option{}, lc.opts...), WithPrefetch(p))...)
					p.Close()
					if b.Used() != 0 {
						t.Errorf("budget: %d bytes still counted after Close", b.Used())
					}
					p.Close()
					if !reflect.DeepEqual(got, want) {
						t.Errorf("with the prefetch:\n got %+v\nwant %+v", got, want)
					}
				})
			}
		})
	}
}

// A prefetch reads the blob once, into its file, on its own goroutine:
// the walk then reads none of the blob. An uncompressed layer is not
// prefetched.
func TestPrefetchReadsBlobOnce(t *testing.T) {
	raw, _ := synth.TarBytes(sample)
	gl, _ := synth.CompressedLayer(raw, "gzip", true)
	counted := &countingLayer{Layer: gl}
	p := StartPrefetch(context.Background(), counted, t.TempDir(), nil)
	defer p.Close()
	<-p.exited
	if counted.opens != 1 {
		t.Fatalf("prefetch opened the blob %d times", counted.opens)
	}
	got, info, err := collect(t, counted, WithPrefetch(p))
	if err != nil || !reflect.DeepEqual(got, sampleWant) {
		t.Fatalf("walk: %v, %q", err, got)
	}
	if counted.opens != 1 {
		t.Errorf("the walk opened the blob again (%d opens)", counted.opens)
	}
	if d, _ := gl.Digest(); info.Digest != d || info.Compression != Gzip {
		t.Errorf("info = %+v", info)
	}

	ul, _ := synth.CompressedLayer(raw, "none", true)
	up := StartPrefetch(context.Background(), ul, t.TempDir(), nil)
	defer up.Close()
	<-up.exited
	if up.f != nil || up.written != 0 || up.ok || up.opened {
		t.Errorf("an uncompressed layer was prefetched: %d bytes", up.written)
	}
}

// A cancelled prefetch stops, and the walk still reads the layer whole.
func TestPrefetchCancelled(t *testing.T) {
	raw, _ := synth.TarBytes(sample)
	gl, _ := synth.CompressedLayer(raw, "gzip", true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := StartPrefetch(ctx, gl, t.TempDir(), nil)
	defer p.Close()
	got, _, err := collect(t, gl, WithPrefetch(p))
	if err != nil || !reflect.DeepEqual(got, sampleWant) {
		t.Fatalf("walk: %v, %q", err, got)
	}
}

type countingLayer struct {
	v1.Layer
	opens int
}

func (l *countingLayer) Compressed() (io.ReadCloser, error) {
	l.opens++
	return l.Layer.Compressed()
}

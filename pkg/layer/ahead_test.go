package layer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
)

// blobOf is the compressed blob of raw (c: gzip, zstd or none).
func blobOf(t *testing.T, raw []byte, c string) []byte {
	t.Helper()
	l, err := synth.CompressedLayer(raw, c, true)
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

// Walk with read-ahead sees the same entries, content, Info and errors as
// Walk without it (the oracle), on layers that span many of its buffers
// and on broken ones: truncated, corrupt, wrong digests, past the limits.
func TestWalkReadAheadSame(t *testing.T) {
	var ents []synth.Entry
	ents = append(ents, synth.Dir("d/"))
	for i := range 300 {
		ents = append(ents, synth.File(fmt.Sprintf("d/f%03d", i), string(synth.Pattern(int64(i*37%5000), uint64(i)))))
	}
	ents = append(ents, synth.File("big", string(synth.Pattern(5<<20+123, 7))), synth.Hardlink("d/h", "big"), synth.Whiteout("d/old"))
	raw, err := synth.TarBytes(ents)
	if err != nil {
		t.Fatal(err)
	}
	zeros := zeros(t, 8<<20)
	bad := synth.Digest([]byte("not it"))
	type tc struct {
		name  string
		layer v1.Layer
		opts  []Option
	}
	var cases []tc
	for _, c := range []string{"gzip", "zstd", "none"} {
		b := blobOf(t, raw, c)
		mt := map[string]types.MediaType{"gzip": types.OCILayer, "zstd": types.OCILayerZStd, "none": types.OCIUncompressedLayer}[c]
		cases = append(cases,
			tc{c, synth.RawLayer(b, mt, synth.Digest(raw), synth.Digest(b)), nil},
			tc{c + " no blob hash", synth.RawLayer(b, mt, synth.Digest(raw), synth.Digest(b)), []Option{WithBlobDigestCheck(false)}},
			tc{c + " truncated", synth.RawLayer(b[:len(b)*2/3], mt, synth.Digest(raw), synth.Digest(b)), nil},
			tc{c + " trailing junk", synth.RawLayer(append(append([]byte{}, b...), "junk"...), mt, synth.Digest(raw), synth.Digest(b)), nil},
			tc{c + " wrong diff_id", synth.RawLayer(b, mt, bad, synth.Digest(b)), nil},
			tc{c + " wrong digest", synth.RawLayer(b, mt, synth.Digest(raw), bad), nil},
			tc{c + " past MaxBytes", synth.RawLayer(b, mt, synth.Digest(raw), synth.Digest(b)), []Option{WithLimits(Limits{MaxBytes: 3 << 20})}},
		)
		if c != "none" {
			corrupt := append([]byte{}, b...)
			for i := len(b) / 2; i < len(b)/2+64; i++ {
				corrupt[i] ^= 0x5a
			}
			cases = append(cases, tc{c + " corrupt", synth.RawLayer(corrupt, mt, synth.Digest(raw), synth.Digest(b)), nil})
		}
	}
	zb := blobOf(t, zeros, "zstd")
	cases = append(cases, tc{"zstd bomb past the ratio", synth.RawLayer(zb, types.OCILayerZStd, synth.Digest(zeros), synth.Digest(zb)),
		[]Option{WithLimits(Limits{MaxRatio: DefaultMaxRatio, RatioFloor: 1 << 20})}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, wantInfo, wantErr := collect(t, c.layer, c.opts...)
			got, gotInfo, gotErr := collect(t, c.layer, append(c.opts, WithReadAhead(true))...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("entries differ: %d against %d", len(got), len(want))
			}
			if gotInfo != wantInfo {
				t.Errorf("info:\n got %+v\nwant %+v", gotInfo, wantInfo)
			}
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || reflect.TypeOf(gotErr) != reflect.TypeOf(wantErr) {
				t.Errorf("err:\n got %v (%T)\nwant %v (%T)", gotErr, gotErr, wantErr, wantErr)
			}
			var le *LimitError
			if errors.As(gotErr, &le) && le.Got > 4<<20 {
				t.Errorf("limit passed after %d bytes", le.Got)
			}
		})
	}
}

// waitGoroutines waits for the goroutines to come back to n (the reading
// goroutine ends before Walk returns; the test's own may lag).
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	for i := 0; runtime.NumGoroutine() > n; i++ {
		if i == 200 {
			t.Fatalf("%d goroutines, want %d", runtime.NumGoroutine(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A walk stopped early (by the callback, by ctx) stops its reading
// goroutine before it returns.
func TestWalkReadAheadStops(t *testing.T) {
	raw, err := synth.TarBytes([]synth.Entry{synth.File("f", string(synth.Pattern(16<<20, 1)))})
	if err != nil {
		t.Fatal(err)
	}
	b := blobOf(t, raw, "gzip")
	if len(b) < 8<<20 {
		t.Fatalf("blob of %d bytes: too compressible for the test", len(b))
	}
	l := synth.RawLayer(b, types.OCILayer, synth.Digest(raw), synth.Digest(b))
	n := runtime.NumGoroutine()
	stop := errors.New("stop")
	err = Walk(context.Background(), l, func(e *Entry) error {
		if _, err := io.ReadFull(e.Reader, make([]byte, 3<<20)); err != nil {
			return err
		}
		return stop
	}, WithReadAhead(true))
	if err != stop {
		t.Errorf("callback error: %v", err)
	}
	waitGoroutines(t, n)
	ctx, cancel := context.WithCancel(context.Background())
	err = Walk(ctx, l, func(e *Entry) error {
		buf := make([]byte, 1<<20)
		for {
			if _, err := e.Reader.Read(buf); err != nil {
				return err
			}
			cancel()
		}
	}, WithReadAhead(true))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	waitGoroutines(t, n)
}

// stutterReader returns its content a few bytes at a time, with empty
// reads between, and its error along with its last bytes.
type stutterReader struct {
	s     string
	empty int
	err   error
}

func (r *stutterReader) Read(p []byte) (int, error) {
	if r.empty > 0 {
		r.empty--
		return 0, nil
	}
	r.empty = 3
	n := copy(p, r.s[:min(len(r.s), 5)])
	r.s = r.s[n:]
	if len(r.s) == 0 {
		return n, r.err
	}
	return n, nil
}

type nothingReader struct{}

func (nothingReader) Read([]byte) (int, error) { return 0, nil }

func TestAheadReader(t *testing.T) {
	want := strings.Repeat("0123456789", 1000)
	broken := errors.New("broken")
	for _, end := range []error{io.EOF, broken} {
		a := newAheadReader(&stutterReader{s: want, err: end})
		var got strings.Builder
		buf := make([]byte, 7)
		var err error
		for {
			var n int
			n, err = a.Read(buf)
			got.WriteString(string(buf[:n]))
			if err != nil {
				break
			}
		}
		a.close()
		if got.String() != want || err != end {
			t.Errorf("read %d bytes, err %v; want %d, %v", got.Len(), err, len(want), end)
		}
		if n, err := a.Read(buf); n != 0 || err != end {
			t.Errorf("read after the end: %d, %v", n, err)
		}
	}
	a := newAheadReader(nothingReader{})
	if _, err := io.ReadAll(a); err != io.ErrNoProgress {
		t.Errorf("a reader that never progresses: %v", err)
	}
	a.close()
}

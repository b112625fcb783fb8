package account

import (
	"bytes"
	"encoding/hex"
	"io"
	"testing"
	"testing/iotest"

	"github.com/zeebo/xxh3"

	"github.com/whittle/whittle/internal/synth"
)

// TestFileHasher checks fileHasher against XXH3-128 computed in one call,
// on both sides of its buffer size (one call below, streamed above), with
// readers that return short reads.
func TestFileHasher(t *testing.T) {
	fh := newFileHasher()
	buf := len(fh.buf)
	for _, size := range []int{1, 5, 240, 1024, 4096, buf - 1, buf, buf + 1, 3*buf + 7} {
		data := synth.Pattern(int64(size), uint64(size))
		want := xxh3.Hash128(data).Bytes()
		for _, half := range []bool{false, true} {
			rd := bytes.NewReader(data)
			var r io.Reader = rd
			if half {
				r = iotest.HalfReader(rd)
			}
			got, err := fh.sum(r, int64(size))
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			if got != want {
				t.Errorf("size %d (half reads %v): %s, want %s", size, half, hex.EncodeToString(got[:]), hex.EncodeToString(want[:]))
			}
			if rd.Len() != 0 {
				t.Errorf("size %d: %d bytes left unread", size, rd.Len())
			}
		}
	}
	// Distinct contents of one size hash apart (a 1-byte change at either
	// end, in the one-call and the streamed range).
	for _, size := range []int{64, 2 * buf} {
		a := synth.Pattern(int64(size), 1)
		b := bytes.Clone(a)
		b[len(b)-1]++
		c := bytes.Clone(a)
		c[0]++
		ha, _ := fh.sum(bytes.NewReader(a), int64(size))
		hb, _ := fh.sum(bytes.NewReader(b), int64(size))
		hc, _ := fh.sum(bytes.NewReader(c), int64(size))
		if ha == hb || ha == hc || hb == hc {
			t.Errorf("size %d: distinct contents hash alike", size)
		}
	}
}

package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/whittle/whittle/pkg/squash"
)

func TestRateText(t *testing.T) {
	for _, c := range []struct {
		moved   int64
		elapsed time.Duration
		want    string
	}{
		{32_000_000, 2 * time.Second, "16 MB/s"},
		{32_000_000, 4 * time.Second, "8.0 MB/s"},
		{1, time.Hour, "0 B/s"},
		// A rate over microseconds, or over less than a second, is noise.
		{8_000_000, 50 * time.Microsecond, ""},
		{8_000_000, 999 * time.Millisecond, ""},
		{8_000_000, 0, ""},
		{8_000_000, -time.Second, ""},
		// Nothing moved, or less than nothing: no rate.
		{0, 10 * time.Second, ""},
		{-5, 10 * time.Second, ""},
	} {
		if got := rateText(c.moved, c.elapsed); got != c.want {
			t.Errorf("rateText(%d, %v) = %q, want %q", c.moved, c.elapsed, got, c.want)
		}
	}
}

// TestByteRate: the rate counts only the bytes done after the first
// report, over the time since it, and shows once a second has passed.
func TestByteRate(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var r byteRate
	for _, c := range []struct {
		at   time.Duration
		done int64
		want string
	}{
		{0, 8_000_000, ""}, // already 8 MB at the first report
		{10 * time.Millisecond, 16_000_000, ""},
		{2 * time.Second, 40_000_000, "16 MB/s"}, // (40 - 8) MB over 2 s
		{4 * time.Second, 48_000_000, "10 MB/s"},
	} {
		if got := r.text(c.done, t0.Add(c.at)); got != c.want {
			t.Errorf("at %v, %d bytes: %q, want %q", c.at, c.done, got, c.want)
		}
	}
}

// TestSquashProgressRate draws squash's write phase as a terminal would
// see it: the first report comes with megabytes already written, and no
// rate may be drawn from it (progressbar's own drew 8 MB over a few
// microseconds as some hundreds of GB/s).
func TestSquashProgressRate(t *testing.T) {
	var buf bytes.Buffer
	t0 := time.Now()
	clock := t0
	p := &squashProgress{w: &buf, now: func() time.Time { return clock }}
	p.update(squash.Progress{Phase: squash.PhaseRead, Layers: 2, LayersDone: 2})
	p.update(squash.Progress{Phase: squash.PhaseWrite, Layers: 2, LayersDone: 2, Bytes: 8_000_000, TotalBytes: 48_000_000})
	time.Sleep(100 * time.Millisecond) // the bar draws at most every 80 ms
	clock = t0.Add(2 * time.Second)
	p.update(squash.Progress{Phase: squash.PhaseWrite, Layers: 2, LayersDone: 2, Bytes: 40_000_000, TotalBytes: 48_000_000})
	p.finish()
	out := buf.String()
	if !strings.Contains(out, "writing the merged layer (48 MB)  16% ") {
		t.Errorf("the first draw of the write phase: %q", out)
	}
	if !strings.Contains(out, "writing the merged layer (48 MB) at 16 MB/s ") {
		t.Errorf("no rate drawn for the 32 MB written in 2 s: %q", out)
	}
	if rates := regexp.MustCompile(`[0-9.]+ [kMGTP]?B/s`).FindAllString(out, -1); len(rates) != 1 {
		t.Errorf("rates drawn: %q, want only 16 MB/s", rates)
	}
}

package cli

import (
	"time"

	"github.com/dustin/go-humanize"
)

// minRateWindow is how long bytes must have been counted before a rate is
// shown: over a shorter time a rate is noise (the first report may come
// with megabytes already written, microseconds after the clock started).
const minRateWindow = time.Second

// byteRate measures a transfer's rate from its first report on, so that
// bytes done before that report are not counted as if they took no time.
// The zero value is ready to use.
type byteRate struct {
	start time.Time
	base  int64 // bytes already done at the first report
	set   bool
}

// text returns the rate of the bytes done since the first report, at now,
// as rateText writes it ("" until it means something).
func (r *byteRate) text(done int64, now time.Time) string {
	if !r.set {
		r.start, r.base, r.set = now, done, true
	}
	return rateText(done-r.base, now.Sub(r.start))
}

// rateText is the rate of moved bytes over elapsed ("16 MB/s"), or "" when
// they were counted over less than minRateWindow or nothing moved: a rate
// shown is never absurd.
func rateText(moved int64, elapsed time.Duration) string {
	if elapsed < minRateWindow || moved <= 0 {
		return ""
	}
	return humanize.Bytes(uint64(float64(moved)/elapsed.Seconds())) + "/s"
}

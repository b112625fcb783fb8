package layer

import (
	"fmt"
	"io"

	"github.com/dustin/go-humanize"
)

// Limits bound what a layer may expand to, so that a few bytes crafted to
// decompress to terabytes (a decompression bomb) are refused early, with
// an error naming the layer, rather than read for hours. Walk applies
// DefaultLimits unless WithLimits says otherwise. A zero field means no
// limit.
type Limits struct {
	// MaxRatio is the most bytes of tar stream a compressed blob may
	// expand to per byte of blob, once the stream is past RatioFloor
	// bytes. gzip cannot expand past about 1032 times, so the default
	// (2000) refuses only zstd streams (which can expand a kilobyte to a
	// terabyte of zeros).
	MaxRatio float64
	// RatioFloor is the size up to which a stream is never refused for
	// its ratio: a small layer may compress as well as it likes.
	RatioFloor int64
	// MaxBytes is the most bytes a layer's tar stream may hold.
	MaxBytes int64
	// MaxEntryBytes is the largest size an entry may declare: its logical
	// size, holes included for a sparse entry (a few bytes of tar can
	// declare one of exabytes, which sums of sizes would overflow).
	MaxEntryBytes int64
}

// Defaults of DefaultLimits.
const (
	DefaultMaxRatio      = 2000
	DefaultRatioFloor    = 64 << 20  // 64 MiB
	DefaultMaxBytes      = 256 << 30 // 256 GiB
	DefaultMaxEntryBytes = 1 << 40   // 1 TiB
)

// DefaultLimits returns the limits Walk applies when not told otherwise
// (see docs/limits.md). They pass every real image we know of (the largest
// layers of machine learning images hold tens of GB; a sparse
// /var/log/lastlog of a user with a high UID declares hundreds of GB) and
// refuse streams that expand beyond what gzip can.
func DefaultLimits() Limits {
	return Limits{MaxRatio: DefaultMaxRatio, RatioFloor: DefaultRatioFloor, MaxBytes: DefaultMaxBytes, MaxEntryBytes: DefaultMaxEntryBytes}
}

// NoLimits returns limits that refuse nothing.
func NoLimits() Limits { return Limits{} }

// Validate reports a limit that makes no sense (a negative one).
func (l Limits) Validate() error {
	if l.MaxRatio < 0 || l.RatioFloor < 0 || l.MaxBytes < 0 || l.MaxEntryBytes < 0 {
		return fmt.Errorf("layer limits must not be negative: %+v", l)
	}
	return nil
}

// WithLimits sets the limits of the walk (default DefaultLimits()).
func WithLimits(l Limits) Option {
	return func(o *options) error {
		if err := l.Validate(); err != nil {
			return err
		}
		o.limits = &l
		return nil
	}
}

// Kinds of a LimitError.
const (
	LimitRatio = "ratio" // the stream expands more than MaxRatio times the blob
	LimitBytes = "bytes" // the stream holds more than MaxBytes
	LimitEntry = "entry" // an entry declares more than MaxEntryBytes
)

// LimitError reports a layer refused for going past one of its Limits.
type LimitError struct {
	Layer string
	// Entry is the entry's path for LimitEntry, "" otherwise.
	Entry string
	// Kind is LimitRatio, LimitBytes or LimitEntry.
	Kind string
	// Limit is the limit passed; Got what was read or declared (for
	// LimitRatio, the bytes of stream read, from Compressed bytes of
	// blob).
	Limit      float64
	Got        int64
	Compressed int64
}

func (e *LimitError) Error() string {
	switch e.Kind {
	case LimitRatio:
		return fmt.Sprintf("layer %s: refused as a decompression bomb: %s of blob expand to more than %s (more than %.0f times; the limit of what a layer may expand to)",
			e.Layer, humanize.IBytes(uint64(e.Compressed)), humanize.IBytes(uint64(e.Got)), e.Limit)
	case LimitEntry:
		return fmt.Sprintf("layer %s: entry %q declares %s, more than the %s an entry may hold",
			e.Layer, e.Entry, humanize.IBytes(uint64(e.Got)), humanize.IBytes(uint64(e.Limit)))
	}
	return fmt.Sprintf("layer %s: the uncompressed layer holds more than %s, the limit of what a layer may expand to",
		e.Layer, humanize.IBytes(uint64(e.Limit)))
}

// limitReader reads the decompressed stream, refusing it once it passes
// the limits. compressed counts the blob's bytes read so far.
type limitReader struct {
	r          io.Reader
	l          Limits
	compressed *hashCounter
	ratio      bool // the blob is compressed: the ratio applies
	n          int64
	layer      string
}

func (r *limitReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if r.l.MaxBytes > 0 && r.n > r.l.MaxBytes {
		return n, &LimitError{Layer: r.layer, Kind: LimitBytes, Limit: float64(r.l.MaxBytes), Got: r.n}
	}
	if r.ratio && r.l.MaxRatio > 0 && r.n > r.l.RatioFloor && float64(r.n) > r.l.MaxRatio*float64(r.compressed.n) {
		return n, &LimitError{Layer: r.layer, Kind: LimitRatio, Limit: r.l.MaxRatio, Got: r.n, Compressed: r.compressed.n}
	}
	return n, err
}

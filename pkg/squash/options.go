package squash

import (
	"context"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/spool"
)

// Option configures Plan and Squash.
type Option func(*options) error

// BaseResolver fetches the image a base-image annotation names
// (org.opencontainers.image.base.name and .digest), so that its layers can
// be matched. Either argument may be empty.
type BaseResolver func(ctx context.Context, name, digest string) (v1.Image, error)

type options struct {
	base        v1.Image
	resolver    BaseResolver
	keep        int // -1: not given
	all         bool
	prune       []string
	compression Compression
	level       int // 0: the codec's default
	dryRun      bool
	tempDir     string
	budget      *spool.Budget
	progress    func(Progress)
	ahead       int // -1: by the cores
}

func defaults() options { return options{keep: -1, compression: Gzip, ahead: -1} }

func (o *options) apply(opts []Option) error {
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return err
		}
	}
	n := 0
	if o.base != nil {
		n++
	}
	if o.keep >= 0 {
		n++
	}
	if o.all {
		n++
	}
	if n > 1 {
		return errors.New("give only one of base image, layers to keep, or all layers")
	}
	return checkLevel(o.compression, o.level)
}

// WithBase names the base image: the layers the image shares with it
// (by diff_id, from the bottom) are kept.
func WithBase(img v1.Image) Option {
	return func(o *options) error {
		if img == nil {
			return errors.New("base image is nil")
		}
		o.base = img
		return nil
	}
}

// WithBaseResolver lets the base-image annotations of the image be used:
// fn fetches the image they name.
func WithBaseResolver(fn BaseResolver) Option {
	return func(o *options) error {
		o.resolver = fn
		return nil
	}
}

// WithKeepLayers keeps the n lowest layers and merges the rest.
func WithKeepLayers(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("layers to keep must be >= 0, got %d", n)
		}
		o.keep = n
		return nil
	}
}

// WithAll merges every layer, the base's too.
func WithAll(all bool) Option {
	return func(o *options) error {
		o.all = all
		return nil
	}
}

// WithPrune drops the merged range's files in the named cache categories
// (PruneAll for all of them; see PruneCategories).
func WithPrune(categories ...string) Option {
	return func(o *options) error {
		if _, err := newPruner(categories); err != nil {
			return err
		}
		o.prune = append(o.prune, categories...)
		return nil
	}
}

// WithCompression sets the merged layer's compression (default Gzip).
// Zstd needs an image with OCI media types.
func WithCompression(c Compression) Option {
	return func(o *options) error {
		if err := checkCompression(c); err != nil {
			return err
		}
		o.compression = c
		return nil
	}
}

// WithCompressionLevel sets the level of the merged layer's compression:
// gzip 1 (fastest) to 9 (smallest), zstd 1 to 22 (mapped onto the zstd
// encoder's four levels, see ZstdEncoderLevel), or 0 for the codec's default
// (gzip 5, zstd 3). ParseCompressionLevel reads numbers and names. The
// compression runs on all cores; the layer's bytes depend only on the input,
// the codec and the level.
func WithCompressionLevel(level int) Option {
	return func(o *options) error {
		if level < 0 {
			return fmt.Errorf("compression level must be >= 0, got %d", level)
		}
		o.level = level
		return nil
	}
}

// WithReadAhead sets how many of the merged layers below the one being
// read are decompressed ahead of it, each on a goroutine of its own, into
// a temporary file with no name in the temporary directory, counted
// against the budget while it lives (layer.StartPrefetch). 0 turns it off;
// the default is one fewer than GOMAXPROCS, at most 4 (none on one core). Only
// compressed layers are read ahead; a dry run reads none ahead. The result
// is the same either way, byte for byte, and so are the errors.
func WithReadAhead(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("read-ahead of %d layers: give 0 or more", n)
		}
		o.ahead = n
		return nil
	}
}

// WithDryRun reads the range and reports what would be saved, writing
// nothing.
func WithDryRun(dry bool) Option {
	return func(o *options) error {
		o.dryRun = dry
		return nil
	}
}

// WithTempDir sets where the spool and the merged layer are written
// (default: the system's temporary directory). Both are files with no name
// there (spool.Create): nothing is left in it however squash ends.
func WithTempDir(dir string) Option {
	return func(o *options) error {
		o.tempDir = dir
		return nil
	}
}

// WithBudget caps the bytes squash writes to its spool and the merged
// layer, counted as they are written: a write past it fails with a
// *spool.LimitError naming what was being written. Pass the same budget to
// the writer of the result (imageref.WithBudget) to cap the output too.
// Without it, squash makes one of spool.DefaultShare of the free space of
// the temporary directory's file system (spool.DefaultBudget); a budget of
// 0 bytes caps nothing.
func WithBudget(b *spool.Budget) Option {
	return func(o *options) error {
		o.budget = b
		return nil
	}
}

// Phases of a squash, as Progress reports them.
const (
	PhaseRead  = "read"  // reading the merged layers, top first
	PhaseWrite = "write" // writing the merged layer
)

// Progress is reported after each layer is read, every few megabytes while
// the merged layer is written, and once more at the end.
type Progress struct {
	Phase string
	// Layers is the number of layers to merge, LayersDone how many are read.
	Layers, LayersDone int
	// Bytes of content written to the merged layer so far, of TotalBytes.
	Bytes, TotalBytes int64
	// Done is true on the last report.
	Done bool
}

// WithProgress sets a function called with progress reports, never
// concurrently.
func WithProgress(fn func(Progress)) Option {
	return func(o *options) error {
		o.progress = fn
		return nil
	}
}

package account

import (
	"fmt"
	"path"
	"runtime"
	"strings"

	"github.com/whittle/whittle/pkg/layer"
	"github.com/whittle/whittle/pkg/layercache"
)

// Option configures Analyze.
type Option func(*options) error

type options struct {
	jobs       int
	progress   func(Progress)
	reference  string
	duplicates bool
	dive       bool
	blobDigest bool
	watch      []string

	capture                   []string
	captureFile, captureTotal int64
	visibleFiles              bool
	visiblePaths              bool
	share                     *LayerShare
	cache                     *layercache.Cache
	limits                    *layer.Limits // nil: layer.DefaultLimits()
	diveExport                func(*DiveLayer) error
}

func defaults() options {
	return options{jobs: runtime.GOMAXPROCS(0), duplicates: true, dive: true,
		captureFile: DefaultCaptureMaxFile, captureTotal: DefaultCaptureMaxTotal}
}

// WithJobs sets how many layers are read at the same time (default
// GOMAXPROCS). Must be at least 1.
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("jobs must be at least 1, got %d", n)
		}
		o.jobs = n
		return nil
	}
}

// Progress is reported after each layer is read, and once more when the
// account is complete.
type Progress struct {
	// Layers is the number of layers, LayersDone how many are read.
	Layers, LayersDone int
	// Entries is the number of tar entries read so far.
	Entries int64
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

// WithReference records the image reference as the user gave it in the
// report (Image.Reference).
func WithReference(ref string) Option {
	return func(o *options) error {
		o.reference = ref
		return nil
	}
}

// WithDuplicates turns the search for duplicate files on or off (default
// on). Off, no file content is hashed and Report.Duplicates is empty.
func WithDuplicates(enabled bool) Option {
	return func(o *options) error {
		o.duplicates = enabled
		return nil
	}
}

// WithDive turns the computation of dive's figures on or off (default on).
func WithDive(enabled bool) Option {
	return func(o *options) error {
		o.dive = enabled
		return nil
	}
}

// WithBlobDigests turns on the sha256 check of every compressed layer blob
// against the manifest (default off). The analysis always checks each
// layer's diff_id, the sha256 of the uncompressed tar and so of every byte
// it accounts for, and each blob's length against the manifest; a
// registry's blobs are checked as they stream whatever this option says.
// On, a layer whose compressed bytes differ from their digest fails even
// when they decompress to the right content, at the cost of hashing the
// compressed bytes too (about a sixth of the analysis's own cost on a
// gzip image).
func WithBlobDigests(enabled bool) Option {
	return func(o *options) error {
		o.blobDigest = enabled
		return nil
	}
}

// WithWatch asks for every regular file that a layer ships at one of the
// given absolute paths, or under one of them, to be listed in
// Report.Watched with its layer and bytes (visible or not). A path's names
// may hold path.Match patterns (see PathUnder). Paths are cleaned;
// relative ones are ignored.
func WithWatch(paths []string) Option {
	return func(o *options) error {
		for _, p := range paths {
			if path.IsAbs(p) {
				o.watch = append(o.watch, strings.TrimPrefix(path.Clean(p), "/"))
			}
		}
		return nil
	}
}

// Default limits of WithCapture (see WithCaptureLimits).
const (
	DefaultCaptureMaxFile  = 64 << 20
	DefaultCaptureMaxTotal = 256 << 20
)

// WithCapture asks for the content of the regular files visible in the
// final filesystem at the given absolute paths (or under them; names may
// hold path.Match patterns, see PathUnder) to be returned in
// Report.Captured, read as the layers stream (each layer is still read
// once). Only what stays visible is returned: a file that a later layer
// overwrites or deletes is dropped as soon as that layer is merged.
//
// Memory is bounded by the limits of WithCaptureLimits: a file larger
// than the per-file limit, or one that would take a layer's captured
// bytes, or those of the files captured so far and still visible, past
// the total limit, is returned without content and with Skipped
// "too-large". Peak memory for captured content is at most the total
// limit times one more than the number of layers read but not yet merged.
// Paths are cleaned; relative ones are ignored.
func WithCapture(paths []string) Option {
	return func(o *options) error {
		for _, p := range paths {
			if path.IsAbs(p) {
				o.capture = append(o.capture, strings.TrimPrefix(path.Clean(p), "/"))
			}
		}
		return nil
	}
}

// WithCaptureLimits sets the limits of WithCapture: the largest file whose
// content is kept, and the most content kept in all (defaults
// DefaultCaptureMaxFile and DefaultCaptureMaxTotal). Both must be at least
// 1.
func WithCaptureLimits(perFile, total int64) Option {
	return func(o *options) error {
		if perFile < 1 || total < 1 {
			return fmt.Errorf("capture limits must be at least 1, got %d and %d", perFile, total)
		}
		o.captureFile, o.captureTotal = perFile, total
		return nil
	}
}

// WithLayerLimits sets what a layer may expand to (default
// layer.DefaultLimits(), see docs/limits.md): a layer past them fails the
// analysis with a *layer.LimitError naming it.
func WithLayerLimits(l layer.Limits) Option {
	return func(o *options) error {
		if err := l.Validate(); err != nil {
			return err
		}
		o.limits = &l
		return nil
	}
}

// WithVisibleFiles turns on the list of every visible regular file of the
// final filesystem in Report.VisibleFiles (default off): its path, size,
// layer, and which names are hard links to one file.
func WithVisibleFiles(enabled bool) Option {
	return func(o *options) error {
		o.visibleFiles = enabled
		return nil
	}
}

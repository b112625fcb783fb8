package cli

import (
	"fmt"
	"io"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"

	"github.com/whittle/whittle/pkg/layercache"
)

// cacheFlags choose the layer cache (docs/cache.md). analyze, fleet and
// diff share them.
type cacheFlags struct {
	dir     string
	off     bool
	maxSize string
}

func (c *cacheFlags) add(f *pflag.FlagSet) {
	f.StringVar(&c.dir, "cache-dir", "", "keep what is read of each layer in `DIR`, so that no later run reads it again (default: whittle/layers in the user's cache directory, $XDG_CACHE_HOME or ~/.cache)")
	f.BoolVar(&c.off, "no-cache", false, "neither read nor write the layer cache")
	f.StringVar(&c.maxSize, "cache-max-size", sizeFlag(layercache.DefaultMaxBytes), "keep the layer cache under `SIZE`, removing the entries least recently used")
}

// open returns the cache the flags choose; nil with --no-cache. The
// default directory that cannot be made (no home directory, a read-only
// one) is only warned about on stderr: the run goes on without a cache.
// A --cache-dir that cannot be made is an error.
func (c *cacheFlags) open(stderr io.Writer) (*layercache.Cache, error) {
	if c.off {
		return nil, nil
	}
	n, err := humanize.ParseBytes(c.maxSize)
	if err != nil || n > 1<<62 || n == 0 {
		return nil, fmt.Errorf("--cache-max-size: %q is not a size above 0 (20MB, 1.5GiB or bytes)", c.maxSize)
	}
	dir := c.dir
	if dir == "" {
		if dir, err = layercache.DefaultDir(); err != nil {
			fmt.Fprintf(stderr, "whittle: warning: no layer cache: %v\n", err)
			return nil, nil
		}
	}
	lc, err := layercache.Open(dir, layercache.Options{MaxBytes: int64(n)})
	if err != nil {
		if c.dir == "" {
			fmt.Fprintf(stderr, "whittle: warning: no layer cache: %v\n", err)
			return nil, nil
		}
		return nil, fmt.Errorf("--cache-dir: %w", err)
	}
	return lc, nil
}

package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"

	"github.com/whittle/whittle/pkg/imageref"
	"github.com/whittle/whittle/pkg/layer"
)

// limitFlags are the flags that bound what reading an image may cost: what
// a layer may expand to, and the metadata read into memory (docs/limits.md).
// analyze and fleet share them.
type limitFlags struct {
	timeout                  time.Duration
	expansion                float64
	layerSize, entrySize     string
	configSize, manifestSize string
}

// sizeFlag is a default size as the flags show and read it ("256GiB").
func sizeFlag(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return fmt.Sprint(n)
}

func (l *limitFlags) add(f *pflag.FlagSet) {
	f.DurationVar(&l.timeout, "timeout", imageref.DefaultTimeout, "wait at most `DURATION` for a registry's response headers, or for the next bytes of a body (a stalled body is resumed where it stopped; 0: wait for ever)")
	f.Float64Var(&l.expansion, "max-expansion", layer.DefaultMaxRatio,
		fmt.Sprintf("refuse a compressed layer that expands to more than `RATIO` times its size, once past %s (a decompression bomb; gzip never does past about 1032; 0: no limit)", sizeFlag(layer.DefaultRatioFloor)))
	f.StringVar(&l.layerSize, "max-layer-size", sizeFlag(layer.DefaultMaxBytes), "refuse a layer whose uncompressed tar holds more than `SIZE` (0: no limit)")
	f.StringVar(&l.entrySize, "max-entry-size", sizeFlag(layer.DefaultMaxEntryBytes), "refuse a layer with a file that declares more than `SIZE`, holes of a sparse file included (0: no limit)")
	f.StringVar(&l.configSize, "max-config-size", sizeFlag(imageref.DefaultMaxConfigBytes), "refuse an image config larger than `SIZE` (0: no limit)")
	f.StringVar(&l.manifestSize, "max-manifest-size", sizeFlag(imageref.DefaultMaxManifestBytes), "refuse a manifest or index (manifest.json, index.json) larger than `SIZE` (0: no limit)")
}

// sourceOptions returns the imageref options the flags set: the metadata
// limits and the timeout.
func (l *limitFlags) sourceOptions(il imageref.Limits) ([]imageref.Option, error) {
	if l.timeout < 0 {
		return nil, fmt.Errorf("--timeout must be 0 or more, not %s", l.timeout)
	}
	return []imageref.Option{imageref.WithLimits(il), imageref.WithTimeout(l.timeout)}, nil
}

// limits returns the limits the flags set.
func (l *limitFlags) limits() (layer.Limits, imageref.Limits, error) {
	size := func(flag, v string) (int64, error) {
		n, err := humanize.ParseBytes(v)
		if err != nil || n > 1<<62 {
			return 0, fmt.Errorf("--%s: %q is not a size (20MB, 1.5GiB or bytes)", flag, v)
		}
		return int64(n), nil
	}
	ll := layer.DefaultLimits()
	var il imageref.Limits
	var err error
	if l.expansion < 0 {
		return ll, il, fmt.Errorf("--max-expansion must be 0 or more, not %g", l.expansion)
	}
	ll.MaxRatio = l.expansion
	if ll.MaxBytes, err = size("max-layer-size", l.layerSize); err != nil {
		return ll, il, err
	}
	if ll.MaxEntryBytes, err = size("max-entry-size", l.entrySize); err != nil {
		return ll, il, err
	}
	if il.MaxConfigBytes, err = size("max-config-size", l.configSize); err != nil {
		return ll, il, err
	}
	if il.MaxManifestBytes, err = size("max-manifest-size", l.manifestSize); err != nil {
		return ll, il, err
	}
	return ll, il, nil
}

// limitHint adds to an error caused by a limit the flag that raises it.
func limitHint(err error) error {
	var le *layer.LimitError
	var te *imageref.TooLargeError
	var ne *imageref.NetworkError
	flag := ""
	switch {
	case errors.As(err, &ne) && ne.Timeout:
		flag = "--timeout"
	case errors.As(err, &le) && le.Kind == layer.LimitRatio:
		flag = "--max-expansion"
	case errors.As(err, &le) && le.Kind == layer.LimitBytes:
		flag = "--max-layer-size"
	case errors.As(err, &le) && le.Kind == layer.LimitEntry:
		flag = "--max-entry-size"
	case errors.As(err, &te) && te.What == "config":
		flag = "--max-config-size"
	case errors.As(err, &te):
		flag = "--max-manifest-size"
	default:
		return err
	}
	if flag == "--timeout" {
		return fmt.Errorf("%w (to wait longer, raise --timeout; see docs/limits.md)", err)
	}
	return fmt.Errorf("%w (to read it anyway, raise %s; see docs/limits.md)", err, flag)
}

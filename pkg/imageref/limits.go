package imageref

import (
	"fmt"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Limits bound the metadata Ref.Image reads into memory: an index or
// manifest (index.json, manifest.json, a manifest blob) and an image
// config. A blob larger than its limit is refused before it is read
// (*TooLargeError). A zero field means no limit.
type Limits struct {
	MaxManifestBytes int64
	MaxConfigBytes   int64
}

// Defaults of DefaultLimits: a registry (the CNCF distribution registry)
// refuses manifests over 4 MiB, so no image pushed anywhere has one; a
// config holds the history and the diff_ids, about 200 bytes a layer, so
// 16 MiB is room for tens of thousands of layers. (go-containerregistry's
// own limit on a registry's manifests, 100 MiB, still applies.)
const (
	DefaultMaxManifestBytes = 4 << 20
	DefaultMaxConfigBytes   = 16 << 20
)

// DefaultLimits returns the limits Ref.Image applies unless WithLimits
// says otherwise.
func DefaultLimits() Limits {
	return Limits{MaxManifestBytes: DefaultMaxManifestBytes, MaxConfigBytes: DefaultMaxConfigBytes}
}

// WithLimits sets the limits of what Ref.Image reads into memory (default
// DefaultLimits()). They hold for archives, OCI layouts and registries;
// the Docker Engine's output is read by go-containerregistry's daemon
// package, whose own reading they do not bound.
func WithLimits(l Limits) Option {
	return func(o *options) error {
		if l.MaxManifestBytes < 0 || l.MaxConfigBytes < 0 {
			return fmt.Errorf("metadata limits must not be negative: %+v", l)
		}
		o.limits = l
		return nil
	}
}

// TooLargeError reports a metadata blob larger than its limit (Limits).
type TooLargeError struct {
	// What is "index", "manifest" or "config"; Name the file or blob.
	What, Name  string
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s %s is %s, more than the %s a %s may be", e.What, e.Name,
		humanize.IBytes(uint64(e.Size)), humanize.IBytes(uint64(e.Limit)), e.What)
}

// limitFor returns the limit of a kind of metadata.
func (l Limits) limitFor(what string) int64 {
	if what == "config" {
		return l.MaxConfigBytes
	}
	return l.MaxManifestBytes
}

// check refuses a blob of size bytes too large for what it is.
func (l Limits) check(what, name string, size int64) error {
	if max := l.limitFor(what); max > 0 && size > max {
		return &TooLargeError{What: what, Name: name, Size: size, Limit: max}
	}
	return nil
}

// limitedImage checks an image's manifest and config against the limits
// before the config is read: a registry's image reads the config blob
// whole, whatever its size.
type limitedImage struct {
	v1.Image
	lim Limits
}

func (i limitedImage) checkConfig() error {
	raw, err := i.Image.RawManifest()
	if err != nil {
		return err
	}
	if err := i.lim.check("manifest", "of the image", int64(len(raw))); err != nil {
		return err
	}
	m, err := i.Image.Manifest()
	if err != nil {
		return err
	}
	return i.lim.check("config", m.Config.Digest.String(), m.Config.Size)
}

func (i limitedImage) RawConfigFile() ([]byte, error) {
	if err := i.checkConfig(); err != nil {
		return nil, err
	}
	return i.Image.RawConfigFile()
}

func (i limitedImage) ConfigFile() (*v1.ConfigFile, error) {
	if err := i.checkConfig(); err != nil {
		return nil, err
	}
	return i.Image.ConfigFile()
}

package imageref

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound reports that the image, tag or file a reference names does not
// exist. Check it with errors.Is.
var ErrNotFound = errors.New("image not found")

// ErrNotTar reports that a file read as an archive (docker-archive:PATH,
// or a path without prefix) is not a tar archive at all: empty, text, or
// anything else without a tar header at its start. A tar cut short is
// not ErrNotTar: it reports io.ErrUnexpectedEOF. Check it with errors.Is.
var ErrNotTar = errors.New("not a tar archive")

// ErrExists reports that writing would replace what is already at a
// destination: a file, an OCI layout, or an image of the same tag in a
// layout. Ref.Write and Ref.CheckWrite refuse that unless WithReplace(true).
// Errors matching it are *ExistsError. Check it with errors.Is.
var ErrExists = errors.New("destination exists")

// ExistsError reports what a write would replace (see ErrExists).
type ExistsError struct {
	// Path is the file or directory that exists.
	Path string
	// Tag is the tag of the layout's image that would be replaced, or ""
	// when Path itself would be.
	Tag string
}

func (e *ExistsError) Error() string {
	if e.Tag != "" {
		return fmt.Sprintf("%s already holds an image tagged %q", e.Path, e.Tag)
	}
	return e.Path + " already exists"
}

// Is makes errors.Is(err, ErrExists) true.
func (e *ExistsError) Is(target error) bool { return target == ErrExists }

// PlatformError reports that no image in a multi-platform index matches the
// requested platform. Available lists the platforms the index offers.
type PlatformError struct {
	Want      string
	Available []string
}

func (e *PlatformError) Error() string {
	avail := "none"
	if len(e.Available) > 0 {
		avail = strings.Join(e.Available, ", ")
	}
	return fmt.Sprintf("no image for platform %s (available: %s)", e.Want, avail)
}

// AmbiguousError reports that a source holds several images and the
// reference does not say which one to use. Images lists their names (tags,
// or digests for untagged ones).
type AmbiguousError struct {
	Images []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%d images, name one of: %s", len(e.Images), strings.Join(e.Images, ", "))
}

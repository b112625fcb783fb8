package squash

import (
	"errors"
	"fmt"

	"github.com/dustin/go-humanize"

	"github.com/whittle/whittle/pkg/layer"
)

// EntryError reports an entry of a merged layer that squash refuses
// though analyze reads it: one that would be written through a symlink or
// under another non-directory, a sparse file (GNU or PAX), a hard link to a
// file --prune drops. Entries no reader of whittle accepts are refused as
// analyze refuses them, by pkg/layer: a *layer.UnsafeEntryError (a path
// that escapes the root), a *layer.InvalidEntryError (layer.Entry.Check,
// and hard links to nothing, to themselves or to a directory,
// layer.CheckLink). Nothing is written when any is returned.
type EntryError struct {
	// Layer names the layer: "layer N (sha256:...)", N its index in the
	// image, bottom first.
	Layer string
	// Path is the entry's cleaned path.
	Path string
	// Reason says what is wrong, as a phrase that follows the path.
	Reason string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("%s: entry %q %s", e.Layer, e.Path, e.Reason)
}

// ErrSameRef is returned when the destination is the source.
var ErrSameRef = errors.New("the destination is the source")

// ErrNoBase is returned when no option names the base and the image's
// annotations and history do not tell where it ends.
var ErrNoBase = errors.New("cannot tell where the base image ends: give --base, --keep-layers or --all")

// ErrNothingToMerge is returned by Squash (not in a dry run) when every
// layer of the image belongs to the base: there is no layer to merge.
var ErrNothingToMerge = errors.New("nothing to merge")

// sparseError refuses a sparse entry that the merged layer would hold:
// archive/tar cannot write one sparse, and writing its holes as zeros could
// turn a few kB of tar into a terabyte on disk.
func sparseError(layerName string, e *layer.Entry) error {
	return &EntryError{Layer: layerName, Path: e.Path, Reason: fmt.Sprintf(
		"is a sparse file (%s declared, holes included): squash cannot write it sparse, and does not write its holes as zeros",
		humanize.IBytes(uint64(max(e.Header.Size, 0))))}
}

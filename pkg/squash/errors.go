package squash

import (
	"errors"
	"fmt"
)

// EntryError reports an entry of a merged layer that squash refuses
// though analyze reads it: one that would be written through a symlink or
// under another non-directory, a GNU sparse file, a hard link to a file
// --prune drops. Entries no reader of whittle accepts are refused as
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

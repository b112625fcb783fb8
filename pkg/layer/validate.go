package layer

import (
	"archive/tar"
	"fmt"
	"strings"
)

// This file is the one place that says which entries of a layer are
// invalid, for every reader and writer of whittle: an image analyze
// refuses is one squash refuses to read, and never one it writes. Walk
// checks each entry on its own (Check); a hard link's target is checked
// against the reader's model of the layers (CheckLink), since only the
// reader knows what lies below.

// InvalidEntryError reports an entry that breaks the OCI image layer
// rules: a whiteout of "." or "..", a whiteout or opaque marker that is
// not a regular file, an entry under a whiteout name, a hard link to
// itself, to a directory or to nothing.
type InvalidEntryError struct {
	// Layer names the layer (its digest), as the other errors of Walk.
	Layer string
	// Path is the entry's cleaned path (Name, the tar name as written,
	// when the path is not what is wrong).
	Path string
	// Link is a hard link's target, for the link reasons.
	Link string
	// Reason is one of the Invalid constants.
	Reason string
	// Type is the entry's tar type, for InvalidType.
	Type byte
}

// Reasons of an InvalidEntryError.
const (
	InvalidWhiteoutName = "whiteout-name" // .wh. of "", "." or ".."
	InvalidWhiteoutType = "whiteout-type" // a whiteout or opaque marker that is not a regular file
	InvalidUnderMarker  = "under-marker"  // an entry whose parent directory is named .wh.*
	InvalidLinkSelf     = "link-self"     // a hard link to itself
	InvalidLinkDir      = "link-dir"      // a hard link to a directory
	InvalidLinkMissing  = "link-missing"  // a hard link to an entry that does not exist
	InvalidType         = "type"          // a tar type the OCI layer rules do not define
)

func (e *InvalidEntryError) Error() string {
	var what string
	switch e.Reason {
	case InvalidWhiteoutName:
		what = "is a whiteout of nothing, of . or of .. (only a name of its directory can be whited out)"
	case InvalidWhiteoutType:
		what = "is a whiteout or an opaque marker but not a regular file"
	case InvalidUnderMarker:
		what = "lies under a whiteout or opaque marker name, which names no directory"
	case InvalidLinkSelf:
		what = "is a hard link to itself"
	case InvalidLinkDir:
		what = fmt.Sprintf("is a hard link to %q, a directory", e.Link)
	case InvalidType:
		what = fmt.Sprintf("has tar type %q, which the OCI image layer rules do not define (files, directories, symlinks, hard links, devices and fifos)", e.Type)
	case InvalidLinkMissing:
		what = fmt.Sprintf("is a hard link to %q, which neither this layer (before it) nor the layers below hold", e.Link)
	default:
		what = "is invalid: " + e.Reason
	}
	return fmt.Sprintf("layer %s: entry %q %s", e.Layer, e.Path, what)
}

// Check reports whether the entry is valid on its own, as Walk does for
// every entry before handing it over (a *InvalidEntryError naming layer):
// a whiteout names a child of its directory (not "", "." or ".."); a
// whiteout or opaque marker is a regular file; no entry lies under a
// whiteout or opaque marker name (a whiteout shaped as a directory, then a
// file under it); a hard link does not name itself; the tar type is one
// the OCI layer rules define (Classify says KindUnknown otherwise). Whether a hard link's
// target exists, and is not a directory, needs the layers below:
// CheckLink.
func (e *Entry) Check(layer string) error {
	bad := func(reason string) error {
		return &InvalidEntryError{Layer: layer, Path: e.Path, Link: e.Link, Reason: reason, Type: e.Header.Typeflag}
	}
	for dir := e.Path; ; {
		i := strings.LastIndexByte(dir, '/')
		if i < 0 {
			break
		}
		dir = dir[:i]
		c := dir[strings.LastIndexByte(dir, '/')+1:]
		// aufs keeps metadata directories (.wh..wh.plnk); a whiteout or
		// an opaque marker is never a directory.
		if k, _ := Classify(c, tar.TypeDir); k == KindWhiteout || k == KindOpaque {
			return bad(InvalidUnderMarker)
		}
	}
	kind, target := Classify(e.Path, e.Header.Typeflag)
	switch kind {
	case KindWhiteout:
		if name := target[strings.LastIndexByte(target, '/')+1:]; name == "" || name == "." || name == ".." {
			return bad(InvalidWhiteoutName)
		}
		fallthrough
	case KindOpaque:
		if e.Header.Typeflag != tar.TypeReg && e.Header.Typeflag != tar.TypeRegA {
			return bad(InvalidWhiteoutType)
		}
	case KindHardlink:
		if e.Link == e.Path {
			return bad(InvalidLinkSelf)
		}
	case KindUnknown:
		return bad(InvalidType)
	}
	return nil
}

// TargetKind is what a hard link's target is in the reader's model of the
// layers: the entries of the same layer before the link, over the layers
// below.
type TargetKind int

// Kinds of target.
const (
	TargetMissing TargetKind = iota // nothing at the target's path
	TargetDir                       // a directory
	TargetOther                     // a regular file, a symlink, a device: a valid target
)

// CheckLink reports a hard link at path whose target, as the reader
// resolved it, is missing or a directory (a *InvalidEntryError naming
// layer). A hard link may name an entry of its own layer written before
// it, or one of the layers below.
func CheckLink(layer, path, target string, kind TargetKind) error {
	switch kind {
	case TargetMissing:
		return &InvalidEntryError{Layer: layer, Path: path, Link: target, Reason: InvalidLinkMissing}
	case TargetDir:
		return &InvalidEntryError{Layer: layer, Path: path, Link: target, Reason: InvalidLinkDir}
	}
	return nil
}

package layer

import (
	"archive/tar"
	"strings"
)

// This file is the one model of what a layer's entries mean, by the OCI
// image layer rules, for every reader and writer of whittle: analyze
// (pkg/fstree applies layers bottom-up), squash (pkg/squash merges them
// top-down) and fleet all classify entries with Classify, and Walk refuses
// the invalid ones (validate.go) before handing any over.

// Kind is what an entry means in the layer model.
type Kind uint8

// Kinds of entry.
const (
	// KindUnknown is a tar type the OCI layer rules do not define (a
	// contiguous file, a volume header, a type letter of no tar format):
	// Entry.Check refuses it, so Walk never hands one over.
	KindUnknown  Kind = iota
	KindFile          // a regular file (GNU sparse included: see Entry.Sparse)
	KindDir           // a directory
	KindSymlink       // a symbolic link (never followed)
	KindHardlink      // a hard link: another name of Entry.Link's file
	KindDevice        // a character or block device, or a fifo
	KindWhiteout      // ".wh.NAME": NAME, and what is under it, removed from LOWER layers
	KindOpaque        // ".wh..wh..opq": the LOWER layers' content of its directory hidden
	KindMeta          // other ".wh..wh.*" names (aufs metadata): no file of the image
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindDir:
		return "directory"
	case KindSymlink:
		return "symlink"
	case KindHardlink:
		return "hard link"
	case KindDevice:
		return "device"
	case KindWhiteout:
		return "whiteout"
	case KindOpaque:
		return "opaque marker"
	case KindMeta:
		return "whiteout metadata"
	}
	return "unknown"
}

// Classify says what an entry at the cleaned path p (see Clean) with tar
// type typeflag means, and for a whiteout the path it removes, for an
// opaque marker the directory it makes opaque ("" for the root). The name
// decides before the type: ".wh.NAME" is a whiteout whatever its type
// (Entry.Check refuses one that is not a regular file, and one of "", "."
// or ".."); ".wh..wh..opq" is an opaque marker; any other ".wh..wh." name
// is metadata.
func Classify(p string, typeflag byte) (Kind, string) {
	i := strings.LastIndexByte(p, '/')
	dir, base := p[:i+1], p[i+1:]
	if strings.HasPrefix(base, WhiteoutPrefix) {
		switch {
		case base == OpaqueMarker:
			return KindOpaque, strings.TrimSuffix(dir, "/")
		case strings.HasPrefix(base, metaPrefix):
			return KindMeta, ""
		}
		return KindWhiteout, dir + base[len(WhiteoutPrefix):]
	}
	switch typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		return KindFile, ""
	case tar.TypeDir:
		return KindDir, ""
	case tar.TypeSymlink:
		return KindSymlink, ""
	case tar.TypeLink:
		return KindHardlink, ""
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return KindDevice, ""
	}
	return KindUnknown, ""
}

// Kind says what the entry means (see Classify).
func (e *Entry) Kind() Kind {
	k, _ := Classify(e.Path, e.Header.Typeflag)
	return k
}

// Whiteout reports whether the entry is a whiteout ".wh.NAME", and the path
// it removes from the LOWER layers.
func (e *Entry) Whiteout() (string, bool) {
	k, t := Classify(e.Path, e.Header.Typeflag)
	return t, k == KindWhiteout
}

// Opaque reports whether the entry is an opaque marker ".wh..wh..opq", and
// the directory ("" for the root) whose LOWER-layer content it hides.
func (e *Entry) Opaque() (string, bool) {
	k, t := Classify(e.Path, e.Header.Typeflag)
	return t, k == KindOpaque
}

// Meta reports whether the entry is whiteout metadata that is neither a
// whiteout nor an opaque marker (aufs ".wh..wh.plnk" and the like): such
// entries carry no file of the image.
func (e *Entry) Meta() bool { return e.Kind() == KindMeta }

// WhiteoutPath returns the path of the whiteout entry that removes p
// ("a/b" gives "a/.wh.b"), OpaquePath that of the opaque marker of
// directory dir ("" for the root): the names a writer gives the markers
// Classify reads back.
func WhiteoutPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	return p[:i+1] + WhiteoutPrefix + p[i+1:]
}

// OpaquePath returns the path of the opaque marker of directory dir.
func OpaquePath(dir string) string {
	if dir == "" {
		return OpaqueMarker
	}
	return dir + "/" + OpaqueMarker
}

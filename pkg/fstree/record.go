package fstree

import (
	"github.com/whittle/whittle/pkg/layer"
)

// Type is the kind of a Record.
type Type uint8

// Record types.
const (
	TypeReg      Type = iota + 1 // regular file
	TypeDir                      // directory
	TypeSymlink                  // symbolic link (never followed)
	TypeHardlink                 // hard link to Link
	TypeOther                    // device, fifo and other non-regular files
	TypeWhiteout                 // ".wh.NAME": Path is the path removed from lower layers
	TypeOpaque                   // ".wh..wh..opq": Path is the directory ("" = root)
	TypeMeta                     // other ".wh..wh.*" metadata: no file
)

// Record is the compact account of one tar entry: what merging needs, and
// never the content itself.
type Record struct {
	// Path is the cleaned path; for TypeWhiteout the path it removes, for
	// TypeOpaque the directory whose lower content it hides.
	Path string
	// Link is a hard link's cleaned target or a symlink's target.
	Link string
	// Size is the size the tar header declares (content bytes for regular
	// files).
	Size int64
	Mode int64
	Type Type
	// Hashed is true when Hash holds the XXH3-128 of a regular file's
	// content (big-endian), used to find files of equal content.
	Hashed bool
	Hash   [16]byte
}

// RecordOf makes the record of a layer entry (without content hash), by
// what layer.Classify says it means.
func RecordOf(e *layer.Entry) Record {
	r := Record{Path: e.Path, Size: e.Header.Size, Mode: e.Header.Mode}
	kind, target := layer.Classify(e.Path, e.Header.Typeflag)
	switch kind {
	case layer.KindOpaque:
		r.Path, r.Type = target, TypeOpaque
	case layer.KindWhiteout:
		r.Path, r.Type = target, TypeWhiteout
	case layer.KindMeta:
		r.Type = TypeMeta
	case layer.KindFile:
		r.Type = TypeReg
	case layer.KindDir:
		r.Type = TypeDir
	case layer.KindSymlink:
		r.Type, r.Link = TypeSymlink, e.Link
	case layer.KindHardlink:
		r.Type, r.Link = TypeHardlink, e.Link
	default:
		r.Type = TypeOther
	}
	return r
}

package layer

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// UnsafeEntryError reports a tar entry whose path, or whose hard link target,
// escapes the root of the layer (for example "../etc/passwd").
type UnsafeEntryError struct {
	// Layer names the layer: its digest, or its diff_id when the blob
	// has no digest of its own.
	Layer string
	// Name is the entry name as written in the tar.
	Name string
	// Linkname is the hard link target as written in the tar, set when the
	// target is what escapes.
	Linkname string
}

func (e *UnsafeEntryError) Error() string {
	if e.Linkname != "" {
		return fmt.Sprintf("layer %s: entry %q: hard link target %q escapes the root", e.Layer, e.Name, e.Linkname)
	}
	return fmt.Sprintf("layer %s: entry %q escapes the root", e.Layer, e.Name)
}

// Digest kinds of a DigestMismatchError.
const (
	KindDiffID = "diff_id" // sha256 of the uncompressed tar stream
	KindDigest = "digest"  // sha256 of the compressed blob
)

// DigestMismatchError reports a layer whose bytes do not hash to what the
// image says they should.
type DigestMismatchError struct {
	Layer string
	// Kind is KindDiffID or KindDigest.
	Kind string
	Want v1.Hash
	Got  v1.Hash
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("layer %s: %s mismatch: want %s, got %s", e.Layer, e.Kind, e.Want, e.Got)
}

// CorruptError reports a layer stream that cannot be read to its end: a
// truncated or corrupt compressed stream, or a malformed tar.
type CorruptError struct {
	Layer string
	Err   error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("layer %s: corrupt or truncated stream: %v", e.Layer, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

package layercache

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/fstree"
	"github.com/whittle/whittle/pkg/layer"
)

// Version is the version of the cached per-layer computation and of its
// format: an entry written under another version is ignored and replaced.
// Bump it whenever what is stored, or how a layer's records, hashes or
// captures are computed, changes.
const Version = 1

// Entry is what reading one layer's content yields, as plain data.
type Entry struct {
	// DiffID is the sha256 of the layer's uncompressed tar: the key.
	DiffID v1.Hash
	// UncompressedSize is the length of the tar stream; Entries the number
	// of entries read (layer.Info).
	UncompressedSize int64
	Entries          int64
	// Hashed is true when the regular files' content hashes were computed
	// (fstree.Record.Hash); an entry without them serves only readers
	// that do not need them.
	Hashed bool
	// Records are the layer's entries in tar order (fstree.RecordOf, with
	// hashes when Hashed).
	Records []fstree.Record
	// Owners holds the owner of each record, in the same order.
	Owners []Owner
	// Blobs are the stored forms of the layer seen to decompress to
	// DiffID, each under the limits it was read with.
	Blobs []Blob
	// Captures hold the content of captured files, one set per capture
	// specification.
	Captures []CaptureSet
}

// Owner is the owner of one entry, as its tar header says.
type Owner struct{ UID, GID int64 }

// Blob is one stored form of a layer that was read in full and found to
// decompress to the entry's diff_id.
type Blob struct {
	// Digest is the blob's digest as the image declares it (the diff_id
	// for a layer stored as a plain tar); Size its length in bytes as read.
	Digest      v1.Hash
	Size        int64
	Compression layer.Compression
	// Limits are the limits the blob was read under and passed.
	Limits layer.Limits
}

// CaptureSet is the content a capture specification kept of a layer.
type CaptureSet struct {
	// Spec names the specification (its paths and limits), as the reader
	// that captured it spells it.
	Spec  string
	Files []Capture
}

// Capture is one captured regular file.
type Capture struct {
	// Reg is the file's rank among the layer's regular-file records.
	Reg int
	// Data is the content (nil when not kept, then Skipped says why).
	Data    []byte
	Skipped string
}

// Within reports whether limits now refuse nothing that limits passed
// refuse: every limit of now is off, or at least as high as passed's.
// A layer that was read under passed is then read under now too.
func Within(now, passed layer.Limits) bool {
	looser := func(n, p int64) bool { return n == 0 || (p != 0 && n >= p) }
	ratio := now.MaxRatio == 0 || (passed.MaxRatio != 0 && now.MaxRatio >= passed.MaxRatio && now.RatioFloor >= passed.RatioFloor)
	return ratio && looser(now.MaxBytes, passed.MaxBytes) && looser(now.MaxEntryBytes, passed.MaxEntryBytes)
}

// Blob returns the blob of the entry with this digest and length that was
// read under limits lim passes (see Within).
func (e *Entry) Blob(digest v1.Hash, size int64, lim layer.Limits) (Blob, bool) {
	for _, b := range e.Blobs {
		if b.Digest == digest && b.Size == size && Within(lim, b.Limits) {
			return b, true
		}
	}
	return Blob{}, false
}

// CaptureSet returns the captures made under spec.
func (e *Entry) CaptureSet(spec string) (CaptureSet, bool) {
	for _, c := range e.Captures {
		if c.Spec == spec {
			return c, true
		}
	}
	return CaptureSet{}, false
}

// Most blobs and capture sets an entry keeps (the newest first).
const (
	maxBlobs    = 16
	maxCaptures = 4
)

// Merge returns e with what old, an earlier entry of the same layer, knew
// and e does not: its other blobs and capture sets, and its content
// hashes when e has none. An old entry of another layer, or one whose
// records do not match e's, is dropped.
func Merge(e, old *Entry) *Entry {
	if old == nil || old.DiffID != e.DiffID || len(old.Records) != len(e.Records) || old.Entries != e.Entries {
		return e
	}
	out := *e
	if !e.Hashed && old.Hashed {
		out.Records, out.Hashed = old.Records, true
	}
	out.Blobs = append([]Blob(nil), e.Blobs...)
	for _, b := range old.Blobs {
		if len(out.Blobs) >= maxBlobs {
			break
		}
		dup := false
		for _, n := range out.Blobs {
			dup = dup || (n.Digest == b.Digest && n.Size == b.Size)
		}
		if !dup {
			out.Blobs = append(out.Blobs, b)
		}
	}
	out.Captures = append([]CaptureSet(nil), e.Captures...)
	for _, c := range old.Captures {
		if len(out.Captures) >= maxCaptures {
			break
		}
		if _, ok := out.CaptureSet(c.Spec); !ok {
			out.Captures = append(out.Captures, c)
		}
	}
	return &out
}

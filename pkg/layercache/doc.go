// Package layercache keeps, on disk, what analysing a layer computes from
// its content, so that a layer read once is never read again: its entries
// (path, type, mode, owner, size, link target, whiteouts and opaque
// markers), the content hash of each regular file, the content of the
// files an analysis captured (package databases), and the blobs seen to
// decompress to it.
//
// An entry is keyed by the layer's diff_id (the sha256 of its uncompressed
// tar) and by Version, the version of the per-layer computation: an entry
// of another version is ignored and replaced. Entries are written to a
// temporary file in the cache directory and renamed into place, so that
// concurrent runs sharing a directory never see half an entry; each entry
// carries a checksum, and one that is truncated, corrupt or foreign (another
// version, another diff_id) is a miss. The directory is kept under a size
// cap by removing the entries least recently used (a hit touches the
// entry's modification time).
//
// See docs/cache.md for what a cached layer spares and what is still read
// and checked.
package layercache

// Package layer streams the entries of one image layer exactly once.
//
// Walk detects the layer's compression (gzip, zstd or none) from its media
// type and from the stream's magic bytes, reads the tar to its end, cleans
// every entry path ("./a/b" and "/a/b" both become "a/b"), refuses entries
// and hard links that would escape the root, and verifies the layer's
// diff_id (the sha256 of the uncompressed stream) and, where known, the
// digest of the compressed blob. A layer is never held in memory: entries
// are handed to a callback one at a time, with a reader over their content.
// A layer that expands past its Limits (a decompression bomb, an entry
// declaring terabytes) is refused as soon as it does, with a *LimitError
// naming it (docs/limits.md). Layers returns an image's layers with its
// config, refusing a config whose diff_ids are not as many as the layers.
//
// The package owns the OCI layer rules for every reader and writer of
// whittle: Classify says what an entry means (a whiteout and the path it
// removes, an opaque marker and its directory, aufs metadata, a file, a
// hard link...), Entry.Check (applied by Walk to every entry) and
// CheckLink say what is invalid. analyze, squash and fleet use them and
// no copy of their own.
package layer

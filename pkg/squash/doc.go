// Package squash rewrites an image without rebuilding it: the layers above
// the base image are merged into one layer, so that bytes which ship but
// are not visible (overwritten, whited out, hidden by an opaque directory
// or under a deleted directory) disappear, while the base image's layers
// stay untouched and therefore shared with every other image on that base.
//
// The merge is lossless: applying the output's layers gives the same final
// filesystem as applying the input's (paths, types, modes, owners, mtimes,
// xattrs, link targets, hard links, content), unless pruning of known
// package-manager caches was asked for. Config and history are rewritten
// consistently; the result is reproducible (same input and options, same
// digest).
//
// # How the merge works
//
// The layers of the merged range are read once each, from the top layer
// down, each as a stream. An entry is visible when no higher layer decided
// its path (wrote it or whited it out) and no higher layer hid its parent
// directories (a whiteout, an opaque marker, or a non-directory at a
// parent). Changes a layer makes to that state take effect only for the
// layers below it: a whiteout or opaque marker hides LOWER layers only, as
// the OCI image layer specification says, whatever the order of the tar.
// Only visible content is copied, uncompressed, to a spool file; headers
// are kept in memory (one small record per path, never content). When all
// layers are read, the merged layer is written from the spool in a fixed
// order (by path, parents before children, an opaque marker before its
// siblings, a hard link after its target), compressed, with its digest and
// diff_id computed while writing. Each merged layer's blob is read and
// decompressed on a goroutine of its own and its diff_id hashed on another
// (layer.Walk's read pipeline), a few chunks ahead of the tar parsing, the
// merge and the copy to the spool;
// the spool is written on another goroutine while the layers are read, and
// read back in runs of files that lie back to back in it.
//
// # Compression
//
// The merged layer is compressed with gzip (default) or zstd
// (WithCompression), at a level (WithCompressionLevel,
// ParseCompressionLevel), on all cores: gzip in blocks of 1 MiB, each with
// the end of the one before as its dictionary, written as one gzip stream;
// zstd in the encoder's concurrent jobs, written as one frame. Where the
// blocks and jobs are cut depends only on the level, so the output is the
// same on any number of cores.
//
// Whiteouts and opaque markers that hide content of the KEPT layers are
// kept in the merged layer; those that only concern content inside the
// range are dropped. What the base holds is not used for that, so a marker
// is kept whenever the kept layers may hold what it hides: the rule is that
// a marker is needed unless a lower layer of the range already hid the same
// path (or a parent of it) from the kept layers.
//
// # One set of rules
//
// What an entry means (layer.Classify) and what is invalid (layer.Walk's
// Entry.Check, layer.CheckLink) come from pkg/layer, as for analyze: an
// image analyze refuses is refused here, with the same error, before
// anything is written. The kept layers are read once in the background
// for that, and every entry of the image goes through the tree analyze
// builds (pkg/fstree), bottom-up, which checks the hard links.
package squash

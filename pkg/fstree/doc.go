// Package fstree merges the layers of an image into its final filesystem,
// keeping track of every regular file's bytes: which stay visible, and
// which ship but are hidden (overwritten, whited out, hidden by an opaque
// directory, or under a directory deleted or replaced by a later layer).
//
// The rules are those of the OCI image layer specification, applied layer
// by layer from the bottom: a whiteout ".wh.NAME" or an opaque marker
// ".wh..wh..opq" hides entries of LOWER layers only, so entries of the same
// layer stay visible whatever their order in the tar; an entry replaces
// what was at its path; a hard link names the same file as its target (its
// bytes are counted once, and stay visible while any name does), which
// must exist before it and not be a directory (layer.CheckLink); symlinks
// are never followed.
//
// The tree stores one node per path, its name a part of the path of the
// entry that made it (not a copy), never file content, so memory grows
// with the number of paths, not with bytes.
package fstree

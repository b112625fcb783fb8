// Package diff compares two images: what changed between their final
// filesystems, path by path (rolled up by directory), by OS package and by
// layer, and how their figures (size, compressed size, visible bytes)
// moved. The result is plain data; renderers live elsewhere.
//
//	rep, err := diff.Diff(ctx, oldImg, newImg, diff.WithReferences("app:1", "app:2"))
//
// Both images are read the way pkg/account reads one: each layer once,
// streamed, every diff_id checked, memory bounded by the number of paths.
// The two analyses run side by side, and a layer that both images hold
// (the same diff_id in the same blob) is read once for both
// (account.LayerShare).
//
// A path is compared by what the final filesystems hold at it: its type,
// its mode and owner, a symbolic link's target, and a regular file's
// content, decided by its size and, at equal size, by the XXH3-128 hash
// that the account computes of every file for its duplicate search. A
// sparse file, which the account does not hash, is compared by size only.
// Which layer shipped a file does not matter: a file rebuilt with the same
// content is unchanged.
//
// Bytes are counted as analyze counts visible bytes: a file's content
// once, under its first name in path order when hard links give it
// several, so that the byte changes of the paths add up to the change of
// visible_bytes. docs/diff.md states every rule.
package diff

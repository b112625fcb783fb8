// Package edit rewrites a file as a set of byte-range edits on its original
// bytes, and writes new shell in the style the file already uses.
//
// Repairs never re-print a Dockerfile: BuildKit's parse tree drops comments
// inside continuations, and re-printing would disturb lines nobody asked to
// change. Instead each repair is a group of Edits against the original
// bytes. A Set accepts groups that do not overlap any edit already in it, so
// repairs compose: the bytes outside every edit stay byte-identical.
//
// Style describes how a file continues shell commands across lines (escape
// character, indentation, where the && goes, line endings); Style.Append
// writes new commands to match it.
package edit

// Package synth builds synthetic images from declared layers of entries:
// regular files with content, directories, symlinks, hard links, whiteouts
// and opaque markers, written in the order given, gzip, zstd or
// uncompressed, with a history that may hold empty_layer entries. Tests
// use it to build images whose account is known by construction.
//
// Large writes a big image to disk for the benchmark of whittle analyze.
package synth

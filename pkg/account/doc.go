// Package account computes the exact account of an image's bytes: per layer,
// per file, waste, caches, duplicates and dive's figures, as plain data.
package account

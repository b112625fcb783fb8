//go:build race

package testenv

// Race is true when the race detector is on: its instrumentation
// allocates beside the code measured.
const Race = true

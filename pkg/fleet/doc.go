// Package fleet accounts for several images at once: what they take on a
// host that holds them all, with the layers they share counted once, and
// which base layer stacks they share. Each distinct layer blob is read
// once, streamed and checked like analyze reads layers.
package fleet

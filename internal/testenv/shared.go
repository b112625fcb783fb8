//go:build shared

package testenv

// SharedTier reports whether the tests were built with -tags shared, the
// tier that reads the shared test data. Code that must compile in both
// tiers (a fuzz target seeded from the shared corpus, say) branches on it.
const SharedTier = true

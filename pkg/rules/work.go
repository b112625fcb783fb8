package rules

import "sync/atomic"

// compares counts the comparisons the rules make between one thing a
// command made and what another command does (a path against a removed
// path, a package against a removed one, an archive against an extracted
// one), index look-ups included, step by step. The scaling tests read it:
// a question answered by reading the rest of a RUN costs as many steps
// as there are commands after it; one answered from an index costs the
// depth of its path.
var compares atomic.Int64

func compared(n int) { compares.Add(int64(n)) }

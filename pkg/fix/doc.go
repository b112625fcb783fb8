// Package fix repairs the size problems that whittle's rules find in a
// Dockerfile, as minimal byte edits on the original text (package edit).
//
// Every repair is tied to a rule ID and only made where it keeps the
// Dockerfile's meaning: cache flags and cleanups are added inside the RUN
// that made the cache, RUNs are merged only when nothing between them
// changes the later one's environment (or the change is carried over
// explicitly) and a failing earlier command still fails the build, COPY
// followed by a recursive chown becomes COPY --chown, a local archive
// copied and extracted becomes ADD. A base image is never switched unless
// WithBaseImage asks for one.
//
// Fix works in passes: each pass parses the current text with package
// dockerfile, collects repairs whose edits do not overlap, applies them and
// checks that the result parses (BuildKit) and that every changed RUN parses
// (mvdan.cc/sh); a repair that breaks either is dropped. Passes repeat until
// nothing changes, so Fix is idempotent: Fix(Fix(x)) == Fix(x). A file with
// nothing to repair comes back byte-identical.
package fix

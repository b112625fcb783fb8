// Package verify proves a Dockerfile repair harmless, or shows where it may
// not be: it builds the original and the repaired Dockerfile with a
// container engine, compares the two images with pkg/diff, and sorts every
// path that disappeared or changed into the known categories whose loss
// cannot change what the image runs (package-manager and build caches,
// documentation and locales, package-manager databases and logs) and the
// rest: each of those is a possible change in behaviour.
//
//	eng, err := verify.FindEngine(ctx, "")
//	res, err := verify.Verify(ctx, original, fixed, verify.Options{Engine: eng, Context: "."})
//	if !res.Harmless { ... res.Suspect ... }
//
// Engines (Engine) are the docker CLI and buildah, found on PATH by
// FindEngine; tests pass a fake one that returns synthetic images.
// Verify never writes into the build context: both Dockerfiles are built
// from temporary files outside it, and the images it built are removed
// afterwards unless Options.KeepImages. docs/fix.md ("Proving a fix")
// states every rule.
package verify

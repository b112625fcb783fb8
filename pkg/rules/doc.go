// Package rules holds whittle's Dockerfile size rules: one file per rule with
// its ID, severity, documentation page, check and repair.
//
// Lint runs the rules over a *dockerfile.File and returns plain Findings.
// Each rule is a stateless value implementing Rule (Meta and Check; rules
// that may do I/O also implement ContextRule); All lists them. Rules read
// the model (instructions, stages, scopes, mounts) and what the shell of
// every RUN does, as pkg/shellfacts reads it once per file (commands
// unwrapped from sudo, env and sh -c, variables and working directories
// resolved, package-manager operations, downloads, extractions and file
// operations recognized); cleanups are matched by the paths they cover, in
// order, so that `rm -rf /tmp/x` never passes for an apt cleanup.
//
// Lint then applies what is common to every rule: selection (WithRules,
// WithoutRules, by whittle or hadolint ID), inline ignores ("# whittle
// ignore=ID" and "# hadolint ignore=DLxxxx" before an instruction,
// "# whittle global ignore=ID" anywhere), severity overrides, and stage
// awareness: a finding in a stage whose layers do not reach the final image
// is reported at Info with InFinalImage false.
//
// The image rules (WH8xx, ImageRules) share the catalogue (Catalogue) and
// its numbering: CheckImage runs them over a built image's account and its
// package attribution (pkg/packages) and returns plain ImageFindings: build
// tools, -dev headers, pip and caches left in the final filesystem, with
// their bytes and the instruction that installed them. Lint does not run
// them, and they have no repair.
package rules

//go:generate go run ../../internal/rulesindex -index ../../docs/rules/README.md

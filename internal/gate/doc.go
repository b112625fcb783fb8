// Package gate decides whether an analyzed image passes the CI thresholds of
// `whittle analyze --ci`, and whether the change between two images passes
// those of `whittle diff` (max-growth and max-growth-ratio, judged by
// EvaluateDiff on a diff.Report).
//
// A Rule compares one figure of an account.Report with a threshold. whittle's
// own rules are max-wasted-bytes (the exact wasted_bytes), max-wasted-ratio
// (wasted_bytes / size_bytes) and min-efficiency (dive's efficiency). dive's
// .dive-ci file is read as dive reads it (ParseDiveCI), so that its rules
// lowestEfficiency, highestWastedBytes and highestUserWastedPercent carry
// over unchanged, and they judge dive's figures (the report's dive block) the
// way dive's own evaluator does. Rules come from several sources; Merge lets
// a later source override an earlier one rule by rule, per figure.
//
// The package computes no figure: it reads them from the report. It holds no
// rendering either; internal/report prints an Outcome.
package gate

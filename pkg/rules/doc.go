// Package rules holds whittle's Dockerfile size rules: one file per rule with
// its ID, severity, documentation page, check and repair.
package rules

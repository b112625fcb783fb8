// Package report renders whittle's plain results as text, JSON, SARIF and
// HTML. Renderers format and sort what they are given; they never compute a
// figure. The analyze renderers (AnalyzeText, AnalyzeJSON, GateText) print an
// account.Report and a gate.Outcome; the lint renderers print findings, also
// in the formats hadolint users know (LintGNU, LintCheckstyle,
// LintCodeClimate, LintGitLabCodeClimate).
package report

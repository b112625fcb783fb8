// Package report renders whittle's plain results as text, JSON, SARIF and
// HTML. Renderers format and sort what they are given; they never compute a
// figure. The analyze renderers (AnalyzeText, AnalyzeJSON, AnalyzeHTML,
// GateText) print an Analysis: an account.Report with the package
// attribution, the image rules' findings and a gate.Outcome. The lint
// renderers print findings, also in the formats hadolint users know
// (LintGNU, LintCheckstyle, LintCodeClimate, LintGitLabCodeClimate).
package report

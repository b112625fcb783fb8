package rules

// Pass is what a rule sees while checking one Dockerfile. Lint builds a new
// Pass for each rule; rules must not keep it.
//
// Once pkg/dockerfile exists, Pass gains the field
//
//	File *dockerfile.File // the parsed Dockerfile, with stages and shell facts
//
// which rules read; Lint's signature is
//
//	func Lint(ctx context.Context, f *dockerfile.File, opts ...Option) ([]Finding, error)
type Pass struct {
	// Filename is the Dockerfile's name as given ("-" for stdin).
	Filename string
	// RegistryLookups allows rules to ask registries about base images
	// (WH701); off by default so that linting needs no network.
	RegistryLookups bool

	meta Meta
}

// Meta returns the description of the rule being run.
func (p *Pass) Meta() Meta { return p.meta }

// Finding returns a finding of the running rule at the given 1-based range,
// with the rule's default severity. EndColumn is exclusive.
func (p *Pass) Finding(line, col, endLine, endCol int, message, fix string) Finding {
	return Finding{
		Rule:      p.meta.ID,
		Severity:  p.meta.Severity,
		File:      p.Filename,
		Line:      line,
		Column:    col,
		EndLine:   endLine,
		EndColumn: endCol,
		Message:   message,
		Fix:       fix,
		Doc:       p.meta.Doc,
	}
}

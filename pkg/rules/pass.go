package rules

import (
	"io/fs"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// Pass is what a rule sees while checking one Dockerfile. Lint builds a new
// Pass for each rule; rules must not keep it.
type Pass struct {
	// File is the parsed Dockerfile.
	File *dockerfile.File
	// Filename is the Dockerfile's name as given ("-" for stdin).
	Filename string
	// RegistryLookups allows rules to ask registries about base images
	// (WH701); off by default so that linting needs no network.
	RegistryLookups bool
	// Context is the build context (WithContext), nil when unknown: the
	// rules that look at the files a COPY would take (WH108) are quiet
	// then.
	Context fs.FS
	// BaseImage is the base image a switch is asked for (WithBaseImage):
	// WH701 then carries the repair that makes it.
	BaseImage string

	meta   Meta
	shared *shared
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

// FindingAt returns a finding of the running rule covering r.
func (p *Pass) FindingAt(r dockerfile.Range, message, fix string) Finding {
	return p.Finding(r.Start.Line, r.Start.Col, r.End.Line, r.End.Col, message, fix)
}

// Ships reports whether the stage's layers are part of the final image: the
// target stage and the stages it is built FROM, transitively. (Stages that
// only lend files through COPY --from do not ship their own waste.)
func (p *Pass) Ships(s *dockerfile.Stage) bool { return p.shared.ships(s) }

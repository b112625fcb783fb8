package rules

import (
	"github.com/whittle/whittle/pkg/dockerfile"
)

// copyRoot is WH106: COPY --from=stage / /.
type copyRoot struct{}

func (copyRoot) Meta() Meta {
	return Meta{
		ID:       "WH106",
		Name:     "copy-whole-filesystem",
		Summary:  "COPY --from=<stage> / / copies another stage's whole filesystem, its waste included, on top of this one.",
		Hadolint: []string{"DL3067"},
		Severity: Warning,
		Doc:      "docs/rules/WH106.md",
	}
}

func (copyRoot) Check(p *Pass) []Finding {
	var out []Finding
	for in := range p.File.All() {
		if in.Kind != dockerfile.KindCopy || in.Copy == nil || in.Copy.From == "" {
			continue
		}
		srcs, dest := copyWords(in)
		if len(srcs) != 1 || srcs[0] != "/" || dest != "/" {
			continue
		}
		f := p.FindingAt(in.Range,
			"COPY --from="+in.Copy.From+" / / copies the whole filesystem of "+in.Copy.From+", package caches and build leftovers included",
			"copy only the paths the image needs (COPY --from="+in.Copy.From+" /app /app)")
		if in.Stage != nil && in.Stage.BaseStage == nil && in.Stage.Base == "scratch" {
			f.Severity = Info
			f.Message = "COPY --from=" + in.Copy.From + " / / into scratch flattens that stage: only what is visible in it is copied, but so are its caches"
		}
		out = append(out, f)
	}
	return out
}

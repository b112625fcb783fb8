package rules

import (
	"path"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// copyArchive is WH105: COPY of a local archive that a later RUN extracts.
type copyArchive struct{}

func (copyArchive) Meta() Meta {
	return Meta{
		ID:       "WH105",
		Name:     "copied-archive-extracted",
		Summary:  "A local archive is COPYed and then extracted by a RUN: the archive itself stays in the COPY layer.",
		Hadolint: []string{"DL3010"},
		Severity: Warning,
		Doc:      "docs/rules/WH105.md",
		Repair:   Safe,
		Measure:  MeasurePaths,
	}
}

func (copyArchive) Check(p *Pass) []Finding {
	var out []Finding
	for _, st := range stagesOrWhole(p.File) {
		for k, in := range st {
			if in.Kind != dockerfile.KindCopy || in.Copy == nil || in.Copy.From != "" {
				continue
			}
			var names []string
			srcs, dest := copyWords(in)
			for _, s := range srcs {
				if isArchiveName(s) {
					names = append(names, baseName(s))
				}
			}
			if isArchiveName(dest) {
				names = append(names, baseName(dest))
			}
			if len(names) == 0 {
				continue
			}
			if name, ok := extractedLater(p, st[k+1:], names); ok {
				f := p.FindingAt(in.Range,
					"the archive "+name+" is copied in, then extracted by a later RUN: the archive stays in this COPY layer",
					"use ADD (which extracts local tar archives without keeping them), or RUN --mount=type=bind,source="+name+" to extract it without copying")
				if at := copiedTo(in, dest, name); at != "" {
					f.Paths = []string{at}
				}
				f.Repair = p.localArchiveRepair(in)
				out = append(out, f)
			}
		}
	}
	return out
}

// stagesOrWhole returns each stage's instructions, or the whole file as
// one group when it has no stage.
func stagesOrWhole(f *dockerfile.File) [][]*dockerfile.Instruction {
	if len(f.Stages) == 0 {
		return [][]*dockerfile.Instruction{f.Instructions}
	}
	var out [][]*dockerfile.Instruction
	for _, s := range f.Stages {
		out = append(out, s.Instructions)
	}
	return out
}

// extractedLater reports whether a RUN among ins extracts one of the
// archive names.
func extractedLater(p *Pass, ins []*dockerfile.Instruction, names []string) (string, bool) {
	byIn := map[*dockerfile.Instruction]*runInfo{}
	for _, ri := range p.runs() {
		byIn[ri.in] = ri
	}
	for _, in := range ins {
		ri := byIn[in]
		if ri == nil {
			continue
		}
		for _, c := range ri.cmds {
			e := c.Extract
			if e == nil || e.Create || e.Archive == "" {
				continue
			}
			for _, n := range names {
				if baseName(e.Archive) == n {
					return n, true
				}
			}
		}
	}
	return "", false
}

// copiedTo is where a COPY puts the file named name: DEST/name when DEST
// is a directory (it ends with a slash, or several sources are copied),
// else DEST itself; relative to the WORKDIR in effect. "" when unknown.
func copiedTo(in *dockerfile.Instruction, dest, name string) string {
	if dest == "" || strings.ContainsAny(dest, "$*?[") {
		return ""
	}
	srcs, _ := copyWords(in)
	p := dest
	if strings.HasSuffix(dest, "/") || len(srcs) > 1 || dest == "." {
		p = path.Join(dest, name)
	}
	if !path.IsAbs(p) {
		wd := "/"
		if in.Scope != nil && in.Scope.Workdir != "" {
			wd = in.Scope.Workdir
		}
		if !path.IsAbs(wd) || strings.Contains(wd, "$") {
			return ""
		}
		p = path.Join(wd, p)
	}
	return path.Clean(p)
}

package rules

import (
	"path"
	"sort"
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
		ext := extractions(p, st)
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
			if name, ok := ext.after(k, names); ok {
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

// extracted lists, by archive base name, where the RUNs of a group of
// instructions extract an archive: the instruction's place in the group
// and the command's in the RUN, in order.
type extracted map[string][]stepCmd

func extractions(p *Pass, ins []*dockerfile.Instruction) extracted {
	x := extracted{}
	for k, in := range ins {
		ri := p.run(in)
		if ri == nil {
			continue
		}
		for ci, c := range ri.cmds {
			e := c.Extract
			if e == nil || e.Create || e.Archive == "" {
				continue
			}
			n := baseName(e.Archive)
			x[n] = append(x[n], stepCmd{k, ci})
		}
	}
	return x
}

// after returns the name, among names, of the first archive a RUN after
// instruction k extracts (the first of names when one command extracts
// several), and whether there is one.
func (x extracted) after(k int, names []string) (string, bool) {
	best, found := "", false
	var at stepCmd
	for _, n := range names {
		l := x[n]
		i := sort.Search(len(l), func(i int) bool { return l[i].step > k })
		if i == len(l) {
			continue
		}
		if !found || at.after(l[i].step, l[i].cmd) {
			best, at, found = n, l[i], true
		}
	}
	return best, found
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

package rules

import (
	"bytes"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// ignores are the inline ignore pragmas of a file.
type ignores struct {
	global map[string]bool                             // IDs ignored everywhere
	byInst map[*dockerfile.Instruction]map[string]bool // IDs ignored for one instruction
}

// readIgnores collects "# whittle ignore=ID[,ID]" and "# hadolint
// ignore=DLxxxx[,...]" from the comment lines right before each
// instruction, and the "global ignore=" forms from every comment line.
func readIgnores(f *dockerfile.File) ignores {
	ig := ignores{global: map[string]bool{}, byInst: map[*dockerfile.Instruction]map[string]bool{}}
	lines := bytes.Split(f.Src, []byte("\n"))
	for _, l := range lines {
		if ids, global := pragma(l); global {
			for _, id := range ids {
				ig.global[id] = true
			}
		}
	}
	for _, in := range f.Instructions {
		for n := in.Range.Start.Line - 1; n >= 1 && n <= len(lines); n-- {
			l := bytes.TrimSpace(lines[n-1])
			if len(l) == 0 || l[0] != '#' {
				break
			}
			ids, global := pragma(l)
			if global || len(ids) == 0 {
				continue
			}
			if ig.byInst[in] == nil {
				ig.byInst[in] = map[string]bool{}
			}
			for _, id := range ids {
				ig.byInst[in][id] = true
			}
		}
	}
	return ig
}

// pragma parses one comment line: the IDs it ignores and whether it is a
// global ignore. Lines that are not pragmas give no IDs.
func pragma(line []byte) (ids []string, global bool) {
	l := strings.TrimSpace(string(line))
	if !strings.HasPrefix(l, "#") {
		return nil, false
	}
	fields := strings.Fields(strings.TrimPrefix(l, "#"))
	if len(fields) < 2 || (fields[0] != "whittle" && fields[0] != "hadolint") {
		return nil, false
	}
	rest := fields[1:]
	if rest[0] == "global" {
		global = true
		rest = rest[1:]
	}
	if len(rest) == 0 || !strings.HasPrefix(rest[0], "ignore=") {
		return nil, false
	}
	for _, id := range strings.Split(strings.TrimPrefix(rest[0], "ignore="), ",") {
		if id = strings.ToUpper(strings.TrimSpace(id)); id != "" {
			ids = append(ids, id)
		}
	}
	return ids, global
}

// ignored reports whether a finding of rule m on instruction in is silenced.
func (ig ignores) ignored(in *dockerfile.Instruction, m Meta) bool {
	match := func(set map[string]bool) bool {
		if set[m.ID] {
			return true
		}
		for _, h := range m.Hadolint {
			if set[h] {
				return true
			}
		}
		return false
	}
	if match(ig.global) {
		return true
	}
	return in != nil && match(ig.byInst[in])
}

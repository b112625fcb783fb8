package rules

import "github.com/whittle/whittle/pkg/dockerfile"

// curlAndWget is WH604: a stage that uses both curl and wget.
type curlAndWget struct{}

func (curlAndWget) Meta() Meta {
	return Meta{
		ID:       "WH604",
		Name:     "curl-and-wget",
		Summary:  "A stage uses both curl and wget: one download tool is enough, and the other (with its libraries) is dead weight.",
		Hadolint: []string{"DL4001"},
		Severity: Info,
		Doc:      "docs/rules/WH604.md",
	}
}

func (curlAndWget) Check(p *Pass) []Finding {
	var out []Finding
	used := map[*dockerfile.Stage]map[string]bool{}
	for _, ri := range p.runs() {
		set := used[ri.in.Stage]
		if set == nil {
			set = map[string]bool{}
			used[ri.in.Stage] = set
		}
		var hit *command
		for k := range ri.cmds {
			c := &ri.cmds[k]
			if c.Name != "curl" && c.Name != "wget" {
				continue
			}
			set[c.Name] = true
			if set["curl"] && set["wget"] && hit == nil {
				hit = c
			}
		}
		if hit == nil {
			continue
		}
		other := "wget"
		if hit.Name == "wget" {
			other = "curl"
		}
		out = append(out, p.FindingAt(ri.rangeOf(*hit),
			"this stage uses both curl and wget",
			"use one download tool: replace "+hit.Name+" with "+other+" (or the reverse) and install only that one"))
	}
	return out
}

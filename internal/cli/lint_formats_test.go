package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// finding is one finding as every lint format can say it: its file, line,
// rule and severity (whittle's names).
type finding struct {
	file     string
	line     int
	rule     string
	severity string
}

func (f finding) String() string {
	return fmt.Sprintf("%s:%d %s %s", f.file, f.line, f.rule, f.severity)
}

// cmdFindings implements `findings FORMAT FILE`: it reads FILE, a lint
// report in FORMAT, and prints one line "file:line rule severity" per
// finding, in order, so that scripts can check that every format reports
// the same findings (cmp stdout with the list read from another format).
// Severities are mapped back to whittle's (SARIF's note is info; Code
// Climate's blocker and major are error and warning).
func cmdFindings(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: findings FORMAT FILE")
	}
	data := []byte(ts.ReadFile(args[1]))
	got, err := parseFindings(args[0], data)
	if err != nil {
		ts.Fatalf("findings: %s: %v", args[1], err)
	}
	for _, f := range got {
		fmt.Fprintln(ts.Stdout(), f)
	}
}

var (
	textLine = regexp.MustCompile(`^(.+):(\d+):\d+: (info|warning|error) (\S+) `)
	gnuLine  = regexp.MustCompile(`^whittle:(.+):(\d+):\d+: (\S+) (info|warning|error): `)
)

// parseFindings reads a lint report in one of lint's formats.
func parseFindings(format string, data []byte) ([]finding, error) {
	var out []finding
	switch format {
	case "text", "gnu":
		for _, l := range strings.Split(string(data), "\n") {
			if format == "text" {
				if m := textLine.FindStringSubmatch(l); m != nil {
					out = append(out, finding{m[1], atoi(m[2]), m[4], m[3]})
				}
				continue
			}
			if l == "" {
				continue
			}
			m := gnuLine.FindStringSubmatch(l)
			if m == nil {
				return nil, fmt.Errorf("not a gnu line: %q", l)
			}
			out = append(out, finding{m[1], atoi(m[2]), m[3], m[4]})
		}
	case "json":
		var doc struct {
			Findings []struct {
				File     string `json:"file"`
				Line     int    `json:"line"`
				Rule     string `json:"rule"`
				Severity string `json:"severity"`
			} `json:"findings"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		for _, f := range doc.Findings {
			out = append(out, finding{f.File, f.Line, f.Rule, f.Severity})
		}
	case "sarif":
		var doc struct {
			Runs []struct {
				Results []struct {
					RuleID    string `json:"ruleId"`
					Level     string `json:"level"`
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct {
								URI string `json:"uri"`
							} `json:"artifactLocation"`
							Region struct {
								StartLine int `json:"startLine"`
							} `json:"region"`
						} `json:"physicalLocation"`
					} `json:"locations"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		for _, r := range doc.Runs[0].Results {
			pl := r.Locations[0].PhysicalLocation
			level := map[string]string{"note": "info"}[r.Level]
			if level == "" {
				level = r.Level
			}
			out = append(out, finding{pl.ArtifactLocation.URI, pl.Region.StartLine, r.RuleID, level})
		}
	case "checkstyle":
		var doc struct {
			Files []struct {
				Name   string `xml:"name,attr"`
				Errors []struct {
					Line     int    `xml:"line,attr"`
					Severity string `xml:"severity,attr"`
					Source   string `xml:"source,attr"`
				} `xml:"error"`
			} `xml:"file"`
		}
		if err := xml.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		for _, f := range doc.Files {
			for _, e := range f.Errors {
				out = append(out, finding{f.Name, e.Line, e.Source, e.Severity})
			}
		}
	case "codeclimate", "gitlab_codeclimate":
		var issues []codeClimate
		if format == "gitlab_codeclimate" {
			if err := json.Unmarshal(data, &issues); err != nil {
				return nil, err
			}
		} else {
			if len(data) > 0 && data[len(data)-1] != 0 {
				return nil, fmt.Errorf("the last issue does not end in a NUL byte")
			}
			for _, part := range bytes.Split(bytes.TrimSuffix(data, []byte{0}), []byte{0}) {
				if len(part) == 0 {
					continue
				}
				var is codeClimate
				if err := json.Unmarshal(part, &is); err != nil {
					return nil, err
				}
				issues = append(issues, is)
			}
		}
		sev := map[string]string{"blocker": "error", "critical": "error", "major": "warning", "minor": "info", "info": "info"}
		for _, is := range issues {
			out = append(out, finding{is.Location.Path, is.Location.Lines.Begin, is.CheckName, sev[is.Severity]})
		}
	default:
		return nil, fmt.Errorf("unknown format %q", format)
	}
	return out, nil
}

// codeClimate is the part of a Code Climate issue the tests read.
type codeClimate struct {
	Type        string `json:"type"`
	CheckName   string `json:"check_name"`
	Description string `json:"description"`
	Fingerprint string `json:"fingerprint"`
	Severity    string `json:"severity"`
	Location    struct {
		Path  string `json:"path"`
		Lines struct {
			Begin int `json:"begin"`
		} `json:"lines"`
	} `json:"location"`
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// gitlabSchema is GitLab's schema for one Code Quality entry, vendored in
// internal/report/testdata (see its README.md).
var gitlabSchema = filepath.Join("..", "report", "testdata", "gitlab-codeclimate-schema.json")

// cmdGitLabCheck implements `gitlabcheck FILE`: FILE is a GitLab Code
// Quality report as GitLab reads it: one JSON array whose every entry
// validates against GitLab's schema, with a check_name, a severity GitLab
// knows, a path and a line, and a fingerprint no other entry has.
func cmdGitLabCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gitlabcheck FILE")
	}
	f, err := os.Open(gitlabSchema)
	ts.Check(err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	ts.Check(err)
	c := jsonschema.NewCompiler()
	ts.Check(c.AddResource(gitlabSchema, doc))
	schema, err := c.Compile(gitlabSchema)
	ts.Check(err)

	data := []byte(ts.ReadFile(args[0]))
	var entries []any
	if err := json.Unmarshal(data, &entries); err != nil || entries == nil {
		ts.Fatalf("gitlabcheck: not a JSON array: %v", err)
	}
	var issues []codeClimate
	ts.Check(json.Unmarshal(data, &issues))
	seen := map[string]bool{}
	for i, e := range entries {
		if err := schema.Validate(e); err != nil {
			ts.Fatalf("gitlabcheck: entry %d: %v", i, err)
		}
		is := issues[i]
		switch is.Severity {
		case "info", "minor", "major", "critical", "blocker":
		default:
			ts.Fatalf("gitlabcheck: entry %d: severity %q", i, is.Severity)
		}
		if is.CheckName == "" || is.Location.Path == "" || is.Location.Lines.Begin < 1 || is.Fingerprint == "" || seen[is.Fingerprint] {
			ts.Fatalf("gitlabcheck: entry %d: %+v", i, is)
		}
		seen[is.Fingerprint] = true
	}
	ts.Logf("gitlabcheck: %d entries", len(entries))
}

package cli

import (
	"encoding/json"

	"github.com/owenrumney/go-sarif/v2/sarif"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdSARIFCheck checks that a file is a SARIF 2.1.0 log as whittle writes
// it: it parses with go-sarif, has one run by whittle whose results each
// name a rule the driver lists (with a help URI), at a location with a file
// and a region starting at line 1 or later.
func cmdSARIFCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sarifcheck FILE")
	}
	data := ts.ReadFile(args[0])
	log, err := sarif.FromString(data)
	if err != nil {
		ts.Fatalf("sarifcheck: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		ts.Fatalf("sarifcheck: %v", err)
	}
	if raw["version"] != "2.1.0" || raw["$schema"] == nil {
		ts.Fatalf("sarifcheck: version %v, schema %v", raw["version"], raw["$schema"])
	}
	if len(log.Runs) != 1 || log.Runs[0].Tool.Driver == nil || log.Runs[0].Tool.Driver.Name != "whittle" {
		ts.Fatalf("sarifcheck: want one run by whittle")
	}
	run := log.Runs[0]
	rules := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if r.HelpURI == nil || *r.HelpURI == "" {
			ts.Fatalf("sarifcheck: rule %s has no help URI", r.ID)
		}
		rules[r.ID] = true
	}
	for _, res := range run.Results {
		if res.RuleID == nil || !rules[*res.RuleID] {
			ts.Fatalf("sarifcheck: result for an unlisted rule")
		}
		if res.Level == nil || (*res.Level != "note" && *res.Level != "warning" && *res.Level != "error") {
			ts.Fatalf("sarifcheck: bad level")
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation == nil {
			ts.Fatalf("sarifcheck: result without location")
		}
		pl := res.Locations[0].PhysicalLocation
		if pl.ArtifactLocation == nil || pl.ArtifactLocation.URI == nil || pl.Region == nil ||
			pl.Region.StartLine == nil || *pl.Region.StartLine < 1 {
			ts.Fatalf("sarifcheck: result without file or region")
		}
	}
	ts.Logf("sarifcheck: %d rules, %d results", len(rules), len(run.Results))
}

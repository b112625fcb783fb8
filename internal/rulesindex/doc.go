// Command rulesindex writes the rule tables of docs/rules/README.md from
// the rules' metadata (rules.Catalogue: the Dockerfile rules and the image
// rules): for each family of rules, one row per
// rule with its ID, name, default severity, hadolint mapping, what
// whittle fix's repair is (Meta.Repair) and its summary. Only the part
// between the markers it owns is rewritten; the prose around it is the
// file's own. A test fails when the committed file is out of date.
//
// Run it through go generate:
//
//	go generate ./pkg/rules
//
// which runs `go run ../../internal/rulesindex -index ../../docs/rules/README.md`
// from pkg/rules.
package main

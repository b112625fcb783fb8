// Command gendoc writes whittle's command-line reference: one Markdown page
// per command, generated from the command tree that whittle itself runs, so
// the reference cannot drift from the flags and help text.
//
// Run it through go generate:
//
//	go generate ./internal/cli
//
// which runs `go run ./gendoc -out ../../docs/cli` from internal/cli.
package main

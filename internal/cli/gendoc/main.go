package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/whittle/whittle/internal/cli"
)

func main() {
	out := flag.String("out", "docs/cli", "directory to write the Markdown pages into")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "gendoc: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := writeTree(cli.NewRootCmd(), *out); err != nil {
		fmt.Fprintf(os.Stderr, "gendoc: %v\n", err)
		os.Exit(1)
	}
}

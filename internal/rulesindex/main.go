package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/whittle/whittle/pkg/rules"
)

func main() {
	index := flag.String("index", "docs/rules/README.md", "the rules index to rewrite the tables of")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "rulesindex: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	old, fresh, err := regenerate(*index, rules.Catalogue())
	if err == nil && fresh != old {
		err = writeAtomic(*index, []byte(fresh))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "rulesindex: %v\n", err)
		os.Exit(1)
	}
}

package shellfacts_test

import (
	"fmt"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

func ExampleOfRun() {
	src := []byte(`FROM debian:bookworm
WORKDIR /src
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc \
 && curl -fsSLO https://example.com/tool.tgz \
 && tar xzf tool.tgz -C /opt \
 && rm -rf /var/lib/apt/lists/*
`)
	f, err := dockerfile.Parse("Dockerfile", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	facts, err := shellfacts.OfRun(f.Instructions[2])
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range facts.Commands {
		fmt.Printf("line %d: %s", c.Range.Start.Line, c.Name)
		switch {
		case c.Pkg != nil:
			fmt.Printf(" %s %s %v yes=%v no-recommends=%v", c.Pkg.Manager, c.Pkg.Verb, c.Pkg.Packages, c.Pkg.Yes, c.Pkg.NoInstallRecommends)
		case c.Download != nil:
			fmt.Printf(" downloads to %s", c.Download.Output)
		case c.Extract != nil:
			fmt.Printf(" extracts %s into %s", c.Extract.Archive, c.Extract.Dest)
		case c.File != nil:
			fmt.Printf(" %s %v", c.File.Op, c.File.Paths)
		}
		fmt.Println()
	}
	// Output:
	// line 3: apt-get apt update [] yes=false no-recommends=false
	// line 4: apt-get apt install [gcc] yes=true no-recommends=true
	// line 5: curl downloads to /src/tool.tgz
	// line 6: tar extracts /src/tool.tgz into /opt
	// line 7: rm rm [/var/lib/apt/lists/*]
}

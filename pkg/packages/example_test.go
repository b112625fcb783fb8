package packages_test

import (
	"context"
	"fmt"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
)

// Every visible byte goes to a package or to "no package", by top
// directory; a package is tied to the instruction that installed it.
func ExampleAttribute() {
	img, err := synth.Build(synth.Image{Layers: []synth.Layer{
		{CreatedBy: "RUN apt-get install -y gcc", Entries: []synth.Entry{
			synth.File("usr/bin/gcc", "0123456789"),
			synth.File("var/lib/dpkg/status", "Package: gcc\nStatus: install ok installed\nVersion: 4:12.2.0-3\nArchitecture: amd64\n"),
			synth.File("var/lib/dpkg/info/gcc.list", "/.\n/usr\n/usr/bin\n/usr/bin/gcc\n"),
		}},
		{CreatedBy: "COPY app /app", Entries: []synth.Entry{synth.File("app/main", "12345")}},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := account.Analyze(context.Background(), img, packages.AnalyzeOptions()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := packages.Attribute(rep)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.Packages {
		fmt.Printf("%s %s %s: %d bytes in %d files, layer %d (%s)\n", p.Name, p.Version, p.Architecture, p.Bytes, p.Files, p.Layer, p.CreatedBy)
	}
	for _, d := range res.Unowned {
		fmt.Printf("no package %s: %d bytes\n", d.Dir, d.Bytes)
	}
	fmt.Printf("visible %d bytes, complete %v\n", res.Bytes, res.Complete)
	// Output:
	// gcc 4:12.2.0-3 amd64: 10 bytes in 1 files, layer 0 (RUN apt-get install -y gcc)
	// no package /var/lib: 112 bytes
	// no package /app: 5 bytes
	// visible 127 bytes, complete true
}

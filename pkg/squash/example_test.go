package squash_test

import (
	"context"
	"fmt"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/squash"
)

// A base layer, a layer that downloads a 1000-byte archive and a layer
// that deletes it: squashing keeps the base and drops the archive's bytes.
func ExampleSquash() {
	img, err := synth.Build(synth.Image{Layers: []synth.Layer{
		{Entries: []synth.Entry{synth.Dir("etc"), synth.File("etc/os-release", "ID=example\n")}, CreatedBy: "ADD rootfs /"},
		{Entries: []synth.Entry{synth.Dir("tmp"), {Kind: synth.KindFile, Path: "tmp/tool.tgz", Size: 1000, Seed: 1}, synth.File("usr/bin/tool", "#!/bin/sh\n")}, CreatedBy: "RUN fetch and install"},
		{Entries: []synth.Entry{synth.Whiteout("tmp/tool.tgz")}, CreatedBy: "RUN rm /tmp/tool.tgz"},
	}})
	if err != nil {
		panic(err)
	}
	res, err := squash.Squash(context.Background(), img, squash.WithKeepLayers(1))
	if err != nil {
		panic(err)
	}
	defer res.Close()
	fmt.Printf("kept %d, merged %d (%s)\n", len(res.Plan.Kept), len(res.Plan.Merged), res.Plan.BaseFrom)
	fmt.Printf("saved %d bytes: %d in, %d out\n", res.SavedBytes, res.InBytes, res.OutBytes)
	layers, _ := res.Image.Layers()
	fmt.Println("layers:", len(layers))
	// Output:
	// kept 1, merged 2 (keep-layers)
	// saved 1000 bytes: 1010 in, 10 out
	// layers: 2
}

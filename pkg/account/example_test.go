package account_test

import (
	"context"
	"fmt"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
)

// A file added in one layer and deleted in the next still ships: its bytes
// are wasted.
func ExampleAnalyze() {
	img, err := synth.Build(synth.Image{Layers: []synth.Layer{
		{Entries: []synth.Entry{synth.File("app/bin", "0123456789"), synth.File("tmp/build.tgz", "abcdef")}, CreatedBy: "RUN build"},
		{Entries: []synth.Entry{synth.Whiteout("tmp/build.tgz")}, CreatedBy: "RUN rm /tmp/build.tgz"},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := account.Analyze(context.Background(), img)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("size %d, wasted %d, visible %d, files %d\n",
		rep.Image.SizeBytes, rep.Image.WastedBytes, rep.Image.VisibleBytes, rep.Image.Files)
	for _, w := range rep.Waste {
		fmt.Printf("%s: %d bytes of layer %d, %s by layer %d\n", w.Path, w.Bytes, w.Layer, w.Reason, w.ShadowedBy)
	}
	// Output:
	// size 16, wasted 6, visible 10, files 1
	// /tmp/build.tgz: 6 bytes of layer 0, deleted by layer 1
}

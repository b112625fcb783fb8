package diff_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/diff"
)

// Two builds on one base: the new one adds a file, grows another and
// deletes a third with a whiteout, which hides it but still ships it.
func ExampleDiff() {
	base := synth.Layer{Entries: []synth.Entry{synth.File("etc/os-release", "ID=debian\n")}, CreatedBy: "ADD rootfs.tar /"}
	old, err := synth.Build(synth.Image{Layers: []synth.Layer{base,
		{Entries: []synth.Entry{synth.File("app/bin", "0123456789"), synth.File("app/notes", "abc")}, CreatedBy: "COPY app /app"},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	new, err := synth.Build(synth.Image{Layers: []synth.Layer{base,
		{Entries: []synth.Entry{synth.File("app/bin", "0123456789abcdef"), synth.File("app/notes", "abc"), synth.File("app/extra", "xyz")}, CreatedBy: "COPY app /app"},
		{Entries: []synth.Entry{synth.Whiteout("app/notes")}, CreatedBy: "RUN rm /app/notes"},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := diff.Diff(context.Background(), old, new, diff.WithReferences("app:1", "app:2"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("size %+d, visible %+d, layers: %d shared, %d added, %d removed\n",
		rep.Change.SizeBytes, rep.Change.VisibleBytes, rep.Layers.Shared, rep.Layers.Added, rep.Layers.Removed)
	for _, c := range rep.Paths.Items {
		fmt.Printf("%-8s %-10s %+d %s\n", c.Change, c.Path, c.DeltaBytes, strings.Join(append(c.What, "bytes"), ", "))
	}
	// Output:
	// size +9, visible +6, layers: 1 shared, 2 added, 1 removed
	// changed  /app/bin   +6 content, bytes
	// added    /app/extra +3 bytes
	// removed  /app/notes -3 bytes
}

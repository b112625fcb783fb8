package fleet

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/internal/testenv"
	"github.com/whittle/whittle/pkg/imageref"
)

// viaLayout builds each spec and reads it back from an OCI layout, as
// whittle fleet reads one: go-containerregistry's in-memory images
// marshal their config again for every layer asked for, which would count
// their work, not fleet's.
func viaLayout(t *testing.T, specs ...synth.Image) []Image {
	t.Helper()
	var out []Image
	for i, spec := range specs {
		mem, err := synth.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "layout")
		if _, err := layout.Write(p, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: mem})); err != nil {
			t.Fatal(err)
		}
		ref, err := imageref.Parse("oci:" + p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := ref.Image(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Image{Reference: fmt.Sprintf("img%d", i), Image: img})
	}
	return out
}

// fleetWork analyzes the images and returns the bytes allocated.
func fleetWork(t *testing.T, images []Image) (float64, *Report) {
	t.Helper()
	var rep *Report
	var err error
	b := testenv.AllocBytes(func() { rep, err = Analyze(context.Background(), images, WithJobs(1)) })
	if err != nil {
		t.Fatal(err)
	}
	return b, rep
}

// A fleet's account costs memory linear in the number of layers: two
// images of n and n+1 layers, the first the base of the second.
func TestFleetLinearInLayers(t *testing.T) {
	testenv.Linear(t, "fleet's memory in layers", 8, func(n int) float64 {
		var a synth.Image
		for i := range n {
			a.Layers = append(a.Layers, synth.Layer{Entries: []synth.Entry{synth.File(fmt.Sprintf("d%d/f", i), "x")}})
		}
		b := synth.Image{Layers: append(append([]synth.Layer(nil), a.Layers...), synth.Layer{Entries: []synth.Entry{synth.File("top", "y")}})}
		w, rep := fleetWork(t, viaLayout(t, a, b))
		if len(rep.Images) != 2 || rep.Images[0].Layers != n || rep.Images[1].Layers != n+1 || len(rep.Layers) != n+1 {
			t.Fatalf("%d layers: images %d, layers %d", n, len(rep.Images), len(rep.Layers))
		}
		return w
	})
}

// deepPath is a path of depth names of 12 bytes each, under top.
func deepPath(top string, depth int) string {
	var b strings.Builder
	b.WriteString(top)
	for i := range depth {
		b.WriteString("/" + strconv.Itoa(100000000000+i))
	}
	return b.String()
}

// A fleet's account costs memory linear in the depth of a path: a deep
// file and a hard link to it, a deep tree whited out, an opaque directory
// over another.
func TestFleetLinearInPathDepth(t *testing.T) {
	testenv.Linear(t, "fleet's memory in path depth", 200, func(depth int) float64 {
		x, y, z := deepPath("x", depth), deepPath("y", depth), deepPath("z", depth)
		w, rep := fleetWork(t, viaLayout(t, synth.Image{Layers: []synth.Layer{
			{Entries: []synth.Entry{synth.File(x+"/f", "x"), synth.Hardlink(x+"/h", x+"/f"), synth.File(y+"/f", "y"), synth.File(z+"/f", "z")}},
			{Entries: []synth.Entry{synth.Whiteout("y"), synth.Opaque("z"), synth.File(x+"/g", "g")}},
		}}))
		if len(rep.Images) != 1 || rep.Images[0].Layers != 2 {
			t.Fatalf("depth %d: %+v", depth, rep.Images)
		}
		return w
	})
}

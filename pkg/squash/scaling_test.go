package squash

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

// squashWork squashes the whole image and returns the bytes allocated and
// the result. The image is read from an OCI layout, as whittle squash
// reads one: go-containerregistry's in-memory images marshal their config
// again for every layer asked for, which would count their work, not
// squash's.
func squashWork(t *testing.T, spec synth.Image) (float64, *Result) {
	t.Helper()
	mem, err := synth.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "layout")
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
	var res *Result
	b := testenv.AllocBytes(func() {
		res, err = Squash(context.Background(), img, WithAll(true), WithTempDir(dir))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return b, res
}

// Squashing costs memory linear in the number of layers: each layer adds
// a file and removes the one the layer below added.
func TestSquashLinearInLayers(t *testing.T) {
	testenv.Linear(t, "squash's memory in layers", 16, func(n int) float64 {
		var spec synth.Image
		for i := range n {
			es := []synth.Entry{synth.File(fmt.Sprintf("d%d/f", i), "x")}
			if i > 0 {
				es = append(es, synth.Whiteout(fmt.Sprintf("d%d", i-1)))
			}
			spec.Layers = append(spec.Layers, synth.Layer{Entries: es})
		}
		b, res := squashWork(t, spec)
		// What the top layer made is all that is left: d{n-1}/f (synth
		// writes no entries for parent directories).
		if res.Entries != 1 || res.Markers != 0 {
			t.Fatalf("%d layers: %d entries, %d markers", n, res.Entries, res.Markers)
		}
		return b
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

// Squashing costs memory linear in the depth of a path, never in its
// length times its depth: a deep file and a hard link to it, a deep tree
// whited out as a whole, an opaque directory over another.
func TestSquashLinearInPathDepth(t *testing.T) {
	testenv.Linear(t, "squash's memory in path depth", 200, func(depth int) float64 {
		x, y, z := deepPath("x", depth), deepPath("y", depth), deepPath("z", depth)
		b, res := squashWork(t, synth.Image{Layers: []synth.Layer{
			{Entries: []synth.Entry{synth.File(x+"/f", "x"), synth.Hardlink(x+"/h", x+"/f"), synth.File(y+"/f", "y"), synth.File(z+"/f", "z")}},
			{Entries: []synth.Entry{synth.Whiteout("y"), synth.Opaque("z"), synth.File(x+"/g", "g")}},
		}})
		// x's f, h and g (synth writes no entries for parent
		// directories; nothing is left in y and z).
		if want := 3; res.Entries != want {
			t.Fatalf("depth %d: %d entries, want %d", depth, res.Entries, want)
		}
		return b
	})
}

package account

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/internal/testenv"
)

// deepPath is a path of depth names of 12 bytes each, under top.
func deepPath(top string, depth int) string {
	var b strings.Builder
	b.WriteString(top)
	for i := range depth {
		b.WriteString("/" + strconv.Itoa(100000000000+i))
	}
	return b.String()
}

// Memory grows with the length of a path, never with its length times its
// depth: no copy of a full path per name (issue 11: one path of 10,000
// names took 520 MB). The image has a deep file, a hard link to it, a
// second deep tree whited out as a whole (removing a deep subtree), and an
// opaque directory over a third; the report lists every visible file.
func TestAnalyzeLinearInPathDepth(t *testing.T) {
	testenv.Linear(t, "analyze's memory in path depth", 200, func(depth int) float64 {
		x, y, z := deepPath("x", depth), deepPath("y", depth), deepPath("z", depth)
		img, err := synth.Build(synth.Image{Layers: []synth.Layer{
			{Entries: []synth.Entry{synth.File(x+"/f", "x"), synth.Hardlink(x+"/h", x+"/f"), synth.File(y+"/f", "y"), synth.File(z+"/f", "z")}},
			{Entries: []synth.Entry{synth.Whiteout("y"), synth.Opaque("z"), synth.File(x+"/g", "g")}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		var rep *Report
		b := testenv.AllocBytes(func() {
			rep, err = Analyze(context.Background(), img, WithJobs(1), WithVisibleFiles(true))
		})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Image.Files != 2 || len(rep.VisibleFiles) != 3 || rep.Image.WastedBytes != 2 {
			t.Fatalf("depth %d: files %d, visible %d, wasted %d", depth, rep.Image.Files, len(rep.VisibleFiles), rep.Image.WastedBytes)
		}
		return b
	})
}

package squash

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/spool"
)

// squashDigest squashes img with opts and returns the result's manifest
// digest and figures, or the error's text.
func squashDigest(t *testing.T, img v1.Image, opts ...Option) (string, int64, int64, string) {
	t.Helper()
	res, err := Squash(context.Background(), img, append([]Option{WithTempDir(tempDir(t))}, opts...)...)
	if err != nil {
		return "", 0, 0, err.Error()
	}
	defer res.Close()
	d, err := res.Image.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String(), res.InBytes, res.OutBytes, ""
}

// Reading layers ahead (decompressing the next merged layers on other
// goroutines into temporary files) changes nothing of the result, byte
// for byte, nor of the errors: random stacks, every number of layers kept,
// with no read-ahead, one layer ahead and every layer ahead.
func TestSquashReadAheadSameResult(t *testing.T) {
	paths := []string{"a", "a/b", "a/b/c", "a/d", "e", "e/f", "g"}
	dirs := []string{"a", "a/b", "e"}
	rng := rand.New(rand.NewPCG(13, 17))
	compared := 0
	for it := 0; it < 12; it++ {
		nLayers := 3 + rng.IntN(3)
		var layers [][]te
		for l := 0; l < nLayers; l++ {
			layers = append(layers, randomLayer(rng, paths, dirs, l))
		}
		img := buildImage(t, it%2 == 0, layers...)
		for keep := 0; keep < nLayers-1; keep++ {
			base := []Option{WithKeepLayers(keep)}
			if keep == 0 {
				base = []Option{WithAll(true)}
			}
			wd, win, wout, werr := squashDigest(t, img, append(base, WithReadAhead(0))...)
			for _, ahead := range []int{1, nLayers} {
				d, in, out, err := squashDigest(t, img, append(base, WithReadAhead(ahead))...)
				if d != wd || in != win || out != wout || err != werr {
					t.Fatalf("stack %d keep %d, %d layers ahead: %s %d %d %q, without: %s %d %d %q\n%s",
						it, keep, ahead, d, in, out, err, wd, win, wout, werr, describe(layers))
				}
				compared++
			}
		}
	}
	t.Logf("%d squashes compared", compared)
}

// A merged layer whose blob is not what the manifest says is refused with
// the same error whether it was read ahead or not.
func TestSquashReadAheadSameError(t *testing.T) {
	img := buildImage(t, false, []te{d("etc"), f("etc/os", "base")}, []te{f("a", "aaaa")}, []te{f("b", string(synth.Pattern(3<<20, 5)))}, []te{f("c", "c")})
	ls, _ := img.Layers()
	// Layer 2's blob cut short, under its own digest and diff_id.
	rc, _ := ls[2].Compressed()
	blob := make([]byte, 1<<20)
	n, _ := rc.Read(blob)
	rc.Close()
	d2, _ := ls[2].Digest()
	id2, _ := ls[2].DiffID()
	mt, _ := ls[2].MediaType()
	cut := synth.RawLayer(blob[:n/2], mt, id2, d2)
	bad, err := mutate.AppendLayers(empty.Image, ls[0], ls[1], cut, ls[3])
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, want := squashDigest(t, bad, WithKeepLayers(1), WithReadAhead(0))
	if !strings.Contains(want, "corrupt or truncated") {
		t.Fatalf("a truncated layer: %q", want)
	}
	for _, ahead := range []int{1, 3} {
		_, _, _, got := squashDigest(t, bad, WithKeepLayers(1), WithReadAhead(ahead))
		if got != want {
			t.Errorf("%d ahead: %q, want %q", ahead, got, want)
		}
	}
}

// The read-ahead's files count against the budget while they live, and a
// read-ahead the budget has no room for is given up, not the squash: a
// budget with room for the spool and the output but not for a big
// layer's stream squashes as without read-ahead.
func TestSquashReadAheadBudget(t *testing.T) {
	big := string(synth.Pattern(4<<20, 9))
	// The big file is deleted above: its layer's stream is 4 MiB, the
	// squash's spool and output a few kB.
	img := buildImage(t, false, []te{d("etc"), f("etc/os", "base")}, []te{f("big", big), f("x", "x")}, []te{wh("big")}, []te{f("y", "y")})
	for _, limit := range []int64{1 << 20, 3 << 20} { // no room for a chunk of the read-ahead; room for one
		want, _, _, werr := squashDigest(t, img, WithKeepLayers(1), WithReadAhead(0), WithBudget(spool.NewBudget(limit)))
		if werr != "" {
			t.Fatal(werr)
		}
		b := spool.NewBudget(limit)
		got, _, _, err := squashDigest(t, img, WithKeepLayers(1), WithReadAhead(3), WithBudget(b))
		if err != "" || got != want {
			t.Fatalf("read ahead under a budget of %d: %s %q, want %s", limit, got, err, want)
		}
		if b.Used() > limit {
			t.Errorf("budget: %d bytes counted", b.Used())
		}
	}
}

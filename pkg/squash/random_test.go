package squash

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/account"
)

// TestSquashRandomStacks squashes many random layer stacks over a small set
// of paths (files, directories, symlinks, hard links, whiteouts and opaque
// markers in every combination) with every number of kept layers, and
// compares the final trees with the oracle. Stacks the oracle itself cannot
// apply (a hard link to nothing, an entry under a non-directory) are
// skipped; squash must squash every other one.
func TestSquashRandomStacks(t *testing.T) {
	paths := []string{"a", "a/b", "a/b/c", "a/d", "e", "e/f", "g"}
	dirs := []string{"a", "a/b", "e"}
	iterations, seed := 120, uint64(7)
	if testing.Short() {
		iterations = 30
	}
	// WHITTLE_SQUASH_RANDOM=N,SEED runs N stacks from another seed.
	if v := os.Getenv("WHITTLE_SQUASH_RANDOM"); v != "" {
		if _, err := fmt.Sscanf(v, "%d,%d", &iterations, &seed); err != nil {
			t.Fatalf("WHITTLE_SQUASH_RANDOM=%q: want N,SEED", v)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	var checked, skipped, refused, dupRefused int
	for it := 0; it < iterations; it++ {
		nLayers := 2 + rng.IntN(4)
		var layers [][]te
		for l := 0; l < nLayers; l++ {
			layers = append(layers, randomLayer(rng, paths, dirs, l))
		}
		img := buildImage(t, false, layers...)
		// An image analyze refuses, squash refuses for the same reason,
		// whichever layers it keeps.
		if _, aerr := account.Analyze(context.Background(), img); aerr != nil {
			for keep := 0; keep < nLayers; keep++ {
				_, err := Squash(context.Background(), img, WithKeepLayers(keep), WithDryRun(true))
				if errClass(err) != errClass(aerr) {
					t.Fatalf("stack %d keep %d: analyze refuses it (%v), squash says %v\n%s", it, keep, aerr, err, describe(layers))
				}
			}
			refused++
		}
		want, err := tryApply(img)
		if err != nil {
			skipped++
			continue
		}
		for keep := 0; keep < nLayers; keep++ {
			res, err := Squash(context.Background(), img, WithKeepLayers(keep), WithTempDir(t.TempDir()))
			if dup := duplicateName(layers[:keep]); dup != "" {
				// A kept layer that writes a name twice would pass on
				// unchanged into an output validate.Image refuses.
				if errClass(err) != "squash" || !strings.Contains(err.Error(), "written twice") {
					t.Fatalf("stack %d keep %d: kept layers write %s twice, squash says %v\n%s", it, keep, dup, err, describe(layers))
				}
				dupRefused++
				continue
			}
			if err != nil {
				t.Fatalf("stack %d keep %d: %v\n%s", it, keep, err, describe(layers))
			}
			got, err := tryApply(res.Image)
			if err != nil {
				t.Fatalf("stack %d keep %d: output does not apply: %v\n%s", it, keep, err, describe(layers))
			}
			// Its own reader and go-containerregistry's accept it.
			if err := checkOutput(res.Image); err != nil {
				t.Fatalf("stack %d keep %d: %v\n%s", it, keep, err, describe(layers))
			}
			if got != want {
				t.Fatalf("stack %d keep %d: trees differ\n%s--- input\n%s--- output\n%s", it, keep, describe(layers), want, got)
			}
			if m := markerEntries(t, res.Image); keep == 0 && (len(m) > 0 || res.Markers != 0) {
				t.Fatalf("stack %d flattened: %d markers left: %v\n%s", it, res.Markers, m, describe(layers))
			}
			res.Close()
			checked++
		}
	}
	t.Logf("%d squashes checked, %d stacks skipped, %d refused by analyze and squash, %d squashes refused for a name written twice in a kept layer", checked, skipped, refused, dupRefused)
	if checked < iterations {
		t.Errorf("only %d squashes checked", checked)
	}
}

// tryApply applies img's layers with the oracle and renders the tree.
func tryApply(img v1.Image) (string, error) {
	layers, err := img.Layers()
	if err != nil {
		return "", err
	}
	fs := memfs{}
	for i, l := range layers {
		if err := applyLayerOf(fs, l); err != nil {
			return "", fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return fs.canon(), nil
}

// randomLayer makes one layer: at most one entry per path, parents before
// children (as tar writers do), a hard link only to a path written earlier
// in the layer or not written in it.
func randomLayer(rng *rand.Rand, paths, dirs []string, l int) []te {
	n := 1 + rng.IntN(5)
	used := map[string]bool{}
	var ents []te
	for i := 0; i < n; i++ {
		p := paths[rng.IntN(len(paths))]
		if used[p] {
			continue
		}
		used[p] = true
		switch k := rng.IntN(10); {
		case k < 3:
			ents = append(ents, f(p, fmt.Sprintf("%s@%d:%d", p, l, rng.IntN(3))).with(rng.IntN(3), 0, 0o644, int64(l)))
		case k < 5:
			ents = append(ents, d(p).with(0, rng.IntN(2), 0o755, int64(l)))
		case k < 6:
			ents = append(ents, sl(p, "target"))
		case k < 7:
			ents = append(ents, hl(p, paths[rng.IntN(len(paths))]))
		case k < 9:
			ents = append(ents, wh(p))
		default:
			ents = append(ents, opq(dirs[rng.IntN(len(dirs))]))
		}
	}
	// Parents of every entry as directories, first (as in real layers:
	// a directory made only implicitly has no metadata of its own).
	out := withParents(ents)
	// A hard link to a path written later in the layer, or under a path
	// the layer replaces with a non-directory, names a file the layer
	// itself removes: tar writers never write that (the link is written as
	// a file). Drop such links.
	var final []te
	pos := map[string]int{}
	nonDir := map[string]bool{}
	for i, e := range out {
		pos[strings.TrimSuffix(e.h.Name, "/")] = i
		if e.h.Typeflag != '5' {
			nonDir[e.h.Name] = true
		}
	}
	for i, e := range out {
		if e.h.Typeflag == '1' {
			if j, ok := pos[e.h.Linkname]; ok && j >= i {
				continue
			}
			if ancestors(e.h.Linkname, func(a string) bool { return nonDir[a] }) {
				continue
			}
		}
		final = append(final, e)
	}
	return withParents(final)
}

// withParents adds a directory entry for every parent that has none, and
// sorts the entries by name (parents first).
func withParents(ents []te) []te {
	have := map[string]bool{}
	for _, e := range ents {
		have[strings.TrimSuffix(e.h.Name, "/")] = true
	}
	out := append([]te(nil), ents...)
	for _, e := range ents {
		name := strings.TrimSuffix(e.h.Name, "/")
		for j := 0; j < len(name); j++ {
			if name[j] == '/' && !have[name[:j]] {
				have[name[:j]] = true
				out = append(out, d(name[:j]))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].h.Name < out[j].h.Name })
	return out
}

func describe(layers [][]te) string {
	var b strings.Builder
	for i, l := range layers {
		fmt.Fprintf(&b, "layer %d:", i)
		for _, e := range l {
			fmt.Fprintf(&b, " %c:%s", e.h.Typeflag, e.h.Name)
			if e.h.Linkname != "" {
				fmt.Fprintf(&b, "->%s", e.h.Linkname)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// duplicateName returns a tar name some layer writes twice, or "".
func duplicateName(layers [][]te) string {
	for _, l := range layers {
		seen := map[string]bool{}
		for _, e := range l {
			if seen[e.h.Name] {
				return e.h.Name
			}
			seen[e.h.Name] = true
		}
	}
	return ""
}

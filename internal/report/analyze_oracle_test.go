package report

import (
	"archive/tar"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"

	"github.com/whittle/whittle/examples/appimage"
	"github.com/whittle/whittle/pkg/account"
)

// exampleOracle computes the figures of examples/app.tar from the layers its
// generator declares, by a plain overlay of path -> file. It is valid for
// that image only: the image has one whiteout of a file, no opaque
// directory and no replaced directory.
type exampleOracle struct {
	size, visible, wasted int64
	layerSize, layerWaste []int64
	files                 int64
	waste                 []account.WasteItem
	aptLists, tmp         int64
	dupBytes              int64
}

func computeExampleOracle() exampleOracle {
	type file struct {
		layer int
		data  []byte
	}
	var o exampleOracle
	final := map[string]file{}
	layers := appimage.Layers()
	o.layerSize = make([]int64, len(layers))
	o.layerWaste = make([]int64, len(layers))
	for i, l := range layers {
		for _, e := range l.Entries {
			p := "/" + strings.TrimSuffix(e.Path, "/")
			dir, base := p[:strings.LastIndex(p, "/")+1], p[strings.LastIndex(p, "/")+1:]
			if strings.HasPrefix(base, ".wh.") {
				victim := dir + strings.TrimPrefix(base, ".wh.")
				if f, ok := final[victim]; ok {
					o.waste = append(o.waste, account.WasteItem{Path: victim, Layer: f.layer, Bytes: int64(len(f.data)), Reason: account.ReasonDeleted, ShadowedBy: i})
					delete(final, victim)
				}
				continue
			}
			if e.Type != tar.TypeReg {
				continue
			}
			o.size += int64(len(e.Data))
			o.layerSize[i] += int64(len(e.Data))
			if f, ok := final[p]; ok {
				o.waste = append(o.waste, account.WasteItem{Path: p, Layer: f.layer, Bytes: int64(len(f.data)), Reason: account.ReasonOverwritten, ShadowedBy: i})
			}
			final[p] = file{layer: i, data: e.Data}
		}
	}
	for _, w := range o.waste {
		o.wasted += w.Bytes
		o.layerWaste[w.Layer] += w.Bytes
	}
	byDigest := map[[32]byte][]string{}
	for p, f := range final {
		o.files++
		o.visible += int64(len(f.data))
		switch {
		case strings.HasPrefix(p, "/var/lib/apt/lists/") && p != "/var/lib/apt/lists/lock":
			o.aptLists += int64(len(f.data))
		case strings.HasPrefix(p, "/tmp/"):
			o.tmp += int64(len(f.data))
		}
		if len(f.data) > 0 {
			d := sha256.Sum256(f.data)
			byDigest[d] = append(byDigest[d], p)
		}
	}
	for _, paths := range byDigest {
		if len(paths) > 1 {
			sort.Strings(paths)
			o.dupBytes += int64(len(final[paths[0]].data)) * int64(len(paths)-1)
		}
	}
	return o
}

// check compares the report's figures with the oracle.
func (o exampleOracle) check(r *account.Report) []string {
	var bad []string
	eq := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			bad = append(bad, fmt.Sprintf("%s = %v, want %v", what, got, want))
		}
	}
	eq("size_bytes", r.Image.SizeBytes, o.size)
	eq("wasted_bytes", r.Image.WastedBytes, o.wasted)
	eq("visible_bytes", r.Image.VisibleBytes, o.visible)
	eq("files", r.Image.Files, o.files)
	eq("cache_bytes", r.Image.CacheBytes, o.aptLists+o.tmp)
	eq("duplicate_bytes", r.Image.DuplicateBytes, o.dupBytes)
	eq("layers", len(r.Layers), len(o.layerSize))
	for i := range min(len(r.Layers), len(o.layerSize)) {
		eq(fmt.Sprintf("layers[%d].size_bytes", i), r.Layers[i].SizeBytes, o.layerSize[i])
		eq(fmt.Sprintf("layers[%d].wasted_bytes", i), r.Layers[i].WastedBytes, o.layerWaste[i])
	}
	got := map[string]account.WasteItem{}
	for _, w := range r.Waste {
		got[w.Path] = w
	}
	eq("waste items", len(r.Waste), len(o.waste))
	for _, w := range o.waste {
		eq("waste "+w.Path, got[w.Path], w)
	}
	return bad
}

package report

import (
	"archive/tar"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"

	"github.com/whittle/whittle/examples/appimage"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
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
	// Package attribution: the bytes and files of each dpkg package (the
	// visible regular files at the paths the generator declares for it),
	// the layer that installs it, and the visible bytes and files of no
	// package by top directory.
	pkgBytes, pkgFiles map[string]int64
	pkgLayer           map[string]int
	pkgAuto            map[string]bool
	unownedBytes       map[string]int64
	unownedFiles       map[string]int64
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
	o.pkgBytes, o.pkgFiles, o.pkgLayer, o.pkgAuto = map[string]int64{}, map[string]int64{}, map[string]int{}, map[string]bool{}
	o.unownedBytes, o.unownedFiles = map[string]int64{}, map[string]int64{}
	owned := map[string]bool{}
	for _, p := range appimage.Packages() {
		o.pkgLayer[p.Name] = p.Layer
		o.pkgAuto[p.Name] = p.Auto
		o.pkgBytes[p.Name] += 0
		for _, path := range p.Paths {
			if f, ok := final["/"+path]; ok { // hard links and symlinks are not in final
				o.pkgBytes[p.Name] += int64(len(f.data))
				o.pkgFiles[p.Name]++
				owned["/"+path] = true
			}
		}
	}
	for p, f := range final {
		if owned[p] {
			continue
		}
		parts := strings.Split(p, "/") // "", top, second, ...
		top := "/"
		switch {
		case len(parts) > 3 && (parts[1] == "usr" || parts[1] == "var"):
			top = "/" + parts[1] + "/" + parts[2]
		case len(parts) > 2:
			top = "/" + parts[1]
		}
		o.unownedBytes[top] += int64(len(f.data))
		o.unownedFiles[top]++
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

// checkPackages compares the package attribution with the oracle.
func (o exampleOracle) checkPackages(res *packages.Result) []string {
	var bad []string
	eq := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			bad = append(bad, fmt.Sprintf("%s = %v, want %v", what, got, want))
		}
	}
	eq("complete", res.Complete, true)
	eq("packages", len(res.Packages), len(o.pkgBytes))
	var inPkgs int64
	for _, p := range res.Packages {
		eq(p.Name+" bytes", p.Bytes, o.pkgBytes[p.Name])
		eq(p.Name+" files", p.Files, o.pkgFiles[p.Name])
		eq(p.Name+" layer", p.Layer, o.pkgLayer[p.Name])
		eq(p.Name+" files known", p.FilesKnown, true)
		eq(p.Name+" auto", p.Auto, o.pkgAuto[p.Name])
		inPkgs += p.Bytes
	}
	eq("unowned groups", len(res.Unowned), len(o.unownedBytes))
	for _, u := range res.Unowned {
		eq(u.Dir+" bytes", u.Bytes, o.unownedBytes[u.Dir])
		eq(u.Dir+" files", u.Files, o.unownedFiles[u.Dir])
	}
	var unowned int64
	for _, b := range o.unownedBytes {
		unowned += b
	}
	eq("bytes in packages and in none", inPkgs+unowned, o.visible)
	return bad
}

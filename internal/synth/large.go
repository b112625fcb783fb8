package synth

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
)

// LargeSpec describes the benchmark image Large writes.
type LargeSpec struct {
	// Layers (at least 3), Files (regular files over all layers) and
	// Bytes (their total content, uncompressed, approximately).
	Layers int
	Files  int
	Bytes  int64
	// Seed makes the image; equal specs give equal images.
	Seed uint64
	// Packages, when > 0, adds a dpkg database (var/lib/dpkg/status and
	// info/NAME.list) of that many packages, installed by the first three
	// layers (fewer when there are fewer layers), each owning some of the
	// directories its layer writes. Zero gives the same image as before.
	Packages int `json:",omitempty"`
}

// DefaultLarge is the benchmark image of whittle analyze: 6 layers, 300k
// files, about 1 GB uncompressed, gzip.
var DefaultLarge = LargeSpec{Layers: 6, Files: 300000, Bytes: 1 << 30, Seed: 1}

// Large writes an OCI image layout for spec under dir (created if
// missing) and returns the path of the layout. A layout already written
// there for the same spec is reused. The image has, beside new files in
// every layer: files overwritten by later layers, files and whole
// directories deleted by whiteouts, directories made opaque (with new
// entries after the marker), duplicate files, and a package cache.
func Large(ctx context.Context, dir string, spec LargeSpec) (string, error) {
	if spec.Layers < 3 || spec.Files < spec.Layers*100 || spec.Bytes <= 0 {
		return "", fmt.Errorf("invalid large image spec %+v", spec)
	}
	name := fmt.Sprintf("large-l%d-f%d-b%d-s%d", spec.Layers, spec.Files, spec.Bytes, spec.Seed)
	if spec.Packages > 0 {
		name += fmt.Sprintf("-p%d", spec.Packages)
	}
	out := filepath.Join(dir, name)
	stamp := filepath.Join(out, "whittle-large.json")
	if b, err := os.ReadFile(stamp); err == nil {
		var got LargeSpec
		if json.Unmarshal(b, &got) == nil && got == spec {
			return out, nil
		}
	}
	if err := os.RemoveAll(out); err != nil {
		return "", fmt.Errorf("clearing %s: %w", out, err)
	}
	tmp := out + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", tmp, err)
	}
	g := newLargeGen(spec)
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var adds []mutate.Addendum
	for i := 0; i < spec.Layers; i++ {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		p := filepath.Join(tmp, fmt.Sprintf("layer%d.tar.gz", i))
		if err := g.writeLayer(i, p); err != nil {
			return "", fmt.Errorf("writing layer %d: %w", i, err)
		}
		l, err := tarball.LayerFromFile(p, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return "", fmt.Errorf("opening layer %d: %w", i, err)
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("RUN step %d", i)}, MediaType: types.OCILayer})
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		return "", fmt.Errorf("appending layers: %w", err)
	}
	lp, err := layout.Write(filepath.Join(tmp, "oci"), empty.Index)
	if err != nil {
		return "", fmt.Errorf("writing layout: %w", err)
	}
	if err := lp.AppendImage(img); err != nil {
		return "", fmt.Errorf("writing image: %w", err)
	}
	for i := 0; i < spec.Layers; i++ {
		os.Remove(filepath.Join(tmp, fmt.Sprintf("layer%d.tar.gz", i)))
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(tmp, "oci", "whittle-large.json"), b, 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(tmp, "oci"), out); err != nil {
		return "", fmt.Errorf("renaming layout: %w", err)
	}
	os.RemoveAll(tmp)
	return out, nil
}

// largeGen plans the files of the large image. Files live in directories
// of 100: layer L writes directories "lL/dNNNN". Later layers overwrite,
// delete and opaque some directories of earlier layers.
type largeGen struct {
	spec   LargeSpec
	corpus []byte
	perDir int
	avg    int64
}

func newLargeGen(spec LargeSpec) *largeGen {
	g := &largeGen{spec: spec, perDir: 100, avg: spec.Bytes / int64(spec.Files)}
	// A text-like corpus: words of a small vocabulary, so that content
	// compresses about as well as real files do.
	r := rand.New(rand.NewPCG(spec.Seed, 7))
	words := make([]string, 4096)
	for i := range words {
		n := 2 + r.IntN(10)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		words[i] = b.String()
	}
	var c strings.Builder
	for c.Len() < 4<<20 {
		c.WriteString(words[r.IntN(len(words))])
		if r.IntN(12) == 0 {
			c.WriteByte('\n')
		} else {
			c.WriteByte(' ')
		}
	}
	g.corpus = []byte(c.String())
	return g
}

// content writes size bytes for seed: a slice of the corpus with a few
// bytes of noise.
func (g *largeGen) content(w *tar.Writer, size int64, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, g.spec.Seed))
	var buf [8]byte
	for size > 0 {
		off := r.IntN(len(g.corpus) - 65536)
		n := int64(1024 + r.IntN(64512))
		if n > size {
			n = size
		}
		if _, err := w.Write(g.corpus[off : off+int(n)]); err != nil {
			return err
		}
		size -= n
		if size >= 8 {
			v := r.Uint64()
			for i := range buf {
				buf[i] = byte(v >> (8 * i))
			}
			if _, err := w.Write(buf[:]); err != nil {
				return err
			}
			size -= 8
		}
	}
	return nil
}

func (g *largeGen) size(r *rand.Rand) int64 {
	// Sizes spread from tiny to 4x the average, mean about the average.
	return 1 + r.Int64N(2*g.avg)
}

func (g *largeGen) dirs(layer int) int {
	files := g.spec.Files / g.spec.Layers
	if layer == 0 {
		files += g.spec.Files % g.spec.Layers
	}
	return files / g.perDir
}

func (g *largeGen) writeLayer(idx int, p string) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	r := rand.New(rand.NewPCG(g.spec.Seed, uint64(idx)+100))
	file := func(name string, size int64, seed uint64) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size, Mode: 0o644, ModTime: epoch}); err != nil {
			return err
		}
		return g.content(tw, size, seed)
	}
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch})
	}
	white := func(name string) error {
		d, b := filepath.Split(name)
		return tw.WriteHeader(&tar.Header{Name: d + ".wh." + b, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: epoch})
	}
	budget := g.spec.Files / g.spec.Layers
	if idx == 0 {
		budget += g.spec.Files % g.spec.Layers
	}
	if idx > 0 {
		prev := idx - 1
		nd := g.dirs(prev)
		// Delete 2% of the directories of the layer below, whole.
		for d := 0; d < nd; d += 50 {
			if err := white(fmt.Sprintf("l%d/d%05d", prev, d)); err != nil {
				return err
			}
		}
		// Make 1% opaque, with 10 new files after the marker.
		for d := 1; d < nd; d += 100 {
			name := fmt.Sprintf("l%d/d%05d", prev, d)
			if err := dir(name); err != nil {
				return err
			}
			if err := tw.WriteHeader(&tar.Header{Name: name + "/.wh..wh..opq", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: epoch}); err != nil {
				return err
			}
			for k := 0; k < 10; k++ {
				if err := file(fmt.Sprintf("%s/n%03d", name, k), g.size(r), r.Uint64()); err != nil {
					return err
				}
				budget--
			}
		}
		// Overwrite 5% of the files below and delete 2% one by one.
		for d := 2; d < nd; d += 20 {
			for k := 0; k < g.perDir; k += 10 {
				if err := file(fmt.Sprintf("l%d/d%05d/f%03d", prev, d, k), g.size(r), r.Uint64()); err != nil {
					return err
				}
				budget--
			}
		}
		for d := 3; d < nd; d += 20 {
			for k := 0; k < g.perDir; k += 5 {
				if err := white(fmt.Sprintf("l%d/d%05d/f%03d", prev, d, k)); err != nil {
					return err
				}
			}
		}
		// A package cache left behind.
		if err := file(fmt.Sprintf("var/cache/apt/archives/pkg%d.deb", idx), 4*g.avg, uint64(idx)); err != nil {
			return err
		}
		budget--
	}
	// New files, in directories of 100; every 50th file a copy of another.
	if err := dir(fmt.Sprintf("l%d", idx)); err != nil {
		return err
	}
	for n := 0; n < budget; n++ {
		d, k := n/g.perDir, n%g.perDir
		if k == 0 {
			if err := dir(fmt.Sprintf("l%d/d%05d", idx, d)); err != nil {
				return err
			}
		}
		size, seed := g.size(r), r.Uint64()
		if n%50 == 49 {
			size, seed = 3*g.avg, 42
		}
		if err := file(fmt.Sprintf("l%d/d%05d/f%03d", idx, d, k), size, seed); err != nil {
			return err
		}
	}
	if err := g.writePackages(tw, idx, budget); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// pkgLayers is how many of the first layers install packages.
func (g *largeGen) pkgLayers() int { return min(3, g.spec.Layers) }

// writePackages writes the dpkg database of layer idx: the .list of each
// package this layer installs (package k of the layer owns its new
// directories d with d % perLayer == k) and the status of every package
// installed so far. files is the number of new files the layer wrote.
func (g *largeGen) writePackages(tw *tar.Writer, idx, files int) error {
	if g.spec.Packages <= 0 || idx >= g.pkgLayers() {
		return nil
	}
	perLayer := max(1, g.spec.Packages/g.pkgLayers())
	put := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(b)), Mode: 0o644, ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	lists := make([]strings.Builder, perLayer)
	for n := 0; n < files; n++ {
		d, k := n/g.perDir, n%g.perDir
		l := &lists[d%perLayer]
		if k == 0 {
			fmt.Fprintf(l, "/l%d/d%05d\n", idx, d)
		}
		fmt.Fprintf(l, "/l%d/d%05d/f%03d\n", idx, d, k)
	}
	for k := range lists {
		if err := put(fmt.Sprintf("var/lib/dpkg/info/pkg-l%d-%04d.list", idx, k), []byte("/.\n/l"+fmt.Sprint(idx)+"\n"+lists[k].String())); err != nil {
			return err
		}
	}
	var status strings.Builder
	for l := 0; l <= idx; l++ {
		for k := 0; k < perLayer; k++ {
			fmt.Fprintf(&status, "Package: pkg-l%d-%04d\nStatus: install ok installed\nPriority: optional\nSection: misc\nInstalled-Size: %d\nMaintainer: Bench <bench@example.org>\nArchitecture: amd64\nVersion: 1.%d-%d\nDescription: a synthetic package\n of the benchmark image\n\n", l, k, g.avg*int64(g.perDir)/1024, l, k)
		}
	}
	return put("var/lib/dpkg/status", []byte(status.String()))
}

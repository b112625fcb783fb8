package fleet

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/layer"
)

// Layers of known content sizes; the same declared layer builds to the
// same bytes, so images built from it share it by construction.
var (
	base0 = synth.Layer{Entries: []synth.Entry{synth.Dir("etc"), synth.File("etc/a", string(synth.Pattern(100, 1)))}, CreatedBy: "ADD rootfs.tar /"}
	base1 = synth.Layer{Entries: []synth.Entry{synth.File("usr/b", string(synth.Pattern(200, 2))), synth.Symlink("usr/l", "b")}, CreatedBy: "RUN install runtime"}
	slim  = synth.Layer{Entries: []synth.Entry{synth.File("s", string(synth.Pattern(50, 3)))}, CreatedBy: "ADD slim.tar /"}
	appA  = synth.Layer{Entries: []synth.Entry{synth.File("app/x", string(synth.Pattern(10, 4)))}, CreatedBy: "COPY x /app/"}
	appB  = synth.Layer{Entries: []synth.Entry{synth.File("app/y", string(synth.Pattern(20, 5))), synth.Whiteout("etc/a")}, CreatedBy: "COPY y /app/"}
	appC  = synth.Layer{Entries: []synth.Entry{synth.File("app/z", string(synth.Pattern(30, 6)))}, CreatedBy: "COPY z /app/"}
	appD  = synth.Layer{Entries: []synth.Entry{synth.File("app/w", string(synth.Pattern(40, 7)))}, CreatedBy: "COPY w /app/"}
)

func image(t *testing.T, ref string, layers ...synth.Layer) Image {
	t.Helper()
	img, err := synth.Build(synth.Image{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	return Image{Reference: ref, Image: img}
}

// blobBytes is the compressed size of a declared layer, as built.
func blobBytes(t *testing.T, l synth.Layer) int64 {
	t.Helper()
	ly, err := synth.NewLayer(l, false)
	if err != nil {
		t.Fatal(err)
	}
	n, err := ly.Size()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAnalyzeByConstruction(t *testing.T) {
	images := []Image{
		image(t, "a", base0, base1, appA),
		image(t, "b", base0, base1, appB),
		image(t, "c", base0, appC),
		image(t, "d", slim, appD),
		image(t, "e", slim, appA), // appA's content on another stack: another layer on disk
	}
	var progress []Progress
	rep, err := Analyze(context.Background(), images, WithJobs(2), WithProgress(func(p Progress) { progress = append(progress, p) }))
	if err != nil {
		t.Fatal(err)
	}
	// Content sizes: base0 100, base1 200, slim 50, appA 10, appB 20,
	// appC 30, appD 40 (whiteouts and symlinks carry no content).
	wantSizes := map[string]int64{"a": 310, "b": 320, "c": 130, "d": 90, "e": 60}
	wantUnique := map[string]int64{"a": 10, "b": 20, "c": 30, "d": 40, "e": 10}
	for _, im := range rep.Images {
		if im.SizeBytes != wantSizes[im.Reference] || im.UniqueBytes != wantUnique[im.Reference] {
			t.Errorf("%s: size %d unique %d, want %d %d", im.Reference, im.SizeBytes, im.UniqueBytes, wantSizes[im.Reference], wantUnique[im.Reference])
		}
		if im.Platform != "linux/amd64" || im.Digest == "" {
			t.Errorf("%s: platform %q digest %q", im.Reference, im.Platform, im.Digest)
		}
	}
	if rep.SizeBytes != 910 || rep.FootprintBytes != 460 || rep.SharedSavingBytes != 450 {
		t.Errorf("size %d footprint %d saving %d, want 910 460 450", rep.SizeBytes, rep.FootprintBytes, rep.SharedSavingBytes)
	}
	// 8 distinct layers (chains), but 7 distinct contents read once each.
	if len(rep.Layers) != 8 {
		t.Errorf("%d layers, want 8", len(rep.Layers))
	}
	if n := len(progress); n != 7 || progress[n-1] != (Progress{Layers: 7, LayersDone: 7}) {
		t.Errorf("progress %+v, want 7 reports ending at 7/7", progress)
	}
	holders := map[string]int{}
	for _, l := range rep.Layers {
		holders[l.CreatedBy] += l.Images
	}
	if want := map[string]int{"ADD rootfs.tar /": 3, "RUN install runtime": 2, "ADD slim.tar /": 2, "COPY x /app/": 2, "COPY y /app/": 1, "COPY z /app/": 1, "COPY w /app/": 1}; !reflect.DeepEqual(holders, want) {
		t.Errorf("holders by instruction %v, want %v", holders, want)
	}

	// Blobs: the same sums over the built blob sizes.
	b0, b1, bs, bA, bB, bC, bD := blobBytes(t, base0), blobBytes(t, base1), blobBytes(t, slim), blobBytes(t, appA), blobBytes(t, appB), blobBytes(t, appC), blobBytes(t, appD)
	if want := (b0 + b1 + bA) + (b0 + b1 + bB) + (b0 + bC) + (bs + bD) + (bs + bA); rep.CompressedBytes != want {
		t.Errorf("compressed %d, want %d", rep.CompressedBytes, want)
	}
	if want := b0 + b1 + bA + bB + bC + bs + bD + bA; rep.FootprintCompressedBytes != want || rep.SharedSavingCompressedBytes != rep.CompressedBytes-want {
		t.Errorf("compressed footprint %d saving %d, want %d", rep.FootprintCompressedBytes, rep.SharedSavingCompressedBytes, want)
	}
	if rep.Images[3].UniqueCompressedBytes != bD {
		t.Errorf("d unique compressed %d, want %d", rep.Images[3].UniqueCompressedBytes, bD)
	}

	// Bases: a and b share two layers (300 bytes, saving 300), a, b and
	// c one (100, saving 200), d and e one (50, saving 50).
	type base struct {
		layers       int
		size, saved  int64
		images       []string
		createdBy    string
		compressedOK bool
	}
	var got []base
	for _, b := range rep.Bases {
		got = append(got, base{b.Layers, b.SizeBytes, b.SavedBytes, b.Images, b.CreatedBy, b.CompressedBytes > 0})
	}
	want := []base{
		{2, 300, 300, []string{"a", "b"}, "RUN install runtime", true},
		{1, 100, 200, []string{"a", "b", "c"}, "ADD rootfs.tar /", true},
		{1, 50, 50, []string{"d", "e"}, "ADD slim.tar /", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bases\n got %+v\nwant %+v", got, want)
	}
}

func TestAnalyzeEdges(t *testing.T) {
	// One image: nothing shared. The same image twice: counted once.
	a := image(t, "a", base0, appA)
	rep, err := Analyze(context.Background(), []Image{a})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SizeBytes != 110 || rep.FootprintBytes != 110 || rep.SharedSavingBytes != 0 || len(rep.Bases) != 0 || rep.Images[0].UniqueBytes != 110 {
		t.Errorf("one image: %+v", rep)
	}
	if !reflect.DeepEqual(rep.Images[0].Aliases, []string{}) {
		t.Errorf("one image: aliases %#v, want empty", rep.Images[0].Aliases)
	}
	// The same image again, under two more references (one of them the
	// same value, as when the config is read again): one image, the others
	// its aliases; nothing is "saved by sharing" with itself.
	b := image(t, "b", base0, appB)
	again, err := synth.Build(synth.Image{Layers: []synth.Layer{base0, appA}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Analyze(context.Background(), []Image{a, b, {Reference: "again", Image: a.Image}, {Reference: "rebuilt", Image: again}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Images) != 2 || rep.Images[0].Reference != "a" || !reflect.DeepEqual(rep.Images[0].Aliases, []string{"again", "rebuilt"}) ||
		rep.Images[1].Reference != "b" || len(rep.Images[1].Aliases) != 0 {
		t.Fatalf("twice: images %+v", rep.Images)
	}
	if rep.SizeBytes != 110+120 || rep.FootprintBytes != 100+10+20 || rep.SharedSavingBytes != 100 || rep.Images[0].UniqueBytes != 10 ||
		len(rep.Bases) != 1 || !reflect.DeepEqual(rep.Bases[0].Images, []string{"a", "b"}) {
		t.Errorf("twice: %+v", rep)
	}
	rep, err = Analyze(context.Background(), nil)
	if err != nil || rep.SizeBytes != 0 || rep.Images == nil || rep.Layers == nil || rep.Bases == nil {
		t.Errorf("no image: %+v, %v", rep, err)
	}
	if _, err := Analyze(context.Background(), []Image{a}, WithJobs(0)); err == nil {
		t.Error("jobs 0 accepted")
	}
}

// A layer whose content does not match its diff_id fails the analysis,
// naming the image and the layer.
func TestAnalyzeBadLayer(t *testing.T) {
	raw, _ := synth.TarBytes(base0.Entries)
	bad := synth.RawLayer(raw, types.OCIUncompressedLayer, synth.Digest([]byte("other")), synth.Digest(raw))
	img, err := mutate.AppendLayers(empty.Image, bad)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Analyze(context.Background(), []Image{image(t, "good", base0), {Reference: "broken", Image: img}})
	var mismatch *layer.DigestMismatchError
	if !errors.As(err, &mismatch) || mismatch.Layer != "broken layer 0 ("+synth.Digest(raw).String()+")" {
		t.Errorf("err = %v", err)
	}
	// With packages, the image's analysis reads the layer and names it.
	_, err = Analyze(context.Background(), []Image{image(t, "good", base0), {Reference: "broken", Image: img}}, WithPackages(true))
	if !errors.As(err, &mismatch) || !strings.HasPrefix(err.Error(), "broken: ") {
		t.Errorf("with packages: err = %v", err)
	}
}

func TestChainID(t *testing.T) {
	d0 := v1.Hash{Algorithm: "sha256", Hex: "0000000000000000000000000000000000000000000000000000000000000000"}
	d1 := v1.Hash{Algorithm: "sha256", Hex: "1111111111111111111111111111111111111111111111111111111111111111"}
	if got := chainID("", d0); got != d0.String() {
		t.Errorf("bottom chain ID %s", got)
	}
	// sha256("sha256:000...0 sha256:111...1"), as the OCI image
	// specification defines ChainID(L1|L0).
	if got, want := chainID(d0.String(), d1), "sha256:"+synth.Digest([]byte(d0.String()+" "+d1.String())).Hex; got != want {
		t.Errorf("chain ID %s, want %s", got, want)
	}
}

// The same content stored as another blob (zstd here) is the same layer
// on disk, but its own blob is read, checked and counted for its image.
func TestAnalyzeSameContentOtherBlob(t *testing.T) {
	zbase := base0
	zbase.Compression = "zstd"
	var progress []Progress
	rep, err := Analyze(context.Background(), []Image{image(t, "gzip", base0, appA), image(t, "zstd", zbase, appB)},
		WithProgress(func(p Progress) { progress = append(progress, p) }))
	if err != nil {
		t.Fatal(err)
	}
	gz, zs := blobBytes(t, base0), blobBytes(t, zbase)
	if gz == zs {
		t.Fatal("the two blobs have the same length: the test tells nothing")
	}
	if rep.Images[0].CompressedBytes != gz+blobBytes(t, appA) || rep.Images[1].CompressedBytes != zs+blobBytes(t, appB) {
		t.Errorf("compressed %d %d", rep.Images[0].CompressedBytes, rep.Images[1].CompressedBytes)
	}
	if rep.FootprintBytes != 100+10+20 || len(rep.Layers) != 3 || len(rep.Bases) != 1 || rep.Bases[0].SizeBytes != 100 {
		t.Errorf("footprint %d, %d layers, bases %+v", rep.FootprintBytes, len(rep.Layers), rep.Bases)
	}
	if n := len(progress); n != 4 || progress[n-1].Layers != 4 {
		t.Errorf("progress %+v: want 4 blobs read", progress)
	}
}

// Bases in use, from history: a and b are built on base0+base1 (their
// history has the base's CMD after those layers), c on slim, d has no
// history. Moving every known image onto slim would drop base0 and base1
// (300 bytes); onto base0+base1, slim (50 bytes).
func TestBasesInUse(t *testing.T) {
	hist := func(base []synth.Layer, own ...synth.Layer) Image {
		t.Helper()
		var h []v1.History
		for _, l := range base {
			h = append(h, v1.History{CreatedBy: l.CreatedBy})
		}
		h = append(h, v1.History{CreatedBy: `/bin/sh -c #(nop)  CMD ["bash"]`, EmptyLayer: true})
		for _, l := range own {
			h = append(h, v1.History{CreatedBy: l.CreatedBy})
		}
		img, err := synth.Build(synth.Image{Layers: append(append([]synth.Layer{}, base...), own...), History: h})
		if err != nil {
			t.Fatal(err)
		}
		return Image{Image: img}
	}
	a := hist([]synth.Layer{base0, base1}, appA)
	a.Reference = "a"
	b := hist([]synth.Layer{base0, base1}, appB)
	b.Reference = "b"
	c := hist([]synth.Layer{slim}, appC)
	c.Reference = "c"
	d, err := synth.Build(synth.Image{Layers: []synth.Layer{slim, appD}, NoHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(context.Background(), []Image{a, b, c, {Reference: "d", Image: d}})
	if err != nil {
		t.Fatal(err)
	}
	var baseLayers []int
	for _, im := range rep.Images {
		baseLayers = append(baseLayers, im.BaseLayers)
	}
	if !reflect.DeepEqual(baseLayers, []int{2, 2, 1, 0}) {
		t.Errorf("base layers %v, want [2 2 1 0]", baseLayers)
	}
	type use struct {
		layers       int
		size, saving int64
		images       []string
		createdBy    string
	}
	var got []use
	for _, u := range rep.BasesInUse {
		got = append(got, use{u.Layers, u.SizeBytes, u.ConsolidationSavingBytes, u.Images, u.CreatedBy})
		if u.CompressedBytes <= 0 || u.ConsolidationSavingCompressedBytes <= 0 {
			t.Errorf("base %+v: no blob bytes", u)
		}
	}
	want := []use{
		{1, 50, 300, []string{"c"}, "ADD slim.tar /"},
		{2, 300, 50, []string{"a", "b"}, "RUN install runtime"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bases in use\n got %+v\nwant %+v", got, want)
	}
	if s := rep.BasesInUse[0].ConsolidationSavingCompressedBytes; s != blobBytes(t, base0)+blobBytes(t, base1) {
		t.Errorf("saving compressed %d, want the blobs of base0 and base1", s)
	}
}

// A base stacked on another (python on debian): moving onto the lower one
// drops only what the upper one adds; moving onto the upper one drops
// nothing.
func TestBasesInUseNested(t *testing.T) {
	mk := func(ref string, base []synth.Layer, own synth.Layer) Image {
		t.Helper()
		var h []v1.History
		for _, l := range base {
			h = append(h, v1.History{CreatedBy: l.CreatedBy})
		}
		h = append(h, v1.History{CreatedBy: "CMD [\"sh\"]", EmptyLayer: true}, v1.History{CreatedBy: own.CreatedBy})
		img, err := synth.Build(synth.Image{Layers: append(append([]synth.Layer{}, base...), own), History: h})
		if err != nil {
			t.Fatal(err)
		}
		return Image{Reference: ref, Image: img}
	}
	rep, err := Analyze(context.Background(), []Image{mk("on-debian", []synth.Layer{base0}, appA), mk("on-python", []synth.Layer{base0, base1}, appB)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.BasesInUse) != 2 || rep.BasesInUse[0].Layers != 1 || rep.BasesInUse[0].ConsolidationSavingBytes != 200 ||
		rep.BasesInUse[1].Layers != 2 || rep.BasesInUse[1].ConsolidationSavingBytes != 0 {
		t.Errorf("bases in use %+v", rep.BasesInUse)
	}
}

// fleet holds every layer to the checks analyze and squash apply to it on
// its own (issue 11): diff_ids as many as the layers, the blob's declared
// size, every entry's layer.Entry.Check. A hard link's target is not
// checked: fleet reads each blob once and never merges an image's layers
// (docs/limits.md), so a link to nothing passes here while analyze and
// squash refuse it.
func TestAnalyzeHostile(t *testing.T) {
	layerOf := func(t *testing.T, es ...synth.Entry) v1.Layer {
		l, err := synth.NewLayer(synth.Layer{Entries: es}, true)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// WithPackages merges each image's filesystem as analyze does, and
	// refuses what analyze refuses.
	withPackages := map[string]func(error) bool{
		"hard link to a missing file (not checked by fleet)": func(err error) bool {
			return err != nil && strings.HasPrefix(err.Error(), "hostile: ")
		},
	}
	invalid := func(reason string) func(error) bool {
		return func(err error) bool {
			var ie *layer.InvalidEntryError
			return errors.As(err, &ie) && ie.Reason == reason && ie.Layer != ""
		}
	}
	for _, tc := range []struct {
		name   string
		layers func(t *testing.T) []v1.Layer
		check  func(error) bool // nil: accepted
	}{
		{"whiteout of ..", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("a/b", "b")), layerOf(t, synth.Entry{Kind: synth.KindFile, Path: "a/.wh..."})}
		}, invalid(layer.InvalidWhiteoutName)},
		{"whiteout shaped as a directory", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.Dir(".wh.b"), synth.File(".wh.b/c", "c"))}
		}, invalid(layer.InvalidWhiteoutType)},
		{"a file under an opaque marker name", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("a/.wh..wh..opq/c", "c"))}
		}, invalid(layer.InvalidUnderMarker)},
		{"hard link to itself", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("a", "a"), synth.Hardlink("a", "a"))}
		}, invalid(layer.InvalidLinkSelf)},
		{"a path out of the root", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("../x", "x"))}
		}, func(err error) bool { var ue *layer.UnsafeEntryError; return errors.As(err, &ue) }},
		{"a blob whose manifest says another size", func(t *testing.T) []v1.Layer {
			l := layerOf(t, synth.File("a", "a"))
			n, _ := l.Size()
			return []v1.Layer{synth.LyingSize(l, n+1)}
		}, func(err error) bool { var ce *layer.CorruptError; return errors.As(err, &ce) }},
		{"hard link to a missing file (not checked by fleet)", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("a", "a")), layerOf(t, synth.Hardlink("l", "missing"))}
		}, nil},
	} {
		for _, pk := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/packages=%v", tc.name, pk), func(t *testing.T) {
				img, err := mutate.AppendLayers(empty.Image, tc.layers(t)...)
				if err != nil {
					t.Fatal(err)
				}
				_, err = Analyze(context.Background(), []Image{image(t, "good", base0), {Reference: "hostile", Image: img}}, WithPackages(pk))
				check := tc.check
				if c, ok := withPackages[tc.name]; ok && pk {
					check = c
				}
				if check == nil {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if err == nil || !check(err) {
					t.Fatalf("err = %v (%T)", err, err)
				}
			})
		}
	}
	// A config listing fewer layers than the manifest.
	img, err := mutate.AppendLayers(empty.Image, layerOf(t, synth.File("a", "a")), layerOf(t, synth.File("b", "b")))
	if err != nil {
		t.Fatal(err)
	}
	if img, err = synth.ShortDiffIDs(img, 1); err != nil {
		t.Fatal(err)
	}
	var ce *layer.CountError
	if _, err := Analyze(context.Background(), []Image{{Reference: "short", Image: img}}); !errors.As(err, &ce) {
		t.Errorf("short diff_ids: err = %v", err)
	}
}

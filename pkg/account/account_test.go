package account

import (
	"context"
	"io"
	"reflect"
	"sort"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/whittle/whittle/internal/benchutil"
	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/fstree"
)

// lf is the expected per-layer figures: size, wasted, added, modified,
// deleted.
type lf struct {
	size, wasted, added, modified, deleted int64
}

type accountCase struct {
	name   string
	img    synth.Image
	size   int64 // Image.SizeBytes
	wasted int64
	files  int64
	dup    int64 // Image.DuplicateBytes (no case has caches: CacheBytes 0)
	layers []lf
	waste  []WasteItem
	// noSquash, when set, says why go-containerregistry's mutate.Extract
	// does not flatten this case losslessly (so the squash proof is not
	// an oracle for it).
	noSquash string
}

func L(entries ...synth.Entry) synth.Layer { return synth.Layer{Entries: entries} }

func sz(n int, seed uint64) synth.Entry {
	return synth.Entry{Kind: synth.KindFile, Size: int64(n), Seed: seed}
}

func at(p string, e synth.Entry) synth.Entry { e.Path = p; return e }

var accountCases = []accountCase{
	{
		name: "overwrite",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Dir("a"), synth.File("a/f", "aaaa"), synth.File("a/g", "gg")),
			L(synth.File("a/f", "bbbbbb")),
		}},
		size: 12, wasted: 4, files: 2,
		layers: []lf{{6, 4, 2, 0, 0}, {6, 0, 0, 1, 0}},
		waste:  []WasteItem{{Path: "/a/f", Layer: 0, Bytes: 4, Reason: ReasonOverwritten, ShadowedBy: 1}},
	},
	{
		name: "deleted file",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.File("a", "12345"), synth.File("b", "xy")),
			L(synth.Whiteout("a")),
		}},
		size: 7, wasted: 5, files: 1,
		layers: []lf{{7, 5, 2, 0, 0}, {0, 0, 0, 0, 1}},
		waste:  []WasteItem{{Path: "/a", Layer: 0, Bytes: 5, Reason: ReasonDeleted, ShadowedBy: 1}},
	},
	{
		name: "deleted dir",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Dir("d"), synth.File("d/x", "xxx"), synth.Dir("d/y"), synth.File("d/y/z", "zzzz"), synth.Symlink("d/s", "x"), synth.File("e", "e")),
			L(synth.Whiteout("d")),
		}},
		size: 8, wasted: 7, files: 1,
		layers: []lf{{8, 7, 4, 0, 0}, {0, 0, 0, 0, 3}},
		waste: []WasteItem{
			{Path: "/d/x", Layer: 0, Bytes: 3, Reason: ReasonParentDeleted, ShadowedBy: 1},
			{Path: "/d/y/z", Layer: 0, Bytes: 4, Reason: ReasonParentDeleted, ShadowedBy: 1},
		},
	},
	{
		name: "opaque dir, same-layer entries after the marker",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Dir("d"), synth.File("d/x", "xxx"), synth.File("d/y", "yyyy")),
			L(synth.Dir("d"), synth.Opaque("d"), synth.File("d/y", "YYYYY"), synth.File("d/new", "nn")),
		}},
		size: 14, wasted: 7, files: 2,
		layers: []lf{{7, 7, 2, 0, 0}, {7, 0, 1, 1, 2}},
		waste: []WasteItem{
			{Path: "/d/x", Layer: 0, Bytes: 3, Reason: ReasonOpaque, ShadowedBy: 1},
			{Path: "/d/y", Layer: 0, Bytes: 4, Reason: ReasonOpaque, ShadowedBy: 1},
		},
	},
	{
		name: "opaque dir, marker last in the tar",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Dir("d"), synth.File("d/x", "xxx"), synth.File("d/y", "yyyy")),
			L(synth.Dir("d"), synth.File("d/y", "YYYYY"), synth.File("d/new", "nn"), synth.Opaque("d")),
		}},
		size: 14, wasted: 7, files: 2,
		layers: []lf{{7, 7, 2, 0, 0}, {7, 0, 1, 1, 2}},
		waste: []WasteItem{
			{Path: "/d/x", Layer: 0, Bytes: 3, Reason: ReasonOpaque, ShadowedBy: 1},
			{Path: "/d/y", Layer: 0, Bytes: 4, Reason: ReasonOpaque, ShadowedBy: 1},
		},
	},
	{
		name: "same-layer whiteout of a dir and a new file in it, whiteout first",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Dir("dir"), synth.File("dir/a", "aaa")),
			L(synth.Whiteout("dir"), synth.Dir("dir"), synth.File("dir/b", "bbbb")),
		}},
		size: 7, wasted: 3, files: 1,
		layers:   []lf{{3, 3, 1, 0, 0}, {4, 0, 1, 0, 1}},
		waste:    []WasteItem{{Path: "/dir/a", Layer: 0, Bytes: 3, Reason: ReasonParentDeleted, ShadowedBy: 1}},
		noSquash: "mutate.Extract hides same-layer entries that follow a whiteout of their parent",
	},
	{
		name: "same-layer whiteout of a dir and a new file in it, file first",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Dir("dir"), synth.File("dir/a", "aaa")),
			L(synth.Dir("dir"), synth.File("dir/b", "bbbb"), synth.Whiteout("dir")),
		}},
		size: 7, wasted: 3, files: 1,
		layers: []lf{{3, 3, 1, 0, 0}, {4, 0, 1, 0, 1}},
		waste:  []WasteItem{{Path: "/dir/a", Layer: 0, Bytes: 3, Reason: ReasonParentDeleted, ShadowedBy: 1}},
	},
	{
		name: "directory replaced by a file",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Dir("d"), synth.File("d/x", "xxx"), synth.File("d/y", "yy"), synth.File("k", "k")),
			L(synth.File("d", "zz")),
		}},
		size: 8, wasted: 5, files: 2,
		layers: []lf{{6, 5, 3, 0, 0}, {2, 0, 0, 1, 0}},
		waste: []WasteItem{
			{Path: "/d/x", Layer: 0, Bytes: 3, Reason: ReasonParentReplaced, ShadowedBy: 1},
			{Path: "/d/y", Layer: 0, Bytes: 2, Reason: ReasonParentReplaced, ShadowedBy: 1},
		},
	},
	{
		name: "file replaced by a directory",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.File("d", "dddd")),
			L(synth.Dir("d"), synth.File("d/x", "xxx")),
		}},
		size: 7, wasted: 4, files: 1,
		layers: []lf{{4, 4, 1, 0, 0}, {3, 0, 1, 0, 0}},
		waste:  []WasteItem{{Path: "/d", Layer: 0, Bytes: 4, Reason: ReasonOverwritten, ShadowedBy: 1}},
	},
	{
		name: "hard link in the same layer is not counted twice",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.File("a", "12345"), synth.Hardlink("b", "a"), synth.File("c", "12345")),
		}},
		size: 10, wasted: 0, files: 2, dup: 5,
		layers: []lf{{10, 0, 3, 0, 0}},
	},
	{
		name: "deleting one name of a hard-linked pair keeps the bytes",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.File("a", "12345"), synth.Hardlink("b", "a")),
			L(synth.Whiteout("a")),
		}},
		size: 5, wasted: 0, files: 1,
		layers:   []lf{{5, 0, 2, 0, 0}, {0, 0, 0, 0, 1}},
		noSquash: "mutate.Extract keeps a hard link whose target name was deleted, without its content",
	},
	{
		name: "deleting both names of a hard-linked pair",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.File("a", "12345"), synth.Hardlink("b", "a"), synth.File("k", "kk")),
			L(synth.Whiteout("a"), synth.Whiteout("b")),
		}},
		size: 7, wasted: 5, files: 1,
		layers: []lf{{7, 5, 3, 0, 0}, {0, 0, 0, 0, 2}},
		waste:  []WasteItem{{Path: "/a", Layer: 0, Bytes: 5, Reason: ReasonDeleted, ShadowedBy: 1}},
	},
	{
		name: "hard link in a later layer to a lower file, then the lower name overwritten",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.File("a", "12345")),
			L(synth.Hardlink("c", "a")),
			L(synth.File("a", "zz")),
		}},
		size: 7, wasted: 0, files: 2,
		layers:   []lf{{5, 0, 1, 0, 0}, {0, 0, 1, 0, 0}, {2, 0, 0, 1, 0}},
		noSquash: "mutate.Extract writes the link before its target (upper layers first)",
	},
	{
		name: "symlinks are never followed",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Dir("real"), synth.File("real/x", "xxx"), synth.Symlink("link", "real"), synth.Symlink("s", "real/x")),
			L(synth.Whiteout("link/x"), synth.Whiteout("s")),
		}},
		size: 3, wasted: 0, files: 1,
		layers: []lf{{3, 0, 3, 0, 0}, {0, 0, 0, 0, 1}},
	},
	{
		name: "same path twice in one layer: the last entry wins",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.File("a", "first"), synth.File("a", "second!")),
		}},
		size: 12, wasted: 5, files: 1,
		layers:   []lf{{12, 5, 1, 0, 0}},
		waste:    []WasteItem{{Path: "/a", Layer: 0, Bytes: 5, Reason: ReasonOverwritten, ShadowedBy: 0}},
		noSquash: "mutate.Extract keeps the first entry of a path in a layer, tar extraction the last",
	},
	{
		name: "deleted, then re-created in a later layer",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Dir("d"), synth.File("d/x", "xxx")),
			L(synth.Whiteout("d")),
			L(synth.Dir("d"), synth.File("d/x", "XXXXX")),
		}},
		size: 8, wasted: 3, files: 1,
		layers: []lf{{3, 3, 1, 0, 0}, {0, 0, 0, 0, 1}, {5, 0, 1, 0, 0}},
		waste:  []WasteItem{{Path: "/d/x", Layer: 0, Bytes: 3, Reason: ReasonParentDeleted, ShadowedBy: 1}},
	},
	{
		name: "paths cleaned: ./a and /a are one path; compressions mixed",
		img: synth.Image{Layers: []synth.Layer{
			{Entries: []synth.Entry{synth.Dir("./etc/"), synth.File("./etc/conf", "one")}, Compression: "zstd"},
			{Entries: []synth.Entry{synth.File("/etc/conf", "two!")}, Compression: "none"},
			{Entries: []synth.Entry{synth.File("etc//conf", "three")}},
		}},
		size: 12, wasted: 7, files: 1,
		layers: []lf{{3, 3, 1, 0, 0}, {4, 4, 0, 1, 0}, {5, 0, 0, 1, 0}},
		waste: []WasteItem{
			{Path: "/etc/conf", Layer: 0, Bytes: 3, Reason: ReasonOverwritten, ShadowedBy: 1},
			{Path: "/etc/conf", Layer: 1, Bytes: 4, Reason: ReasonOverwritten, ShadowedBy: 2},
		},
		noSquash: "mutate.Extract takes /etc/conf and etc/conf for two paths",
	},
	{
		name: "fifo and empty files",
		img: synth.Image{Layers: []synth.Layer{
			L(synth.Entry{Kind: synth.KindFifo, Path: "p"}, synth.File("e1", ""), synth.File("e2", "")),
			L(synth.Whiteout("e1")),
		}},
		size: 0, wasted: 0, files: 1,
		layers: []lf{{0, 0, 3, 0, 0}, {0, 0, 0, 0, 1}},
		waste:  []WasteItem{{Path: "/e1", Layer: 0, Bytes: 0, Reason: ReasonDeleted, ShadowedBy: 1}},
	},
}

func build(t *testing.T, spec synth.Image) v1.Image {
	t.Helper()
	img, err := synth.Build(spec)
	if err != nil {
		t.Fatalf("building image: %v", err)
	}
	return img
}

func sortWaste(w []WasteItem) []WasteItem {
	out := append([]WasteItem{}, w...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Layer != out[j].Layer {
			return out[i].Layer < out[j].Layer
		}
		return out[i].Path < out[j].Path
	})
	return out
}

func TestAccountCases(t *testing.T) {
	ctx := context.Background()
	for _, tc := range accountCases {
		t.Run(tc.name, func(t *testing.T) {
			img := build(t, tc.img)
			rep, err := Analyze(ctx, img, WithJobs(2))
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			im := rep.Image
			if im.SizeBytes != tc.size || im.WastedBytes != tc.wasted || im.Files != tc.files || im.VisibleBytes != tc.size-tc.wasted {
				t.Errorf("image: size %d wasted %d visible %d files %d; want size %d wasted %d visible %d files %d",
					im.SizeBytes, im.WastedBytes, im.VisibleBytes, im.Files, tc.size, tc.wasted, tc.size-tc.wasted, tc.files)
			}
			if im.DuplicateBytes != tc.dup || im.CacheBytes != 0 || len(rep.Caches) != 0 {
				t.Errorf("duplicate bytes %d (want %d), cache bytes %d (want 0)", im.DuplicateBytes, tc.dup, im.CacheBytes)
			}
			if len(rep.Layers) != len(tc.layers) {
				t.Fatalf("layers: %d, want %d", len(rep.Layers), len(tc.layers))
			}
			var compressed int64
			for i, w := range tc.layers {
				g := rep.Layers[i]
				got := lf{g.SizeBytes, g.WastedBytes, g.FilesAdded, g.FilesModified, g.FilesDeleted}
				if got != w {
					t.Errorf("layer %d: {size wasted added modified deleted} = %v, want %v", i, got, w)
				}
				if g.Index != i {
					t.Errorf("layer %d: index %d", i, g.Index)
				}
				compressed += g.CompressedBytes
			}
			if compressed != im.CompressedBytes {
				t.Errorf("compressed bytes %d, sum of layers %d", im.CompressedBytes, compressed)
			}
			checkCompressed(t, img, rep)
			want := sortWaste(tc.waste)
			if len(want) == 0 {
				want = []WasteItem{}
			}
			if got := sortWaste(rep.Waste); !reflect.DeepEqual(got, want) {
				t.Errorf("waste:\n got %+v\nwant %+v", got, want)
			}
			if tc.noSquash != "" {
				t.Logf("squash proof not applicable: %s", tc.noSquash)
				return
			}
			squashProof(t, img, rep)
		})
	}
}

// checkCompressed compares the layers' digests and sizes with the image's
// own manifest (an oracle independent of the streaming).
func checkCompressed(t *testing.T, img v1.Image, rep *Report) {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range m.Layers {
		l := rep.Layers[i]
		if l.CompressedBytes != d.Size || l.Digest != d.Digest.String() || l.DiffID != cfg.RootFS.DiffIDs[i].String() {
			t.Errorf("layer %d: compressed %d digest %s diff_id %s; manifest says %d %s %s",
				i, l.CompressedBytes, l.Digest, l.DiffID, d.Size, d.Digest, cfg.RootFS.DiffIDs[i])
		}
	}
}

// visibleFiles is the final filesystem's regular files: path -> content
// digest.
func visibleFiles(t *testing.T, img v1.Image) map[string][16]byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	tree := fstree.New()
	for i, l := range layers {
		s, err := scanLayer(context.Background(), l, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tree.Apply(i, s.records); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string][16]byte{}
	for _, f := range tree.Files() {
		out[f.Path] = tree.Inode(f.Inode).Hash
	}
	return out
}

// squashProof flattens the image with go-containerregistry's
// mutate.Extract into one layer and checks that the flat image ships
// exactly the visible bytes: size(flat) == size - wasted, and the same
// visible files with the same content.
func squashProof(t *testing.T, img v1.Image, rep *Report) {
	t.Helper()
	rc := mutate.Extract(img)
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatalf("extracting: %v", err)
	}
	l, err := synth.CompressedLayer(raw, "gzip", false)
	if err != nil {
		t.Fatal(err)
	}
	flat, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	frep, err := Analyze(context.Background(), flat)
	if err != nil {
		t.Fatalf("analyzing the flat image: %v", err)
	}
	if frep.Image.SizeBytes != rep.Image.SizeBytes-rep.Image.WastedBytes {
		t.Errorf("squash proof: size(flat) = %d, size - wasted = %d", frep.Image.SizeBytes, rep.Image.SizeBytes-rep.Image.WastedBytes)
	}
	if frep.Image.WastedBytes != 0 || frep.Image.Files != rep.Image.Files || frep.Image.VisibleBytes != rep.Image.VisibleBytes {
		t.Errorf("squash proof: flat wasted %d files %d visible %d; want 0, %d, %d",
			frep.Image.WastedBytes, frep.Image.Files, frep.Image.VisibleBytes, rep.Image.Files, rep.Image.VisibleBytes)
	}
	if a, b := visibleFiles(t, img), visibleFiles(t, flat); !reflect.DeepEqual(a, b) {
		t.Errorf("squash proof: visible files differ:\n layered %v\n flat    %v", keys(a), keys(b))
	}
}

func keys(m map[string][16]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The squash proof on a generated image with thousands of files,
// deletions, opaque directories, overwrites and duplicates.
func TestSquashProofLarge(t *testing.T) {
	p, err := synth.Large(context.Background(), t.TempDir(), synth.LargeSpec{Layers: 4, Files: 4000, Bytes: 4 << 20, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	img, err := benchutil.OpenLayout(p)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(context.Background(), img, WithJobs(3))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Image.WastedBytes == 0 || len(rep.Duplicates) == 0 || rep.Image.CacheBytes == 0 {
		t.Errorf("the generated image should have waste, duplicates and caches: %+v", rep.Image)
	}
	reasons := map[string]bool{}
	var perLayer int64
	for _, w := range rep.Waste {
		reasons[w.Reason] = true
	}
	for _, l := range rep.Layers {
		perLayer += l.WastedBytes
	}
	if perLayer != rep.Image.WastedBytes {
		t.Errorf("per-layer wasted %d, image %d", perLayer, rep.Image.WastedBytes)
	}
	for _, r := range []string{ReasonOverwritten, ReasonDeleted, ReasonOpaque, ReasonParentDeleted} {
		if !reasons[r] {
			t.Errorf("no waste for reason %s", r)
		}
	}
	// One job gives the same report.
	rep1, err := Analyze(context.Background(), img, WithJobs(1))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep, rep1) {
		t.Error("reports differ between 3 jobs and 1")
	}
	squashProof(t, img, rep)
	files, visible, wasted, count := naiveModel(t, img)
	if rep.Image.VisibleBytes != visible || rep.Image.WastedBytes != wasted || rep.Image.Files != count {
		t.Errorf("visible %d wasted %d files %d; naive model: %d %d %d",
			rep.Image.VisibleBytes, rep.Image.WastedBytes, rep.Image.Files, visible, wasted, count)
	}
	if got := visibleFiles(t, img); !reflect.DeepEqual(got, files) {
		t.Errorf("visible files differ from the naive model (%d vs %d)", len(got), len(files))
	}
}

// WithWatch lists the files shipped at watched paths, visible or not, and
// nothing else.
func TestWatch(t *testing.T) {
	img := build(t, synth.Image{Layers: []synth.Layer{
		L(synth.File("tmp/a.tgz", "aaaa"), synth.File("tmp/ab", "b"), synth.File("var/log/lastlog", "ll"), synth.Hardlink("tmp/h", "tmp/a.tgz")),
		L(synth.Whiteout("tmp/a.tgz"), synth.File("opt/x/y", "yy")),
	}})
	rep, err := Analyze(context.Background(), img, WithWatch([]string{"/tmp/a.tgz", "/var/log/lastlog/", "/opt/x", "relative/ignored"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []WatchedFile{{"/tmp/a.tgz", 0, 4}, {"/var/log/lastlog", 0, 2}, {"/opt/x/y", 1, 2}}
	if !reflect.DeepEqual(rep.Watched, want) {
		t.Errorf("watched %+v, want %+v", rep.Watched, want)
	}
	rep, _ = Analyze(context.Background(), img)
	if rep.Watched != nil {
		t.Errorf("watched without WithWatch: %+v", rep.Watched)
	}
}

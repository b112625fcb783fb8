package squash

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/layer"
)

// te is one tar entry of a test layer.
type te struct {
	h       tar.Header
	content string
}

func f(p, content string) te {
	return te{h: tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: 0o644}, content: content}
}
func d(p string) te { return te{h: tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: 0o755}} }
func sl(p, target string) te {
	return te{h: tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: target, Mode: 0o777}}
}
func hl(p, target string) te {
	return te{h: tar.Header{Typeflag: tar.TypeLink, Name: p, Linkname: target, Mode: 0o644}}
}
func wh(p string) te {
	i := strings.LastIndexByte(p, '/')
	return te{h: tar.Header{Typeflag: tar.TypeReg, Name: p[:i+1] + ".wh." + p[i+1:]}}
}
func opq(dir string) te {
	return te{h: tar.Header{Typeflag: tar.TypeReg, Name: dir + "/.wh..wh..opq"}}
}

// with sets owner, mode, mtime offset and xattrs on an entry.
func (e te) with(uid, gid int, mode int64, mtime int64, xattrs ...string) te {
	e.h.Uid, e.h.Gid, e.h.Mode = uid, gid, mode
	e.h.ModTime = testTime.Add(timeSeconds(mtime))
	if len(xattrs) > 0 {
		e.h.PAXRecords = map[string]string{}
		for i := 0; i+1 < len(xattrs); i += 2 {
			e.h.PAXRecords["SCHILY.xattr."+xattrs[i]] = xattrs[i+1]
		}
	}
	return e
}

func layerTar(t testing.TB, ents []te) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := e.h
		if h.ModTime.IsZero() {
			h.ModTime = testTime
		}
		h.Format = tar.FormatPAX
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.content))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("writing %s: %v", h.Name, err)
		}
		if _, err := tw.Write([]byte(e.content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildImage builds an image of the layers, one history entry each, with
// a base CMD after the first layer (as a base image ends).
func buildImage(t testing.TB, oci bool, layers ...[]te) v1.Image {
	t.Helper()
	img := empty.Image
	if oci {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	var hist []v1.History
	for i, ents := range layers {
		l, err := synth.CompressedLayer(layerTar(t, ents), "gzip", oci)
		if err != nil {
			t.Fatal(err)
		}
		img, err = mutate.AppendLayers(img, l)
		if err != nil {
			t.Fatal(err)
		}
		hist = append(hist, v1.History{CreatedBy: fmt.Sprintf("/bin/sh -c step %d", i), Created: v1.Time{Time: testTime.Add(timeSeconds(int64(i)))}})
		if i == 0 {
			hist = append(hist, v1.History{CreatedBy: `/bin/sh -c #(nop)  CMD ["sh"]`, EmptyLayer: true})
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.History = hist
	cfg.Config.Env = []string{"PATH=/bin", "A=1"}
	cfg.Config.Cmd = []string{"sh", "-c", "true"}
	cfg.Config.WorkingDir = "/w"
	cfg.Config.User = "1000"
	cfg.Config.Labels = map[string]string{"k": "v"}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

type squashCase struct {
	name   string
	layers [][]te
	// noExtract skips ggcr's mutate.Extract as a second oracle where it is
	// known to differ from the OCI rules: it lets a whiteout or opaque
	// marker hide entries of its own layer, ignores an opaque marker at
	// the root, and writes a hard link before its target when the target
	// comes from a lower layer.
	noExtract bool
	// noKeep2 skips keeping two layers (the case needs its second layer
	// merged).
	noKeep2 bool
	// copied is the content of kept layers' files the merged layer must
	// hold (with one layer kept): hard links to files a merged layer
	// replaced.
	copied int64
}

var squashCases = []squashCase{
	{name: "overwrites", layers: [][]te{
		{d("a"), f("a/f", "base"), f("a/g", "keep")},
		{f("a/f", "v2 longer"), f("b", "bb")},
		{f("a/f", "v3"), f("b", "bbb")},
	}},
	{name: "deletes", layers: [][]te{
		{d("etc"), f("etc/x", "xx"), f("etc/y", "yy"), d("usr"), f("usr/z", "z")},
		{wh("etc/x"), d("tmp"), f("tmp/build", "lots of build bytes")},
		{wh("tmp/build"), wh("usr")},
	}},
	{name: "opaque directories", layers: [][]te{
		{d("d"), f("d/a", "a"), f("d/b", "b"), d("d/sub"), f("d/sub/c", "c")},
		{d("d"), opq("d"), f("d/c", "new c")},
		{f("d/e", "e"), f("d/c", "newer c")},
	}},
	{name: "opaque of a directory created in the range", layers: [][]te{
		{d("base"), f("base/f", "f")},
		{d("app"), f("app/old", "old bytes")},
		{d("app"), opq("app"), f("app/new", "new")},
	}},
	{name: "directory replaced by a file and back", noExtract: true, layers: [][]te{
		{d("p"), f("p/q", "q"), d("r"), f("r/s", "s")},
		{f("p", "now a file"), wh("r"), f("r", "r file")},
		{wh("p"), d("p"), f("p/new", "n"), d("r"), f("r/t", "t")},
	}},
	{name: "file replaced by a directory", layers: [][]te{
		{f("x", "file x"), d("y"), f("y/z", "z")},
		{d("x"), f("x/inner", "in")},
		{f("y", "y is a file now")},
	}},
	{name: "same layer whiteout and new entries", noExtract: true, layers: [][]te{
		{d("d"), f("d/old1", "1"), f("d/old2", "2")},
		{f("d/new", "new"), wh("d"), d("d")},
		{f("other", "o")},
	}},
	{name: "hard links across layers", noExtract: true, layers: [][]te{
		{d("h"), f("h/base", "base content")},
		{f("h/f", "shared content"), hl("h/baselink", "h/base")},
		{hl("h/g", "h/f"), hl("h/a", "h/g"), f("h/unrelated", "u")},
	}},
	{name: "hard links in one layer, first name deleted", layers: [][]te{
		{d("bin")},
		{f("bin/perl5", "perl"), hl("bin/perl", "bin/perl5"), hl("bin/aperl", "bin/perl5")},
		{f("bin/x", "x")},
	}},
	{name: "hard link kept after its target was replaced", noExtract: true, layers: [][]te{
		{d("bin")},
		{f("bin/perl5", "perl"), hl("bin/perl", "bin/perl5"), hl("bin/aperl", "bin/perl5")},
		{f("bin/perl5", "new perl")},
	}},
	{name: "hard links whose target was deleted", noExtract: true, layers: [][]te{
		{d("a")},
		{f("a/t", "T"), hl("a/l1", "a/t"), hl("a/l2", "a/t"), f("a/u", "U"), hl("a/m", "a/u")},
		{wh("a/t"), f("a/u", "U2")},
	}},
	{name: "hard link across layers to a replaced file", noExtract: true, noKeep2: true, layers: [][]te{
		{d("x")},
		{f("t", "T"), f("x/o", "o")},
		{hl("l", "t"), hl("x/l", "x/o")},
		{f("t", "T2"), wh("x/o")},
	}},
	{name: "hard links to replaced files of a kept layer", noExtract: true, noKeep2: true, copied: 12, layers: [][]te{
		{d("k"), f("k/a", "base a"), f("k/b", "base b"), hl("k/c", "k/b")},
		{hl("k/la", "k/a"), hl("k/lc", "k/c"), hl("k/lc2", "k/c")},
		{f("k/a", "new a"), wh("k/b"), wh("k/c")},
	}},
	{name: "hard link chains", noExtract: true, noKeep2: true, layers: [][]te{
		{d("c")},
		{f("c/x", "X"), hl("c/y", "c/x")},
		{hl("c/z", "c/y"), hl("c/b", "c/z")},
		{wh("c/x"), wh("c/y")},
	}},
	{name: "symlinks", layers: [][]te{
		{d("etc"), f("etc/passwd", "root"), sl("lib", "usr/lib"), d("usr"), d("usr/lib")},
		{sl("s", "/etc/passwd"), sl("dangling", "../nowhere"), f("usr/lib/x", "x")},
		{sl("s", "etc/passwd"), wh("dangling")},
	}},
	{name: "ownership modes mtimes xattrs", layers: [][]te{
		{d("srv").with(0, 0, 0o755, 0), f("srv/a", "a").with(1, 1, 0o600, 1, "user.a", "1")},
		{d("srv").with(33, 33, 0o750, 5), f("srv/a", "a2").with(1000, 1001, 0o4755, 7, "security.capability", "\x01\x02", "user.b", "bee"), f("srv/b", "b").with(2, 3, 0o640, 9)},
		{f("srv/c", "c").with(5, 6, 0o444, 11, "user.c", "see")},
	}},
	{name: "root opaque", noExtract: true, layers: [][]te{
		{d("a"), f("a/x", "x"), f("top", "t")},
		{f("b", "b")},
		{opq(""), f("c", "c"), d("a"), f("a/y", "y")},
	}},
	{name: "deleted and recreated under new parent", noExtract: true, layers: [][]te{
		{d("v"), d("v/w"), f("v/w/1", "1")},
		{wh("v"), d("v"), d("v/w"), f("v/w/2", "2")},
		{f("v/w/2", "22"), wh("v/w/2")},
	}},
}

func timeSeconds(n int64) time.Duration { return time.Duration(n) * time.Second }

func squashOK(t *testing.T, img v1.Image, opts ...Option) *Result {
	t.Helper()
	res, err := Squash(context.Background(), img, append([]Option{WithTempDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatalf("Squash: %v", err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSquashLossless(t *testing.T) {
	ctx := context.Background()
	for _, tc := range squashCases {
		for _, oci := range []bool{false, true} {
			for _, mode := range []string{"history", "all", "keep2"} {
				if mode == "keep2" && tc.noKeep2 || oci && mode != "history" {
					continue
				}
				t.Run(fmt.Sprintf("%s/oci=%v/%s", tc.name, oci, mode), func(t *testing.T) {
					img := buildImage(t, oci, tc.layers...)
					var opts []Option
					switch mode {
					case "all":
						opts = append(opts, WithAll(true))
					case "keep2":
						opts = append(opts, WithKeepLayers(2))
					}
					res := squashOK(t, img, opts...)
					out := res.Image
					if err := validate.Image(out); err != nil {
						t.Fatalf("validate: %v", err)
					}
					want := applyImage(t, img).canon()
					if got := applyImage(t, out).canon(); got != want {
						t.Errorf("final tree differs\n--- input\n%s--- output\n%s", want, got)
					}
					// Flattened, nothing lies below the merged layer for a
					// whiteout or opaque marker to hide.
					if mode == "all" {
						if m := markerEntries(t, out); len(m) > 0 || res.Markers != 0 {
							t.Errorf("a flattened image keeps %d markers: %v", res.Markers, m)
						}
					}
					if !tc.noExtract {
						ex := memfs{}
						rc := mutate.Extract(img)
						if err := ex.applyLayer(rc); err != nil {
							t.Fatalf("extract oracle: %v", err)
						}
						rc.Close()
						if got := ex.canon(); got != want {
							t.Errorf("oracles disagree\n--- layers applied\n%s--- mutate.Extract\n%s", want, got)
						}
					}
					// size_bytes(out) = size_bytes(in) - wasted_bytes(range)
					rep, err := account.Analyze(ctx, img)
					if err != nil {
						t.Fatalf("analyze: %v", err)
					}
					var wasted int64
					for _, l := range rep.Layers[len(res.Plan.Kept):] {
						wasted += l.WastedBytes
					}
					if res.WastedBytes != wasted {
						t.Errorf("WastedBytes = %d, analyze says %d for the range", res.WastedBytes, wasted)
					}
					in, outSize := sizeBytes(t, img), sizeBytes(t, out)
					if outSize != in-wasted+res.CopiedBytes {
						t.Errorf("size_bytes(out) = %d, want %d - %d + %d", outSize, in, wasted, res.CopiedBytes)
					}
					if wantCopied := map[bool]int64{true: tc.copied}[mode == "history"]; res.CopiedBytes != wantCopied {
						t.Errorf("copied %d bytes from kept layers, want %d", res.CopiedBytes, wantCopied)
					}
					// Reproducible, and equal to the dry run's figures.
					again := squashOK(t, img, opts...)
					if a, b := digestOf(t, out), digestOf(t, again.Image); a != b {
						t.Errorf("two runs gave %s and %s", a, b)
					}
					dry := squashOK(t, img, append(opts, WithDryRun(true))...)
					if dry.SavedBytes != res.SavedBytes || dry.Image != nil {
						t.Errorf("dry run saved %d, real run %d", dry.SavedBytes, res.SavedBytes)
					}
					checkConfig(t, img, out, res)
				})
			}
		}
	}
}

// checkConfig checks that config fields, kept layers and media types
// survive, and that history matches the layers.
func checkConfig(t *testing.T, in, out v1.Image, res *Result) {
	t.Helper()
	ic, _ := in.ConfigFile()
	oc, _ := out.ConfigFile()
	if fmt.Sprint(ic.Config) != fmt.Sprint(oc.Config) {
		t.Errorf("config changed:\n%v\n%v", ic.Config, oc.Config)
	}
	keep := len(res.Plan.Kept)
	if len(oc.RootFS.DiffIDs) != keep+1 {
		t.Fatalf("%d diff_ids, want %d", len(oc.RootFS.DiffIDs), keep+1)
	}
	for i := 0; i < keep; i++ {
		if oc.RootFS.DiffIDs[i] != ic.RootFS.DiffIDs[i] {
			t.Errorf("kept layer %d changed", i)
		}
	}
	if n := account.CountLayers(oc.History); n != keep+1 {
		t.Errorf("history has %d layer entries, want %d", n, keep+1)
	}
	if len(oc.History) != len(ic.History)+1 {
		t.Errorf("history has %d entries, want %d", len(oc.History), len(ic.History)+1)
	}
	im, _ := in.Manifest()
	om, _ := out.Manifest()
	if im.MediaType != om.MediaType || im.Config.MediaType != om.Config.MediaType {
		t.Errorf("media types %s/%s became %s/%s", im.MediaType, im.Config.MediaType, om.MediaType, om.Config.MediaType)
	}
	for i, l := range om.Layers {
		if l.MediaType != im.Layers[0].MediaType {
			t.Errorf("layer %d media type %s, want %s", i, l.MediaType, im.Layers[0].MediaType)
		}
	}
}

func TestSquashRefuses(t *testing.T) {
	cases := []struct {
		name   string
		layers [][]te
		want   string
	}{
		{"parent path", [][]te{{f("a", "a")}, {f("../escape", "x")}}, "escapes the root"},
		{"deep parent path", [][]te{{f("a", "a")}, {f("a/../../escape", "x")}}, "escapes the root"},
		{"hard link out of the root", [][]te{{f("a", "a")}, {hl("l", "../../etc/shadow")}}, "escapes the root"},
		{"write through a symlink", [][]te{{f("a", "a")}, {sl("lnk", "/etc")}, {f("lnk/passwd", "evil")}}, `would be written through the symlink "lnk"`},
		{"under a file", [][]te{{f("a", "a")}, {f("file", "f")}, {f("file/x", "x")}}, `lies under "file"`},
		{"hard link to nothing", [][]te{{f("a", "a")}, {f("t", "t")}, {wh("t"), hl("l", "t")}}, `hard link to "t", which neither this layer (before it) nor the layers below hold`},
		{"hard link to a deleted base file", [][]te{{f("a", "a")}, {wh("a"), hl("l", "a")}}, `hard link to "a", which neither this layer (before it) nor the layers below hold`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img := buildImage(t, false, tc.layers...)
			_, err := Squash(context.Background(), img, WithKeepLayers(1), WithTempDir(t.TempDir()))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var ee *EntryError
			var ue *layer.UnsafeEntryError
			var ie *layer.InvalidEntryError
			if !errors.As(err, &ee) && !errors.As(err, &ue) && !errors.As(err, &ie) {
				t.Errorf("err %T is not typed", err)
			}
			if !strings.Contains(err.Error(), "layer ") {
				t.Errorf("err does not name the layer: %v", err)
			}
		})
	}
}

// A kept layer is passed on as it is, so its blob is checked against its
// digest as the output is written: other compressed bytes (here another
// gzip header) fail the write, naming the layer.
func TestSquashChecksKeptBlobs(t *testing.T) {
	base, _ := synth.TarBytes([]synth.Entry{synth.File("a", "base")})
	gl, err := synth.CompressedLayer(base, "gzip", false)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := gl.Compressed()
	gz, _ := io.ReadAll(rc)
	other := append([]byte{}, gz...)
	other[4] ^= 0xff
	top, _ := synth.TarBytes([]synth.Entry{synth.File("b", "bb"), synth.File("c", "cc")})
	topLayer, _ := synth.CompressedLayer(top, "gzip", false)
	for _, tc := range []struct {
		name string
		blob []byte
	}{{"good", gz}, {"changed", other}} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := mutate.AppendLayers(empty.Image, synth.RawLayer(tc.blob, types.DockerLayer, synth.Digest(base), synth.Digest(gz)), topLayer, topLayer)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Squash(context.Background(), img, WithKeepLayers(1), WithTempDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			_, err = layout.Write(t.TempDir(), mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: res.Image}))
			var mismatch *layer.DigestMismatchError
			if tc.name == "good" && err != nil {
				t.Errorf("write: %v", err)
			}
			if tc.name == "changed" && (!errors.As(err, &mismatch) || !strings.Contains(mismatch.Layer, "layer 0")) {
				t.Errorf("write: %v", err)
			}
		})
	}
}

// openCounter is a compressed layer as a layout or an archive gives it
// (go-containerregistry's partial.CompressedToLayer, which answers DiffID
// by decompressing and hashing the blob), counting how often its blob is
// opened.
type openCounter struct {
	blob   []byte
	digest v1.Hash
	opens  *int
}

func (l *openCounter) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *openCounter) Size() (int64, error)                { return int64(len(l.blob)), nil }
func (l *openCounter) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }
func (l *openCounter) Compressed() (io.ReadCloser, error) {
	*l.opens++
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}

// A kept layer's blob is read once by squash (by the checker, which
// verifies its diff_id), then once more as the output is written: the
// output image's DiffID of it is the checked one, not hashed again.
func TestSquashReadsKeptLayerOnce(t *testing.T) {
	base, _ := synth.TarBytes([]synth.Entry{synth.File("a", "base"), synth.File("z", strings.Repeat("z", 1<<16))})
	gl, err := synth.CompressedLayer(base, "gzip", false)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := gl.Compressed()
	gz, _ := io.ReadAll(rc)
	opens := 0
	kept, err := partial.CompressedToLayer(&openCounter{blob: gz, digest: synth.Digest(gz), opens: &opens})
	if err != nil {
		t.Fatal(err)
	}
	top, _ := synth.TarBytes([]synth.Entry{synth.File("b", "bb"), synth.File("c", "cc")})
	topLayer, _ := synth.CompressedLayer(top, "gzip", false)
	img, err := mutate.AppendLayers(empty.Image, kept, topLayer, topLayer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := img.ConfigFile(); err != nil { // hashes the blob for the config's diff_id
		t.Fatal(err)
	}
	before := opens
	res := squashOK(t, img, WithKeepLayers(1))
	if got := opens - before; got != 1 {
		t.Errorf("squash opened the kept layer's blob %d times, want 1 (the check)", got)
	}
	ls, err := res.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ls[0].DiffID(); err != nil || got != synth.Digest(base) {
		t.Errorf("kept layer diff_id %v (%v), want %v", got, err, synth.Digest(base))
	}
	if _, err := layout.Write(t.TempDir(), mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: res.Image})); err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(res.Image); err != nil {
		t.Error(err)
	}
}

package squash

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/layer"
)

// errClass names what kind of refusal err is, "" for none: the same class
// from analyze and from squash means they refuse the image for the same
// reason.
func errClass(err error) string {
	var (
		ie *layer.InvalidEntryError
		ue *layer.UnsafeEntryError
		ce *layer.CountError
		le *layer.LimitError
		dm *layer.DigestMismatchError
		co *layer.CorruptError
		ee *EntryError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ie):
		return "invalid:" + ie.Reason
	case errors.As(err, &ue):
		return "unsafe"
	case errors.As(err, &ce):
		return "count"
	case errors.As(err, &le):
		return "limit:" + le.Kind
	case errors.As(err, &dm):
		return "digest:" + dm.Kind
	case errors.As(err, &co):
		return "corrupt"
	case errors.As(err, &ee):
		return "squash"
	}
	return fmt.Sprintf("untyped %T", err)
}

// rawTar writes headers as given (types no helper writes).
func rawTar(t *testing.T, hdrs ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeGNUSparse && h.Size > 0 {
			if _, err := tw.Write(make([]byte, h.Size)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The hostile images of issue 11, each read by analyze and squashed (every
// layer merged, and with the lowest layer kept): analyze and squash both
// refuse it with the same error type (and reason), naming the layer and
// the entry, or both accept it. The few images squash alone refuses are
// listed with the reason (squashOnly).
func TestHostileAnalyzeAndSquashAgree(t *testing.T) {
	ctx := context.Background()
	layerOf := func(t *testing.T, es ...synth.Entry) v1.Layer {
		t.Helper()
		l, err := synth.NewLayer(synth.Layer{Entries: es}, true)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	rawLayer := func(raw []byte) v1.Layer {
		return synth.RawLayer(raw, types.OCIUncompressedLayer, synth.Digest(raw), synth.Digest(raw))
	}
	base := func(t *testing.T) v1.Layer {
		return layerOf(t, synth.Dir("a"), synth.File("a/b", "b"), synth.File("f", "f"), synth.Symlink("s", "a"))
	}
	for _, tc := range []struct {
		name   string
		layers func(t *testing.T) []v1.Layer
		class  string // "" both accept
		entry  string // the messages name it
		// squashOnly: analyze accepts the image, squash refuses it with
		// this class when it merges every layer (see docs/squash.md);
		// with the lowest layer kept, the merged layer holds the entry as
		// the input did, and both accept it.
		squashOnly string
		// squashKept: squash refuses it with the lowest layer kept too
		// (the entry is in a merged layer either way).
		squashKept bool
	}{
		{name: "valid: links to a lower layer and to an earlier entry", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Hardlink("l", "a/b"), synth.File("g", "g"), synth.Hardlink("h", "g"), synth.Whiteout("f"))}
		}},
		{name: "valid: aufs metadata and markers", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Dir(".wh..wh.plnk"), synth.File(".wh..wh.plnk/1.2", "x"), synth.Opaque("a"), synth.File("a/c", "c"))}
		}},
		{name: "hard link to a missing file", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Hardlink("l", "missing"))}
		}, class: "invalid:" + layer.InvalidLinkMissing, entry: `"l"`},
		{name: "hard link to a missing file in the lowest layer", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("x", "x"), synth.Hardlink("l", "missing")), base(t)}
		}, class: "invalid:" + layer.InvalidLinkMissing, entry: `"l"`},
		{name: "hard link to itself", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.File("x", "x"), synth.Hardlink("x", "x"))}
		}, class: "invalid:" + layer.InvalidLinkSelf, entry: `"x"`},
		{name: "hard link to a directory", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Hardlink("l", "a"))}
		}, class: "invalid:" + layer.InvalidLinkDir, entry: `"l"`},
		{name: "hard link to the root", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Hardlink("l", "/"))}
		}, class: "unsafe", entry: `"l"`},
		{name: "hard link to a later entry of its layer", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Hardlink("l", "g"), synth.File("g", "g"))}
		}, class: "invalid:" + layer.InvalidLinkMissing, entry: `"l"`},
		{name: "hard link to what a whiteout of its layer removed", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Whiteout("f"), synth.Hardlink("l", "f"))}
		}, class: "invalid:" + layer.InvalidLinkMissing, entry: `"l"`},
		{name: "hard link to a file under an opaque directory", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Opaque("a"), synth.Hardlink("l", "a/b"))}
		}, class: "invalid:" + layer.InvalidLinkMissing, entry: `"l"`},
		{name: "hard link through a symlink", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Hardlink("l", "s/b"))}
		}, class: "invalid:" + layer.InvalidLinkMissing, entry: `"l"`},
		{name: "whiteout shaped as a directory, then a file under it", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Dir(".wh.f"), synth.File(".wh.f/c", "c"))}
		}, class: "invalid:" + layer.InvalidWhiteoutType, entry: `".wh.f"`},
		{name: "a file under a whiteout name", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.File("a/.wh.b/c", "c"))}
		}, class: "invalid:" + layer.InvalidUnderMarker, entry: `"a/.wh.b/c"`},
		{name: "opaque marker as a symlink", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Symlink("a/.wh..wh..opq", "x"))}
		}, class: "invalid:" + layer.InvalidWhiteoutType, entry: `"a/.wh..wh..opq"`},
		{name: "whiteout of ..", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Entry{Kind: synth.KindFile, Path: "a/.wh..."})}
		}, class: "invalid:" + layer.InvalidWhiteoutName, entry: `"a/.wh..."`},
		{name: "whiteout of .", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Entry{Kind: synth.KindFile, Path: "a/.wh.."})}
		}, class: "invalid:" + layer.InvalidWhiteoutName, entry: `"a/.wh.."`},
		{name: "whiteout of nothing", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Entry{Kind: synth.KindFile, Path: "a/.wh."})}
		}, class: "invalid:" + layer.InvalidWhiteoutName, entry: `"a/.wh."`},
		{name: "a tar type the OCI rules do not define", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), rawLayer(rawTar(t, &tar.Header{Name: "c", Typeflag: tar.TypeCont, Size: 3}))}
		}, class: "invalid:" + layer.InvalidType, entry: `"c"`},
		{name: "a path out of the root", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.File("../../etc/passwd", "x"))}
		}, class: "unsafe", entry: `"../../etc/passwd"`},
		{name: "a hard link out of the root", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.Hardlink("l", "../../etc/shadow"))}
		}, class: "unsafe", entry: `"l"`},
		{name: "a blob whose manifest says another size", layers: func(t *testing.T) []v1.Layer {
			l := layerOf(t, synth.File("x", "x"))
			size, _ := l.Size()
			return []v1.Layer{base(t), synth.LyingSize(l, size+1)}
		}, class: "corrupt", entry: "the manifest says"},
		{name: "a kept blob whose manifest says another size", layers: func(t *testing.T) []v1.Layer {
			l := base(t)
			size, _ := l.Size()
			return []v1.Layer{synth.LyingSize(l, size-1), layerOf(t, synth.File("x", "x"))}
		}, class: "corrupt", entry: "the manifest says"},
		{name: "a sparse file of 2 TiB", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), rawLayer(synth.SparseTar("lastlog", 2<<40))}
		}, class: "limit:" + layer.LimitEntry, entry: `"lastlog"`},
		// What squash alone refuses when it merges the layers involved:
		// an entry through a symlink or under a file (an extractor would
		// fail or write elsewhere), and GNU sparse files, which it does
		// not write.
		{name: "a file through a symlink", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.File("s/x", "x"))}
		}, squashOnly: "squash", entry: `"s/x"`},
		{name: "a file under a file", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), layerOf(t, synth.File("f/x", "x"))}
		}, squashOnly: "squash", entry: `"f/x"`},
		{name: "a GNU sparse file", layers: func(t *testing.T) []v1.Layer {
			return []v1.Layer{base(t), rawLayer(rawTar(t, &tar.Header{Name: "sp", Typeflag: tar.TypeGNUSparse, Size: 0, Format: tar.FormatGNU}))}
		}, squashOnly: "squash", squashKept: true, entry: `"sp"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := mutate.AppendLayers(empty.Image, tc.layers(t)...)
			if err != nil {
				t.Fatal(err)
			}
			_, aerr := account.Analyze(ctx, img)
			if got := errClass(aerr); got != tc.class {
				t.Fatalf("analyze: %s (%v), want %q", got, aerr, tc.class)
			}
			for _, all := range []bool{true, false} {
				opt, want := WithKeepLayers(1), tc.class
				if all {
					opt = WithAll(true)
				}
				if tc.squashOnly != "" && (all || tc.squashKept) {
					want = tc.squashOnly
				}
				res, serr := Squash(ctx, img, opt, WithTempDir(t.TempDir()))
				if got := errClass(serr); got != want {
					t.Fatalf("squash (all layers merged: %v): %s (%v), want %q", all, got, serr, want)
				}
				if serr == nil {
					if err := checkOutput(res.Image); err != nil {
						t.Error(err)
					}
					res.Close()
					continue
				}
				if res != nil {
					t.Errorf("squash returned a result with its error")
				}
				msg := serr.Error()
				if !strings.Contains(msg, "layer ") || !strings.Contains(msg, tc.entry) {
					t.Errorf("squash's message names no layer or not %s: %s", tc.entry, msg)
				}
			}
			if aerr != nil && !strings.Contains(aerr.Error(), tc.entry) {
				t.Errorf("analyze's message does not name %s: %v", tc.entry, aerr)
			}
		})
	}

	// A config listing fewer layers than the manifest.
	img, err := mutate.AppendLayers(empty.Image, base(t), layerOf(t, synth.File("x", "x")))
	if err != nil {
		t.Fatal(err)
	}
	if img, err = synth.ShortDiffIDs(img, 1); err != nil {
		t.Fatal(err)
	}
	_, aerr := account.Analyze(ctx, img)
	_, serr := Squash(ctx, img, WithAll(true), WithTempDir(t.TempDir()))
	_, perr := MakePlan(ctx, img, WithAll(true))
	if errClass(aerr) != "count" || errClass(serr) != "count" || errClass(perr) != "count" {
		t.Errorf("short diff_ids: analyze %v, squash %v, plan %v", aerr, serr, perr)
	}
}

// checkOutput reads a squashed image as whittle's own reader does
// (account.Analyze: layer.Walk's checks, every hard link through fstree)
// and as go-containerregistry's validate.Image does (digests, diff_ids,
// sizes, manifest and config): squash never writes what either refuses.
func checkOutput(img v1.Image) error {
	if _, err := account.Analyze(context.Background(), img); err != nil {
		return fmt.Errorf("analyze refuses squash's output: %w", err)
	}
	if err := validate.Image(img); err != nil {
		return fmt.Errorf("validate.Image refuses squash's output: %w", err)
	}
	return nil
}

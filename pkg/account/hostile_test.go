package account

import (
	"context"
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/layer"
)

// Hostile images (issue 11): each is refused with an error naming the
// layer (its index and digest) and, where one is at fault, the entry;
// never counted silently, never a panic.
func TestAnalyzeHostile(t *testing.T) {
	layerOf := func(t *testing.T, es ...synth.Entry) v1.Layer {
		l, err := synth.NewLayer(synth.Layer{Entries: es}, true)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	zeros, err := synth.TarBytes([]synth.Entry{{Kind: synth.KindFile, Path: "zeros", Content: make([]byte, 4<<20)}})
	if err != nil {
		t.Fatal(err)
	}
	bomb, err := synth.CompressedLayer(zeros, "zstd", true)
	if err != nil {
		t.Fatal(err)
	}
	sparse := synth.SparseTar("lastlog", 2<<40)
	for _, tc := range []struct {
		name   string
		layers func(t *testing.T) []v1.Layer
		opts   []Option
		check  func(error) bool
		entry  string // the message names it
	}{
		{"hard link to a missing file", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("a", "a")), layerOf(t, synth.Hardlink("l", "missing"))}
		}, nil, invalid(layer.InvalidLinkMissing), `"l"`},
		{"hard link to itself", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("a", "a"), synth.Hardlink("a", "a"))}
		}, nil, invalid(layer.InvalidLinkSelf), `"a"`},
		{"hard link to a directory", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.Dir("d"), synth.File("d/f", "f")), layerOf(t, synth.Hardlink("l", "d"))}
		}, nil, invalid(layer.InvalidLinkDir), `"l"`},
		{"whiteout shaped as a directory, then a file under it", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("b", "b")), layerOf(t, synth.Dir(".wh.b"), synth.File(".wh.b/c", "c"))}
		}, nil, invalid(layer.InvalidWhiteoutType), `".wh.b"`},
		{"whiteout of ..", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("a/b", "b")), layerOf(t, synth.Entry{Kind: synth.KindFile, Path: "a/.wh..."})}
		}, nil, invalid(layer.InvalidWhiteoutName), `"a/.wh..."`},
		{"whiteout of .", func(t *testing.T) []v1.Layer {
			return []v1.Layer{layerOf(t, synth.File("a/b", "b")), layerOf(t, synth.Entry{Kind: synth.KindFile, Path: "a/.wh.."})}
		}, nil, invalid(layer.InvalidWhiteoutName), `"a/.wh.."`},
		{"a blob whose manifest says another size", func(t *testing.T) []v1.Layer {
			l := layerOf(t, synth.File("a", "a"))
			size, _ := l.Size()
			return []v1.Layer{synth.LyingSize(l, size+1)}
		}, nil, func(err error) bool { var c *layer.CorruptError; return errors.As(err, &c) }, "the manifest says"},
		{"a zstd bomb", func(t *testing.T) []v1.Layer { return []v1.Layer{bomb} },
			[]Option{WithLayerLimits(layer.Limits{MaxRatio: 2000, RatioFloor: 1 << 20})},
			func(err error) bool { var l *layer.LimitError; return errors.As(err, &l) && l.Kind == layer.LimitRatio }, "decompression bomb"},
		{"a sparse file of 2 TiB", func(t *testing.T) []v1.Layer {
			return []v1.Layer{synth.RawLayer(sparse, types.OCIUncompressedLayer, synth.Digest(sparse), synth.Digest(sparse))}
		}, nil, func(err error) bool { var l *layer.LimitError; return errors.As(err, &l) && l.Kind == layer.LimitEntry }, `"lastlog"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := mutate.AppendLayers(empty.Image, tc.layers(t)...)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Analyze(context.Background(), img, tc.opts...)
			if err == nil || !tc.check(err) {
				t.Fatalf("err = %v (%T), report %v", err, err, rep != nil)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "reading layer ") || !strings.Contains(msg, ": layer sha256:") || !strings.Contains(msg, tc.entry) {
				t.Errorf("the message does not name the layer and %s: %s", tc.entry, msg)
			}
			t.Log(msg)
		})
	}
	// A config listing fewer layers than the manifest: refused, not read
	// with a layer dropped.
	img, err := mutate.AppendLayers(empty.Image, layerOf(t, synth.File("a", "a")), layerOf(t, synth.File("b", "b")))
	if err != nil {
		t.Fatal(err)
	}
	if img, err = synth.ShortDiffIDs(img, 1); err != nil {
		t.Fatal(err)
	}
	var ce *layer.CountError
	if _, err := Analyze(context.Background(), img); !errors.As(err, &ce) || ce.DiffIDs != 1 || ce.Layers != 2 {
		t.Errorf("short diff_ids: err = %v", err)
	}
}

func invalid(reason string) func(error) bool {
	return func(err error) bool {
		var ie *layer.InvalidEntryError
		return errors.As(err, &ie) && ie.Reason == reason && ie.Layer != ""
	}
}

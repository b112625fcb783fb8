package account

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/layer"
)

func TestAnalyzeCorrupt(t *testing.T) {
	good, _ := synth.TarBytes([]synth.Entry{synth.File("a", string(synth.Pattern(50000, 3)))})
	gl, _ := synth.CompressedLayer(good, "gzip", false)
	rc, _ := gl.Compressed()
	gz, _ := io.ReadAll(rc)
	escape, _ := synth.TarBytes([]synth.Entry{{Kind: synth.KindFile, Path: "x", Name: "../escape", Content: []byte("p")}})

	var corrupt *layer.CorruptError
	var mismatch *layer.DigestMismatchError
	var unsafe *layer.UnsafeEntryError
	for _, tc := range []struct {
		name  string
		blob  []byte
		diff  []byte // what the diff_id is computed from
		check func(error) bool
	}{
		{"truncated gzip", gz[:len(gz)/3], good, func(err error) bool { return errors.As(err, &corrupt) }},
		{"wrong diff_id", gz, []byte("other"), func(err error) bool { return errors.As(err, &mismatch) && mismatch.Kind == layer.KindDiffID }},
		{"entry escaping the root", escape, escape, func(err error) bool { return errors.As(err, &unsafe) && unsafe.Name == "../escape" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok := synth.RawLayer(gz, types.DockerLayer, synth.Digest(good), synth.Digest(gz))
			bad := synth.RawLayer(tc.blob, types.DockerLayer, synth.Digest(tc.diff), synth.Digest(tc.blob))
			img, err := mutate.AppendLayers(empty.Image, ok, bad, ok)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Analyze(context.Background(), img)
			if err == nil || !tc.check(err) {
				t.Errorf("err = %v (%T), report %v", err, err, rep != nil)
			}
		})
	}
}

// FuzzAnalyzeLayer: any layer bytes give a report or an error, never a
// panic (layer, fstree, dive).
func FuzzAnalyzeLayer(f *testing.F) {
	for _, tc := range accountCases {
		for _, l := range tc.img.Layers {
			raw, err := synth.TarBytes(l.Entries)
			if err == nil {
				f.Add(raw)
			}
		}
	}
	// Hostile seeds (issue 11): links to nothing, to a directory, to
	// themselves; whiteouts of . and .., shaped as a directory.
	for _, es := range [][]synth.Entry{
		{synth.Hardlink("l", "missing")}, {synth.Hardlink("l", "d")}, {synth.Hardlink("l", "l")},
		{{Kind: synth.KindFile, Path: "d/.wh.."}, {Kind: synth.KindFile, Path: "d/.wh..."}},
		{synth.Dir(".wh.d"), synth.File(".wh.d/x", "x")},
	} {
		if raw, err := synth.TarBytes(es); err == nil {
			f.Add(raw)
		}
	}
	base, _ := synth.TarBytes([]synth.Entry{synth.Dir("d"), synth.File("d/x", "xx"), synth.Hardlink("d/h", "d/x"), synth.Symlink("s", "d")})
	f.Fuzz(func(t *testing.T, blob []byte) {
		bl := synth.RawLayer(base, types.OCIUncompressedLayer, synth.Digest(base), synth.Digest(base))
		l := synth.RawLayer(blob, types.OCIUncompressedLayer, synth.Digest(blob), synth.Digest(blob))
		img, err := mutate.AppendLayers(empty.Image, bl, l, l)
		// (sparse entries are never read, so this cannot hang)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Analyze(context.Background(), img)
		if err != nil {
			return
		}
		if rep.Image.VisibleBytes+rep.Image.WastedBytes != rep.Image.SizeBytes {
			t.Errorf("visible %d + wasted %d != size %d", rep.Image.VisibleBytes, rep.Image.WastedBytes, rep.Image.SizeBytes)
		}
	})
}

// A terabyte sparse file in a few kB of tar: counted as its header says,
// never read (its holes would read as a terabyte of zeros).
func TestAnalyzeSparse(t *testing.T) {
	raw := synth.SparseTar("big", 1<<40)
	l := synth.RawLayer(raw, types.OCIUncompressedLayer, synth.Digest(raw), synth.Digest(raw))
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Image.SizeBytes != 1<<40 || rep.Image.Files != 1 || len(rep.Duplicates) != 0 {
		t.Errorf("image %+v", rep.Image)
	}
}

// Compressed bytes that differ from their digest but decompress to the
// right content: the account, which is of the content, stands by default
// and reports the manifest's digest; WithBlobDigests(true) refuses them.
func TestAnalyzeBlobDigests(t *testing.T) {
	good, _ := synth.TarBytes([]synth.Entry{synth.File("a", string(synth.Pattern(50000, 3)))})
	gl, _ := synth.CompressedLayer(good, "gzip", false)
	rc, _ := gl.Compressed()
	gz, _ := io.ReadAll(rc)
	other := append([]byte{}, gz...)
	other[4] ^= 0xff // the gzip header's modification time
	l := synth.RawLayer(other, types.OCILayer, synth.Digest(good), synth.Digest(gz))
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Layers[0].Digest != synth.Digest(gz).String() || rep.Image.SizeBytes != 50000 || rep.Layers[0].CompressedBytes != int64(len(other)) {
		t.Errorf("layer %+v", rep.Layers[0])
	}
	var mismatch *layer.DigestMismatchError
	if _, err := Analyze(context.Background(), img, WithBlobDigests(true)); !errors.As(err, &mismatch) || mismatch.Kind != layer.KindDigest || mismatch.Got != synth.Digest(other) {
		t.Errorf("WithBlobDigests(true): %v", err)
	}
	// The content is checked either way.
	bad := synth.RawLayer(gz, types.OCILayer, synth.Digest(nil), synth.Digest(gz))
	img, _ = mutate.AppendLayers(empty.Image, bad)
	if _, err := Analyze(context.Background(), img); !errors.As(err, &mismatch) || mismatch.Kind != layer.KindDiffID {
		t.Errorf("diff_id: %v", err)
	}
}

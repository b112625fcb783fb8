package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		path     string
		typeflag byte
		kind     Kind
		target   string
	}{
		{"a/b", tar.TypeReg, KindFile, ""},
		{"a/b", tar.TypeGNUSparse, KindFile, ""},
		{"a", tar.TypeDir, KindDir, ""},
		{"a", tar.TypeSymlink, KindSymlink, ""},
		{"a", tar.TypeLink, KindHardlink, ""},
		{"a", tar.TypeChar, KindDevice, ""},
		{"a", tar.TypeBlock, KindDevice, ""},
		{"a", tar.TypeFifo, KindDevice, ""},
		{"a", tar.TypeCont, KindUnknown, ""},
		{"a", 'V', KindUnknown, ""},
		{"a/.wh.b", tar.TypeReg, KindWhiteout, "a/b"},
		{".wh.b", tar.TypeReg, KindWhiteout, "b"},
		{"a/.wh.b", tar.TypeDir, KindWhiteout, "a/b"},   // refused by Check
		{"a/.wh...", tar.TypeReg, KindWhiteout, "a/.."}, // refused by Check
		{"a/.wh..wh..opq", tar.TypeReg, KindOpaque, "a"},
		{".wh..wh..opq", tar.TypeReg, KindOpaque, ""},
		{".wh..wh.plnk", tar.TypeDir, KindMeta, ""},
		{"a/.wh..wh.aufs", tar.TypeReg, KindMeta, ""},
		{"a/x.wh.b", tar.TypeReg, KindFile, ""},
	} {
		k, target := Classify(tc.path, tc.typeflag)
		if k != tc.kind || target != tc.target {
			t.Errorf("Classify(%q, %q) = %v %q, want %v %q", tc.path, tc.typeflag, k, target, tc.kind, tc.target)
		}
	}
	// The names a writer gives markers read back as what they hide.
	for _, p := range []string{"a", "a/b", "a/b/c"} {
		if k, target := Classify(WhiteoutPath(p), tar.TypeReg); k != KindWhiteout || target != p {
			t.Errorf("WhiteoutPath(%q) = %q reads as %v %q", p, WhiteoutPath(p), k, target)
		}
	}
	for _, d := range []string{"", "a", "a/b"} {
		if k, target := Classify(OpaquePath(d), tar.TypeReg); k != KindOpaque || target != d {
			t.Errorf("OpaquePath(%q) = %q reads as %v %q", d, OpaquePath(d), k, target)
		}
	}
}

// An entry of a tar type the OCI layer rules do not define is refused
// before it is handed over.
func TestWalkUnknownType(t *testing.T) {
	for _, typ := range []byte{tar.TypeCont, 'V', 'Z'} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range []*tar.Header{{Name: "ok", Typeflag: tar.TypeReg, Mode: 0o644}, {Name: "odd", Typeflag: typ, Mode: 0o644}} {
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
		}
		tw.Close()
		raw := buf.Bytes()
		l := synth.RawLayer(raw, types.OCIUncompressedLayer, synth.Digest(raw), synth.Digest(raw))
		var seen []string
		err := Walk(context.Background(), l, func(e *Entry) error { seen = append(seen, e.Path); return nil })
		var ie *InvalidEntryError
		if !errors.As(err, &ie) || ie.Reason != InvalidType || ie.Path != "odd" || ie.Type != typ || len(seen) != 1 {
			t.Errorf("type %q: err = %v, seen %q", typ, err, seen)
		}
	}
}

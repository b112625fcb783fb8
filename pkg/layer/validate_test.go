package layer

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
)

// invalidCases are the entries no reader accepts (issue 11), each in a
// layer of its own, with the reason Walk gives.
var invalidCases = []struct {
	name    string
	entries []synth.Entry
	path    string
	reason  string
}{
	{"whiteout of .", []synth.Entry{{Kind: synth.KindFile, Path: "a/.wh..", Content: nil}}, "a/.wh..", InvalidWhiteoutName},
	{"whiteout of ..", []synth.Entry{{Kind: synth.KindFile, Path: "a/.wh...", Content: nil}}, "a/.wh...", InvalidWhiteoutName},
	{"whiteout of nothing", []synth.Entry{{Kind: synth.KindFile, Path: "a/.wh.", Content: nil}}, "a/.wh.", InvalidWhiteoutName},
	{"whiteout of .. at the root", []synth.Entry{{Kind: synth.KindFile, Path: ".wh...", Content: nil}}, ".wh...", InvalidWhiteoutName},
	{"whiteout shaped as a directory", []synth.Entry{synth.Dir("a/.wh.b")}, "a/.wh.b", InvalidWhiteoutType},
	{"a file under a whiteout", []synth.Entry{synth.File("a/.wh.b/c", "x")}, "a/.wh.b/c", InvalidUnderMarker},
	{"a file under an opaque marker", []synth.Entry{synth.File("a/.wh..wh..opq/c", "x")}, "a/.wh..wh..opq/c", InvalidUnderMarker},
	{"opaque marker as a symlink", []synth.Entry{synth.Symlink("a/.wh..wh..opq", "x")}, "a/.wh..wh..opq", InvalidWhiteoutType},
	{"whiteout as a hard link", []synth.Entry{synth.File("x", "x"), synth.Hardlink(".wh.y", "x")}, ".wh.y", InvalidWhiteoutType},
	{"hard link to itself", []synth.Entry{synth.Hardlink("a", "a")}, "a", InvalidLinkSelf},
	{"hard link to itself, written another way", []synth.Entry{synth.Hardlink("./a/b", "/a/./b")}, "a/b", InvalidLinkSelf},
}

// Walk refuses every invalid entry with a *InvalidEntryError naming the
// layer and the entry, before handing it over; aufs metadata directories
// and the entries the rules allow pass.
func TestWalkInvalidEntries(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := synth.TarBytes(tc.entries)
			if err != nil {
				t.Fatal(err)
			}
			l := synth.RawLayer(raw, types.OCIUncompressedLayer, synth.Digest(raw), synth.Digest(raw))
			var seen []string
			err = Walk(context.Background(), l, func(e *Entry) error { seen = append(seen, e.Path); return nil })
			var ie *InvalidEntryError
			if !errors.As(err, &ie) || ie.Reason != tc.reason || ie.Path != tc.path || ie.Layer != synth.Digest(raw).String() {
				t.Fatalf("err = %v (%T), want %s at %s", err, err, tc.reason, tc.path)
			}
			for _, p := range seen {
				if p == tc.path {
					t.Errorf("the invalid entry %s was handed over", p)
				}
			}
			t.Log(err)
		})
	}
	valid, err := synth.TarBytes([]synth.Entry{
		synth.Dir(".wh..wh.plnk"), synth.File(".wh..wh.plnk/1.2", "x"), synth.Whiteout("a/b"), synth.Opaque("a"),
		synth.File("x", "x"), synth.Hardlink("y", "x"), synth.Dir("d.wh.x"), synth.File("d.wh.x/f", "f"),
	})
	if err != nil {
		t.Fatal(err)
	}
	l := synth.RawLayer(valid, types.OCIUncompressedLayer, synth.Digest(valid), synth.Digest(valid))
	if err := Walk(context.Background(), l, nop); err != nil {
		t.Errorf("valid entries refused: %v", err)
	}
}

// CheckLink refuses a target the reader found missing or a directory.
func TestCheckLink(t *testing.T) {
	for kind, reason := range map[TargetKind]string{TargetMissing: InvalidLinkMissing, TargetDir: InvalidLinkDir, TargetOther: ""} {
		err := CheckLink("sha256:x", "l", "t", kind)
		var ie *InvalidEntryError
		if reason == "" {
			if err != nil {
				t.Errorf("kind %d: %v", kind, err)
			}
			continue
		}
		if !errors.As(err, &ie) || ie.Reason != reason || ie.Link != "t" || ie.Layer != "sha256:x" {
			t.Errorf("kind %d: %v", kind, err)
		}
	}
}

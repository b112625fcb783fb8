package synth

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func TestBuildValid(t *testing.T) {
	for _, oci := range []bool{false, true} {
		img, err := Build(Image{OCI: oci, Layers: []Layer{
			{Entries: []Entry{Dir("d"), File("d/a", "x"), Symlink("s", "d/a"), Hardlink("h", "d/a")}, Compression: "gzip"},
			{Entries: []Entry{Whiteout("d/a"), Opaque("d"), {Kind: KindFifo, Path: "p"}}, Compression: "zstd"},
			{Entries: []Entry{File("big", ""), {Kind: KindFile, Path: "pat", Size: 1000, Seed: 3}}, Compression: "none"},
		}, History: []v1.History{{CreatedBy: "a"}, {CreatedBy: "e", EmptyLayer: true}, {CreatedBy: "b"}, {CreatedBy: "c"}}})
		if err != nil {
			t.Fatal(err)
		}
		// validate.Image knows gzip only: check the diff_ids by hand.
		ls, _ := img.Layers()
		cfg, _ := img.ConfigFile()
		for i, l := range ls {
			rc, err := l.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			h, _, err := v1.SHA256(rc)
			if err != nil || h != cfg.RootFS.DiffIDs[i] {
				t.Errorf("oci=%v layer %d: diff_id %s, config %s (%v)", oci, i, h, cfg.RootFS.DiffIDs[i], err)
			}
		}
		gz, err := Build(Image{OCI: oci, Layers: []Layer{{Entries: []Entry{File("a", "x"), Hardlink("h", "a")}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(gz); err != nil {
			t.Errorf("oci=%v: %v", oci, err)
		}
		if len(cfg.History) != 4 || cfg.OS != "linux" {
			t.Errorf("config = %+v", cfg)
		}
	}
}

func TestTarBytesNames(t *testing.T) {
	raw, err := TarBytes([]Entry{Whiteout("a/b"), Opaque("a"), Opaque(""), {Kind: KindFile, Path: "x", Name: "../y"}})
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && h == nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	want := []string{"a/.wh.b", "a/.wh..wh..opq", ".wh..wh..opq", "../y"}
	if len(names) != len(want) {
		t.Fatalf("names = %q", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("names = %q, want %q", names, want)
		}
	}
	if !bytes.Equal(Pattern(100, 1), Pattern(100, 1)) || bytes.Equal(Pattern(100, 1), Pattern(100, 2)) {
		t.Error("Pattern is not a function of its seed")
	}
}

func TestLargeSmall(t *testing.T) {
	dir := t.TempDir()
	spec := LargeSpec{Layers: 3, Files: 3000, Bytes: 3 << 20, Seed: 5}
	p, err := Large(context.Background(), dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Large(context.Background(), dir, spec)
	if err != nil || p2 != p {
		t.Fatalf("second call: %s %v", p2, err)
	}
	lp, err := layout.FromPath(p)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := lp.ImageIndex()
	m, _ := idx.IndexManifest()
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Error(err)
	}
	ls, _ := img.Layers()
	if len(ls) != 3 {
		t.Errorf("layers = %d", len(ls))
	}
}

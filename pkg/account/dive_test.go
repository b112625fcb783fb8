package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle/whittle/internal/synth"
)

// diveDir holds dive's test images and the figures dive asserts for them
// (testdata/compat/dive/README.md).
const diveDir = "../../testdata/compat/dive"

type diveExpected struct {
	SHA256            string  `json:"sha256"`
	Layers            int     `json:"layers"`
	Efficiency        float64 `json:"efficiency"`
	SizeBytes         int64   `json:"sizeBytes"`
	UserSizeBytes     int64   `json:"userSizeBytes"`
	WastedBytes       int64   `json:"wastedBytes"`
	WastedUserPercent float64 `json:"wastedUserPercent"`
	Inefficiencies    []struct {
		File      string `json:"file"`
		Count     int    `json:"count"`
		SizeBytes int64  `json:"sizeBytes"`
	} `json:"inefficiencies"`
}

// diveImagePath names one of dive's test files.
func diveImagePath(name string) string { return filepath.Join(diveDir, name) }

func TestDiveCompat(t *testing.T) {
	raw, err := os.ReadFile(diveImagePath("expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]diveExpected
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"test-docker-image.tar", "test-kaniko-image.tar"} {
		t.Run(name, func(t *testing.T) {
			w := want[name]
			b, err := os.ReadFile(diveImagePath(name))
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != w.SHA256 {
				t.Fatalf("%s is not dive's test image", name)
			}
			img, err := tarball.ImageFromPath(diveImagePath(name), nil)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Analyze(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			d := rep.Dive
			t.Logf("dive: %+v", d)
			if len(rep.Layers) != w.Layers {
				t.Errorf("layers = %d, want %d", len(rep.Layers), w.Layers)
			}
			if d.Efficiency != w.Efficiency {
				t.Errorf("efficiency = %v, want %v", d.Efficiency, w.Efficiency)
			}
			if d.WastedBytes != w.WastedBytes {
				t.Errorf("wasted = %d, want %d", d.WastedBytes, w.WastedBytes)
			}
			if d.SizeBytes != w.SizeBytes {
				t.Errorf("size = %d, want %d", d.SizeBytes, w.SizeBytes)
			}
			if w.UserSizeBytes != 0 && d.UserSizeBytes != w.UserSizeBytes {
				t.Errorf("user size = %d, want %d", d.UserSizeBytes, w.UserSizeBytes)
			}
			if w.WastedUserPercent != 0 && d.UserWastedPercent != w.WastedUserPercent {
				t.Errorf("user wasted = %v, want %v", d.UserWastedPercent, w.WastedUserPercent)
			}
			if name == "test-docker-image.tar" {
				// dive's export_test.snap: per-layer sizeBytes (all regular
				// files here, so whittle's layer size_bytes agree).
				wantSizes := []int64{1154361, 6405, 0, 6405, 6405, 6405, 6405, 6405, 6405, 0, 2187, 6405, 6405, 6405}
				for i, l := range rep.Layers {
					if i < len(wantSizes) && l.SizeBytes != wantSizes[i] {
						t.Errorf("layer %d size = %d, want %d", i, l.SizeBytes, wantSizes[i])
					}
				}
			}
			if w.Inefficiencies != nil {
				if len(d.Inefficiencies) != len(w.Inefficiencies) {
					t.Fatalf("inefficiencies = %+v, want %+v", d.Inefficiencies, w.Inefficiencies)
				}
				for i, x := range w.Inefficiencies {
					g := d.Inefficiencies[i]
					if g.Path != x.File || g.Count != x.Count || g.SizeBytes != x.SizeBytes {
						t.Errorf("inefficiency %d = %+v, want %+v", i, g, x)
					}
				}
			}
		})
	}
}

// dive's figures worked out by hand from dive's algorithm.
func TestDiveByHand(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers []synth.Layer
		want   Dive
	}{
		{
			name: "overwrite: the path counts twice",
			layers: []synth.Layer{
				L(synth.Dir("a"), synth.File("a/f", "aaaa"), synth.File("a/g", "gg")),
				L(synth.File("a/f", "bbbbbb")),
			},
			// min: 4 + 2, all: 10 + 2; wasted: /a/f 4+6; user: 6
			want: Dive{Efficiency: 0.5, WastedBytes: 10, UserWastedPercent: 10.0 / 6, SizeBytes: 12, UserSizeBytes: 6,
				Inefficiencies: []DiveInefficient{{Path: "/a/f", Count: 2, SizeBytes: 10}}},
		},
		{
			name: "deleted directory: the whiteout weighs the subtree below",
			layers: []synth.Layer{
				L(synth.Dir("d"), synth.File("d/x", "xxx"), synth.Dir("d/y"), synth.File("d/y/z", "zzzz"), synth.File("e", "e")),
				L(synth.Whiteout("d")),
			},
			// leaves /d/x 3, /d/y/z 4, /e 1, then /d 7: each path once
			want: Dive{Efficiency: 1, SizeBytes: 8, Inefficiencies: []DiveInefficient{}},
		},
		{
			name: "a whiteout of a path absent below ends dive's walk of the layer",
			layers: []synth.Layer{
				L(synth.File("a", "12345")),
				L(synth.Whiteout("aaa"), synth.File("b", "bbb")),
			},
			// /a min 5; /aaa made with min -1 before the walk stops; /b never seen
			want: Dive{Efficiency: 4.0 / 5, SizeBytes: 8, UserSizeBytes: 3, Inefficiencies: []DiveInefficient{}},
		},
		{
			name: "the same missing whiteout in two layers: one record",
			layers: []synth.Layer{
				L(synth.File("a", "12345")),
				L(synth.Whiteout("aaa"), synth.File("b", "bbb")),
				L(synth.Whiteout("aaa")),
			},
			// /a min 5; /aaa min -1, counted once; /b never seen
			want: Dive{Efficiency: 4.0 / 5, SizeBytes: 8, UserSizeBytes: 3, Inefficiencies: []DiveInefficient{}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Analyze(context.Background(), build(t, synth.Image{Layers: tc.layers}))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rep.Dive, tc.want) {
				t.Errorf("dive = %+v\nwant   %+v", rep.Dive, tc.want)
			}
		})
	}
}

package account

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const diveDir = "/work/shared/compat/dive"

type diveExpected struct {
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

func diveImagePath(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(diveDir, name)
	if _, err := os.Stat(p); err != nil {
		// testdata copy, if the shared data is not there
		p = filepath.Join("testdata", "dive", name)
	}
	return p
}

func TestDiveCompat(t *testing.T) {
	raw, err := os.ReadFile(diveImagePath(t, "expected.json"))
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
			img, err := tarball.ImageFromPath(diveImagePath(t, name), nil)
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

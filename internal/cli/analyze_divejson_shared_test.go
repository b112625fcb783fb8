//go:build shared

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle/whittle/internal/testenv"
)

// TestDiveJSONExportShared runs analyze --json on the shared copy of
// dive's test image and checks the export against the figures dive's tests
// assert, as compat/dive/expected.json records them: the image figures,
// every fileReference entry in order, 14 layers and each layer's
// sizeBytes (dive's export_test.snap).
func TestDiveJSONExportShared(t *testing.T) {
	dir := testenv.Shared(t, "compat", "dive")
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]struct {
		Layers         int     `json:"layers"`
		Efficiency     float64 `json:"efficiency"`
		SizeBytes      uint64  `json:"sizeBytes"`
		WastedBytes    uint64  `json:"wastedBytes"`
		Inefficiencies []struct {
			File      string `json:"file"`
			Count     int    `json:"count"`
			SizeBytes uint64 `json:"sizeBytes"`
		} `json:"inefficiencies"`
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	want, ok := all["test-docker-image.tar"]
	if !ok || want.Layers == 0 {
		t.Fatal("expected.json has no figures for test-docker-image.tar")
	}
	out := filepath.Join(t.TempDir(), "dive.json")
	if code, stdout, stderr := runCLI(t, "", "analyze", "--no-cache", "--json", out, filepath.Join(dir, "test-docker-image.tar")); code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got diveExportDoc
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Image.SizeBytes != want.SizeBytes || got.Image.InefficientBytes != want.WastedBytes || got.Image.EfficiencyScore != want.Efficiency {
		t.Errorf("image: size %d, inefficient %d, efficiency %v; dive's %d, %d, %v",
			got.Image.SizeBytes, got.Image.InefficientBytes, got.Image.EfficiencyScore, want.SizeBytes, want.WastedBytes, want.Efficiency)
	}
	if len(got.Image.InefficientFiles) != len(want.Inefficiencies) {
		t.Fatalf("fileReference: %+v, dive's %+v", got.Image.InefficientFiles, want.Inefficiencies)
	}
	for i, w := range want.Inefficiencies {
		g := got.Image.InefficientFiles[i]
		if g.Path != w.File || g.References != w.Count || g.SizeBytes != w.SizeBytes {
			t.Errorf("fileReference %d: %+v, dive's %+v", i, g, w)
		}
	}
	// dive's export_test.snap (compat/dive/EXPECTED.md).
	sizes := []uint64{1154361, 6405, 0, 6405, 6405, 6405, 6405, 6405, 6405, 0, 2187, 6405, 6405, 6405}
	if len(got.Layer) != want.Layers || len(got.Layer) != len(sizes) {
		t.Fatalf("%d layers, dive's %d", len(got.Layer), want.Layers)
	}
	var sum uint64
	for i, l := range got.Layer {
		if l.Index != i || l.SizeBytes != sizes[i] {
			t.Errorf("layer %d: index %d, sizeBytes %d; dive's %d", i, l.Index, l.SizeBytes, sizes[i])
		}
		sum += l.SizeBytes
	}
	if sum != got.Image.SizeBytes {
		t.Errorf("layers add up to %d, image sizeBytes %d", sum, got.Image.SizeBytes)
	}
}

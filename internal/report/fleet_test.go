package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/fleet"
	"github.com/whittle/whittle/pkg/measure"
	"github.com/whittle/whittle/pkg/rules"
)

func TestFleetText(t *testing.T) {
	r := &fleet.Report{
		SchemaVersion: fleet.SchemaVersion,
		Images: []fleet.ImageFigures{
			{Reference: "api", Layers: 3, SizeBytes: 3000, CompressedBytes: 1500, UniqueBytes: 1000},
			{Reference: "web", Layers: 3, SizeBytes: 2500, CompressedBytes: 1200, UniqueBytes: 500, Aliases: []string{"web:2", "oci:web"}},
		},
		Layers:            make([]fleet.LayerFigures, 4),
		SizeBytes:         5500,
		CompressedBytes:   2700,
		FootprintBytes:    3500,
		SharedSavingBytes: 2000,
		Bases: []fleet.Base{
			{Layers: 2, SizeBytes: 2000, SavedBytes: 2000, Images: []string{"api", "web"}, CreatedBy: "/bin/sh -c apt-get install -y curl"},
			{Layers: 1, SizeBytes: 10, SavedBytes: 50, Images: []string{"a", "b", "c", "d", "e", "f"}, CreatedBy: "ADD x /"},
		},
		BasesInUse: []fleet.BaseInUse{
			{Layers: 1, SizeBytes: 80000, ConsolidationSavingBytes: 120000, Images: []string{"web"}, CreatedBy: "ADD alpine.tar /"},
		},
	}
	r.Images[0].BaseLayers = 2
	var buf bytes.Buffer
	if err := FleetText(&buf, r, TextOptions{Top: 1}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"Fleet 2 images, 4 distinct layers\n",
		"  saved by sharing    2.0 kB     0 B  36.36 % of disk, 0.00 % of pulls\n",
		"  api         3  3.0 kB      1.5 kB        1.0 kB  2.0 kB\n",
		"  (web given again as web:2, oci:web: the same image, counted once)\n",
		"       2  2.0 kB  2.0 kB  api, web  RUN apt-get install -y curl\n",
		"  ... and 1 more (--top 0 lists all)\n",
		"Base images in use\n",
		"       1  80 kB                    120 kB  web     ADD alpine.tar /\n",
		"  (1 image left out: the history does not tell where the base ends)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	if err := FleetText(&buf, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "a, b, c, d and 2 more") {
		t.Errorf("long image list not cut:\n%s", buf.String())
	}

	buf.Reset()
	if err := FleetJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var back fleet.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Error("JSON does not decode back to the same report")
	}
}

func TestFleetHTML(t *testing.T) {
	r := &fleet.Report{
		SchemaVersion: fleet.SchemaVersion,
		Images: []fleet.ImageFigures{
			{Reference: "api<script>", Layers: 3, SizeBytes: 3000, CompressedBytes: 1500, UniqueBytes: 1000, BaseLayers: 1},
			{Reference: "web", Layers: 3, SizeBytes: 2500, CompressedBytes: 1200, UniqueBytes: 500, Aliases: []string{"web:2", "oci:web"}},
		},
		Layers:            make([]fleet.LayerFigures, 4),
		SizeBytes:         5500,
		FootprintBytes:    3500,
		SharedSavingBytes: 2000,
		Bases:             []fleet.Base{{Layers: 2, SizeBytes: 2000, SavedBytes: 2000, Images: []string{"api<script>", "web"}, CreatedBy: "ADD x /"}},
		BasesInUse:        []fleet.BaseInUse{{Layers: 1, SizeBytes: 1500, ConsolidationSavingBytes: 0, Images: []string{"api<script>"}}},
	}
	var buf bytes.Buffer
	if err := FleetHTML(&buf, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	text, el := parseHTML(t, buf.Bytes())
	for _, want := range []string{"Fleet of 2 images", "4 distinct layers", "3,500 bytes on disk, each layer once", "2,000 bytes, 36.36 % of disk", "api<script>", "1 image left out"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if el["svg"] != 3 || el["section"] != 4 {
		t.Errorf("%d svg, %d sections: want 3 and 4", el["svg"], el["section"])
	}
}

func TestMeasureTextEdges(t *testing.T) {
	var buf bytes.Buffer
	if err := MeasureText(&buf, &measure.Result{File: "Dockerfile", Stage: "0", BaseLayers: 3}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "Dockerfile Dockerfile\n  stage 0: no instruction made a layer; 3 layers below from the base image\n  no findings\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
	buf.Reset()
	m := &measure.Result{File: "D", Stage: "s", BaseLayers: 1, MeasuredBytes: 10,
		Instructions: []measure.Instruction{{Line: 2, Kind: "RUN", Layer: 1}},
		Findings: []measure.Finding{
			{Finding: rules.Finding{Rule: "WH201", Line: 2}, Layer: 1, Measured: true, CostBytes: 10, Basis: "b1"},
			{Finding: rules.Finding{Rule: "WH301", Line: 2}, Layer: 1, Measured: true, CostBytes: 5, Basis: "b2"},
			{Finding: rules.Finding{Rule: "WH202", Line: 2}, Layer: 1, Basis: "not"},
		}}
	if err := MeasureText(&buf, m, TextOptions{Top: 1}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 instruction paired with layers 1 to 1; 1 layer below", "10 B the findings cost", "WH201", "... and 1 more (--top 0 lists all)", "1 finding not measured"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "WH301") {
		t.Errorf("--top 1 listed two findings:\n%s", buf.String())
	}
}

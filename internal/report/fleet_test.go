package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/fleet"
)

func TestFleetText(t *testing.T) {
	r := &fleet.Report{
		SchemaVersion: fleet.SchemaVersion,
		Images: []fleet.ImageFigures{
			{Reference: "api", Layers: 3, SizeBytes: 3000, CompressedBytes: 1500, UniqueBytes: 1000},
			{Reference: "web", Layers: 3, SizeBytes: 2500, CompressedBytes: 1200, UniqueBytes: 500},
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
			{Reference: "web", Layers: 3, SizeBytes: 2500, CompressedBytes: 1200, UniqueBytes: 500},
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

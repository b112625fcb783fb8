package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/whittle/whittle/pkg/account"
)

// bigReport is a report the size of a large image: 50 layers, 100,000
// wasted files, 10,000 duplicate sets.
func bigReport() *account.Report {
	r := &account.Report{SchemaVersion: account.SchemaVersion, Image: account.Image{Reference: "big", SizeBytes: 1 << 34, WastedBytes: 1 << 32}}
	for i := range 50 {
		r.Layers = append(r.Layers, account.Layer{Index: i, SizeBytes: int64(i) << 20, CreatedBy: fmt.Sprintf("/bin/sh -c step %d && make install", i)})
	}
	for i := range 100_000 {
		r.Waste = append(r.Waste, account.WasteItem{Path: fmt.Sprintf("/usr/lib/pkg%d/file%d.so", i%997, i), Layer: i % 49, Bytes: int64(i*7919%100_003 + 1), Reason: account.ReasonOverwritten, ShadowedBy: i%49 + 1})
	}
	for i := range 10_000 {
		r.Duplicates = append(r.Duplicates, account.Duplicate{Digest: fmt.Sprintf("sha256:%064x", i), Size: int64(i + 1), Bytes: int64(i + 1), Paths: []string{fmt.Sprintf("/a/%d", i), fmt.Sprintf("/b/%d", i)}})
	}
	return r
}

// BenchmarkAnalyzeJSON is the baseline: encoding every item.
func BenchmarkAnalyzeJSON(b *testing.B) {
	r := bigReport()
	for b.Loop() {
		if err := AnalyzeJSON(io.Discard, Analysis{Report: r}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeText sorts every item to print the top ones.
func BenchmarkAnalyzeText(b *testing.B) {
	r := bigReport()
	for b.Loop() {
		if err := AnalyzeText(io.Discard, Analysis{Report: r}, TextOptions{Top: DefaultTop}); err != nil {
			b.Fatal(err)
		}
	}
}

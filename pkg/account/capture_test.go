package account

import (
	"context"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/internal/benchutil"
	"github.com/whittle/whittle/internal/synth"
)

type capturedWant struct {
	path, data, skipped string
	layer               int
}

func capturedOf(rep *Report) []capturedWant {
	var out []capturedWant
	for _, c := range rep.Captured {
		out = append(out, capturedWant{c.Path, string(c.Data), c.Skipped, c.Layer})
	}
	return out
}

// WithCapture returns the content of the visible files at the captured
// paths only: the topmost version, nothing deleted, hard links resolved.
func TestCapture(t *testing.T) {
	img := build(t, synth.Image{Layers: []synth.Layer{
		L(synth.File("var/lib/dpkg/status", "A"), synth.File("var/lib/dpkg/info/a.list", "/a"),
			synth.File("etc/other", "o"), synth.File("var/lib/dpkg/info/gone/x.list", "x")),
		L(synth.File("var/lib/dpkg/status", "AB"), synth.Whiteout("var/lib/dpkg/info/a.list"),
			synth.File("var/lib/dpkg/info/b.list", "/b"), synth.Hardlink("var/lib/dpkg/info/c.list", "etc/other"),
			synth.Whiteout("var/lib/dpkg/info/gone"), synth.File("var/lib/dpkg/info/b.md5sums", "m")),
		L(synth.Hardlink("var/lib/dpkg/info/d.list", "var/lib/dpkg/info/b.list")),
	}})
	rep, err := Analyze(context.Background(), img, WithCapture([]string{"/var/lib/dpkg/status", "/var/lib/dpkg/info/*.list", "relative/ignored"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []capturedWant{
		{"var/lib/dpkg/info/b.list", "/b", "", 1},
		{"var/lib/dpkg/info/c.list", "", SkippedNotCaptured, 0},
		{"var/lib/dpkg/info/d.list", "/b", "", 1},
		{"var/lib/dpkg/status", "AB", "", 1},
	}
	if got := capturedOf(rep); !reflect.DeepEqual(got, want) {
		t.Errorf("captured %+v\nwant %+v", got, want)
	}
	// Capturing changes nothing else of the report.
	plain, err := Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Captured != nil || plain.VisibleFiles != nil {
		t.Errorf("captured or visible files without the options: %+v %+v", plain.Captured, plain.VisibleFiles)
	}
	rep.Captured = nil
	if !reflect.DeepEqual(rep, plain) {
		t.Errorf("the report with capture differs:\n%+v\n%+v", rep, plain)
	}
	// Asked for and absent: empty, not nil.
	rep, _ = Analyze(context.Background(), img, WithCapture([]string{"/lib/apk/db/installed"}))
	if rep.Captured == nil || len(rep.Captured) != 0 {
		t.Errorf("captured %+v, want empty", rep.Captured)
	}
}

// The limits: per file, per layer, and over what stays visible across
// layers (the newest layer's files, last first, give way).
func TestCaptureLimits(t *testing.T) {
	img := build(t, synth.Image{Layers: []synth.Layer{
		L(synth.File("db/big", "1234"), synth.File("db/a", "aa"), synth.File("db/b", "bb"), synth.File("db/c", "cc")),
		L(synth.File("db/d", "dd"), synth.File("db/e", "e")),
		L(synth.Whiteout("db/a"), synth.File("db/f", "f")),
	}})
	rep, err := Analyze(context.Background(), img, WithCapture([]string{"/db"}), WithCaptureLimits(3, 5))
	if err != nil {
		t.Fatal(err)
	}
	want := []capturedWant{
		{"db/b", "bb", "", 0},
		{"db/big", "", SkippedTooLarge, 0}, // over the per-file limit
		{"db/c", "", SkippedTooLarge, 0},   // over the layer's total
		{"db/d", "", SkippedTooLarge, 1},   // a and b held 4 bytes: e, then d, give way
		{"db/e", "", SkippedTooLarge, 1},
		{"db/f", "f", "", 2}, // a's deletion made room
	}
	if got := capturedOf(rep); !reflect.DeepEqual(got, want) {
		t.Errorf("captured %+v\nwant %+v", got, want)
	}
	for _, bad := range [][2]int64{{0, 1}, {1, 0}, {-1, 5}} {
		if _, err := Analyze(context.Background(), img, WithCaptureLimits(bad[0], bad[1])); err == nil {
			t.Errorf("WithCaptureLimits(%d, %d) accepted", bad[0], bad[1])
		}
	}
}

// VisibleFiles lists every visible name; names of one file share File,
// and the files' bytes add up to visible_bytes.
func TestVisibleFiles(t *testing.T) {
	p, err := synth.Large(context.Background(), t.TempDir(), synth.LargeSpec{Layers: 4, Files: 2000, Bytes: 2 << 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	large, err := benchutil.OpenLayout(p)
	if err != nil {
		t.Fatal(err)
	}
	small := build(t, synth.Image{Layers: []synth.Layer{
		L(synth.File("a", "12345"), synth.Hardlink("b", "a"), synth.File("c", "x")),
		L(synth.Whiteout("a"), synth.Hardlink("d", "c")),
	}})
	for name, img := range map[string]v1.Image{"large": large, "small": small} {
		rep, err := Analyze(context.Background(), img, WithVisibleFiles(true))
		if err != nil {
			t.Fatal(err)
		}
		var bytes, files int64
		seen := map[int]bool{}
		for _, f := range rep.VisibleFiles {
			if !seen[f.File] {
				seen[f.File] = true
				bytes += f.Bytes
				files++
			}
		}
		if bytes != rep.Image.VisibleBytes || files != rep.Image.Files {
			t.Errorf("%s: visible files add up to %d bytes in %d files; report says %d in %d", name, bytes, files, rep.Image.VisibleBytes, rep.Image.Files)
		}
		if name == "small" && len(rep.VisibleFiles) != 3 {
			t.Errorf("small: %+v, want b, c and d", rep.VisibleFiles)
		}
	}
}

package account

import (
	"context"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"golang.org/x/sync/errgroup"

	"github.com/whittle/whittle/internal/synth"
)

// openCounter counts how often a layer's content is opened.
type openCounter struct {
	v1.Layer
	n *atomic.Int64
}

func (l openCounter) Compressed() (io.ReadCloser, error) {
	l.n.Add(1)
	return l.Layer.Compressed()
}

func (l openCounter) Uncompressed() (io.ReadCloser, error) {
	l.n.Add(1)
	return l.Layer.Uncompressed()
}

func appendLayers(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func synthLayer(t *testing.T, entries ...synth.Entry) v1.Layer {
	t.Helper()
	l, err := synth.NewLayer(synth.Layer{Entries: entries}, false)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLayerShare: two analyses sharing a layer read it once, and each
// report is the one it would be alone; a layer one image holds twice is
// read once too.
func TestLayerShare(t *testing.T) {
	var baseOpened, topOpened atomic.Int64
	base := openCounter{synthLayer(t, synth.Dir("etc"), synth.File("etc/a", "aaaa"), synth.Symlink("etc/l", "a")), &baseOpened}
	top := openCounter{synthLayer(t, synth.File("etc/b", "bb")), &topOpened}
	imgs := []v1.Image{
		appendLayers(t, base, synthLayer(t, synth.File("x", "1"), synth.Whiteout("etc/a"))),
		appendLayers(t, base, top, top),
	}
	opts := []Option{WithVisiblePaths(true), WithCapture([]string{"/etc"})}
	var alone [2]*Report
	for k, img := range imgs {
		var err error
		if alone[k], err = Analyze(context.Background(), img, opts...); err != nil {
			t.Fatal(err)
		}
	}
	baseOpened.Store(0)
	topOpened.Store(0)
	sh := NewLayerShare()
	for _, img := range imgs {
		if err := sh.Add(img); err != nil {
			t.Fatal(err)
		}
	}
	var shared [2]*Report
	var g errgroup.Group
	for k, img := range imgs {
		g.Go(func() error {
			var err error
			shared[k], err = Analyze(context.Background(), img, append(opts, WithLayerShare(sh), WithJobs(1+k))...)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if baseOpened.Load() != 1 || topOpened.Load() != 1 {
		t.Errorf("opened the shared layer %d times and the twice-held one %d times, want 1 and 1", baseOpened.Load(), topOpened.Load())
	}
	for k := range imgs {
		sortVisible(alone[k])
		sortVisible(shared[k])
		if !reflect.DeepEqual(alone[k], shared[k]) {
			t.Errorf("image %d: the report with a share differs from the one alone", k)
		}
	}
	if len(sh.scans) != 0 || len(sh.uses) != 0 {
		t.Errorf("the share still holds %d layers (%d uses)", len(sh.scans), len(sh.uses))
	}

	// An analysis configured otherwise is refused.
	sh = NewLayerShare()
	sh.Add(imgs[0])
	sh.Add(imgs[1])
	if _, err := Analyze(context.Background(), imgs[0], WithLayerShare(sh)); err != nil {
		t.Fatal(err)
	}
	if _, err := Analyze(context.Background(), imgs[1], WithLayerShare(sh), WithDuplicates(false)); err == nil || !strings.Contains(err.Error(), "alike") {
		t.Errorf("a share between analyses configured otherwise: %v", err)
	}
	if _, err := Analyze(context.Background(), imgs[0], WithLayerShare(nil)); err == nil {
		t.Error("a nil share was accepted")
	}
}

// TestLayerShareReadFails: when the analysis that reads a shared layer
// fails, the other reads it again on its own and reports its own error.
func TestLayerShareReadFails(t *testing.T) {
	raw, err := synth.TarBytes([]synth.Entry{synth.File("a", "a")})
	if err != nil {
		t.Fatal(err)
	}
	bad := synth.RawLayer(raw, "application/vnd.docker.image.rootfs.diff.tar", synth.Digest([]byte("not it")), synth.Digest(raw))
	imgs := []v1.Image{appendLayers(t, bad), appendLayers(t, bad)}
	sh := NewLayerShare()
	for _, img := range imgs {
		sh.Add(img)
	}
	for k, img := range imgs {
		if _, err := Analyze(context.Background(), img, WithLayerShare(sh)); err == nil || !strings.Contains(err.Error(), "reading layer 0") {
			t.Errorf("image %d: %v", k, err)
		}
	}
}

func sortVisible(r *Report) {
	slices.SortFunc(r.VisibleFiles, func(a, b VisibleFile) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(r.VisibleOthers, func(a, b VisibleOther) int { return strings.Compare(a.Path, b.Path) })
}

// TestVisiblePaths: the mode and owner of files, and the other paths of
// the final filesystem: directories (named by an entry or not), links,
// fifos; what a later layer replaced or deleted is gone.
func TestVisiblePaths(t *testing.T) {
	img := appendLayers(t,
		synthLayer(t, synth.Dir("d"), synth.Entry{Kind: synth.KindFile, Path: "d/f", Content: []byte("x"), Mode: 0o4755},
			synth.Symlink("s", "d/f"), synth.Entry{Kind: synth.KindFifo, Path: "p"}, synth.Dir("gone"), synth.Symlink("was-link", "x")),
		synthLayer(t, synth.File("implicit/f", "y"), synth.Whiteout("gone"), synth.File("was-link", "now a file"),
			synth.Entry{Kind: synth.KindDir, Path: "d", Mode: 0o700}, synth.Hardlink("h", "d/f")),
	)
	rep, err := Analyze(context.Background(), img, WithVisiblePaths(true))
	if err != nil {
		t.Fatal(err)
	}
	sortVisible(rep)
	type file struct {
		Path  string
		Mode  int64
		Layer int
	}
	var files []file
	for _, f := range rep.VisibleFiles {
		files = append(files, file{f.Path, f.Mode, f.Layer})
		if f.Bytes > 0 && !f.Hashed {
			t.Errorf("%s is not hashed", f.Path)
		}
	}
	if want := []file{{"d/f", 0o4755, 0}, {"h", 0o4755, 0}, {"implicit/f", 0o644, 1}, {"was-link", 0o644, 1}}; !reflect.DeepEqual(files, want) {
		t.Errorf("files:\n got %v\nwant %v", files, want)
	}
	want := []VisibleOther{
		{Path: "d", Type: TypeDir, Layer: 1, Mode: 0o700},
		{Path: "implicit", Type: TypeDir, Layer: 1, Implicit: true},
		{Path: "p", Type: TypeOther, Layer: 0, Mode: 0o644},
		{Path: "s", Type: TypeSymlink, Layer: 0, Mode: 0o777, Target: "d/f"},
	}
	if !reflect.DeepEqual(rep.VisibleOthers, want) {
		t.Errorf("others:\n got %+v\nwant %+v", rep.VisibleOthers, want)
	}
	// Off by default.
	rep, err = Analyze(context.Background(), img, WithVisibleFiles(true))
	if err != nil {
		t.Fatal(err)
	}
	if rep.VisibleOthers != nil || rep.VisibleFiles[0].Mode != 0 {
		t.Error("visible paths without WithVisiblePaths")
	}
}

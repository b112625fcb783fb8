package squash

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/spool"
)

// tempDir is a private temporary directory for squash, $TMPDIR too, so
// that what squash leaves there can be counted.
func tempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left in %s: %s", dir, e.Name())
	}
}

// streamLayer is an uncompressed layer holding one file of size bytes,
// generated as it is read; after trigger bytes it calls fn once. It counts
// the bytes read.
type streamLayer struct {
	size, trigger int64
	fn            func()
	read          atomic.Int64
}

func (l *streamLayer) Digest() (v1.Hash, error)            { return synth.Digest([]byte("stream")), nil }
func (l *streamLayer) DiffID() (v1.Hash, error)            { return synth.Digest([]byte("stream")), nil }
func (l *streamLayer) Size() (int64, error)                { return l.size + 1024, nil }
func (l *streamLayer) MediaType() (types.MediaType, error) { return types.DockerUncompressedLayer, nil }
func (l *streamLayer) Uncompressed() (io.ReadCloser, error) {
	return l.Compressed()
}

func (l *streamLayer) Compressed() (io.ReadCloser, error) {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "huge", Size: l.size, Mode: 0o644, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	tw.Flush()
	r := io.MultiReader(&hdr, io.LimitReader(patternReader{}, l.size))
	return io.NopCloser(&countingReader{r: r, l: l}), nil
}

// patternReader reads incompressible bytes for ever.
type patternReader struct{}

func (patternReader) Read(p []byte) (int, error) {
	synth.FillPattern(p, 1)
	return len(p), nil
}

type countingReader struct {
	r     io.Reader
	l     *streamLayer
	fired bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.l.read.Add(int64(n)) >= c.l.trigger && !c.fired && c.l.fn != nil {
		c.fired = true
		c.l.fn()
	}
	return n, err
}

func streamImage(t *testing.T, l v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(buildImage(t, false, []te{d("etc"), f("etc/os", "base")}), l)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// An interrupt while one huge entry is copied to the spool stops the copy
// at once: squash returns within a second, having read little more, and
// leaves nothing in the temporary directory.
func TestSquashCancelMidCopy(t *testing.T) {
	dir := tempDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	var readAtCancel int64
	l := &streamLayer{size: 1 << 40, trigger: 8 << 20}
	l.fn = func() { cancelled = time.Now(); readAtCancel = l.read.Load(); cancel() }
	_, err := Squash(ctx, streamImage(t, l), WithKeepLayers(1), WithTempDir(dir), WithBudget(spool.NewBudget(0)))
	took := time.Since(cancelled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if took > time.Second {
		t.Errorf("returned %s after the interrupt", took)
	}
	if extra := l.read.Load() - readAtCancel; extra > 1<<20 {
		t.Errorf("read %d bytes after the interrupt", extra)
	}
	assertEmpty(t, dir)
}

// An interrupt while the merged layer is written stops it too.
func TestSquashCancelMidWrite(t *testing.T) {
	dir := tempDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Progress is reported between entries, once 8 MiB are written.
	big := string(synth.Pattern(8<<20, 7))
	img := buildImage(t, false, []te{d("etc"), f("etc/os", "base")}, []te{f("big1", big), f("big2", big)})
	var cancelled time.Time
	progress := func(p Progress) {
		if p.Phase == PhaseWrite && p.Bytes > 0 && cancelled.IsZero() {
			cancelled = time.Now()
			cancel()
		}
	}
	_, err := Squash(ctx, img, WithKeepLayers(1), WithTempDir(dir), WithProgress(progress))
	if cancelled.IsZero() {
		t.Fatalf("no write progress reported (err %v)", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if took := time.Since(cancelled); took > time.Second {
		t.Errorf("returned %s after the interrupt", took)
	}
	assertEmpty(t, dir)
}

// While squash runs, and after it, its temporary directory holds no name:
// the spool and the merged layer are files with no name.
func TestSquashLeavesNoNames(t *testing.T) {
	dir := tempDir(t)
	img := buildImage(t, false, []te{d("etc"), f("etc/os", "base")}, []te{f("a", "aaaa"), f("b", "bbbb")})
	var during []string
	progress := func(p Progress) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			during = append(during, e.Name())
		}
	}
	res, err := Squash(context.Background(), img, WithKeepLayers(1), WithTempDir(dir), WithProgress(progress))
	if err != nil {
		t.Fatal(err)
	}
	// The result reads from the unnamed layer file until Close.
	if _, err := res.Image.Digest(); err != nil {
		t.Fatal(err)
	}
	ls, _ := res.Image.Layers()
	rc, err := ls[len(ls)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n < 2048 {
		t.Fatalf("reading the merged layer: %d bytes, %v", n, err)
	}
	assertEmpty(t, dir)
	if err := res.Close(); err != nil {
		t.Fatal(err)
	}
	if len(during) > 0 {
		t.Errorf("named files while squash ran: %v", during)
	}
}

// The budget caps the spool and the merged layer as they are written.
func TestSquashBudget(t *testing.T) {
	big := string(synth.Pattern(4<<20, 3))
	img := buildImage(t, false, []te{d("etc"), f("etc/os", "base")}, []te{f("big", big), f("small", "x")})
	for _, tc := range []struct {
		name  string
		limit int64
		what  string // the refused write names it; "" for none
	}{
		{"spool past the cap", 1 << 20, "spool"},
		// The spool (4 MiB and a byte) fits; the merged layer (4 MiB of
		// incompressible content, compressed) does not.
		{"merged layer past the cap", 4<<20 + 1<<19, "the merged layer"},
		{"room for both", 9 << 20, ""},
		{"no cap", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tempDir(t)
			b := spool.NewBudget(tc.limit)
			res, err := Squash(context.Background(), img, WithKeepLayers(1), WithTempDir(dir), WithBudget(b))
			if tc.what == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer res.Close()
				// Spool and layer, each counted once: the content, plus
				// the layer's tar headers and compression framing.
				if b.Used() < 8<<20 || b.Used() > 8<<20+64<<10 {
					t.Errorf("counted %d bytes, want the spool's and the merged layer's (about 8 MiB)", b.Used())
				}
				return
			}
			var le *spool.LimitError
			if !errors.As(err, &le) || !strings.Contains(le.What, tc.what) || le.Limit != tc.limit {
				t.Fatalf("err %v, want a *spool.LimitError writing %s", err, tc.what)
			}
			if b.Used() > tc.limit {
				t.Errorf("wrote %d bytes past a cap of %d", b.Used(), tc.limit)
			}
			assertEmpty(t, dir)
		})
	}
}

// A sparse entry that the merged layer would hold is refused, naming the
// layer and the entry, before anything is written: a 1 TiB file in a few
// kB of tar never becomes a terabyte of zeros. Hidden by a higher layer, or
// pruned, it is never read.
func TestSquashSparse(t *testing.T) {
	sparse := synth.SparseTar("var/log/lastlog", 1<<40)
	sl := synth.RawLayer(sparse, types.DockerUncompressedLayer, synth.Digest(sparse), synth.Digest(sparse))
	base := buildImage(t, false, []te{d("etc"), f("etc/os", "base")})
	img, err := mutate.AppendLayers(base, sl)
	if err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{false, true} {
		dir := tempDir(t)
		b := spool.NewBudget(0)
		_, err := Squash(context.Background(), img, WithKeepLayers(1), WithTempDir(dir), WithDryRun(dry), WithBudget(b))
		var ee *EntryError
		if !errors.As(err, &ee) || ee.Path != "var/log/lastlog" || !strings.HasPrefix(ee.Layer, "layer 1 (sha256:") ||
			!strings.Contains(err.Error(), "sparse file (1.0 TiB declared") {
			t.Fatalf("dry run %v: err %v, want an *EntryError naming layer 1 and var/log/lastlog as sparse", dry, err)
		}
		if b.Used() > 0 {
			t.Errorf("dry run %v: wrote %d bytes", dry, b.Used())
		}
		assertEmpty(t, dir)
	}
	// Hidden by a higher layer: squashed, the sparse file never read.
	top, err := synth.CompressedLayer(layerTar(t, []te{d("var"), d("var/log"), wh("var/log/lastlog")}), "gzip", false)
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := mutate.AppendLayers(img, top)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Squash(context.Background(), hidden, WithKeepLayers(1), WithTempDir(tempDir(t)))
	if err != nil {
		t.Fatalf("sparse file deleted by a higher layer: %v", err)
	}
	res.Close()
}

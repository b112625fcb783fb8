package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/synth"
)

func collect(t *testing.T, l v1.Layer, opts ...Option) ([]string, Info, error) {
	t.Helper()
	var got []string
	info, err := WalkInfo(context.Background(), l, func(e *Entry) error {
		s := e.Path
		if p, ok := e.Whiteout(); ok {
			s = "whiteout:" + p
		}
		if p, ok := e.Opaque(); ok {
			s = "opaque:" + p
		}
		if e.Link != "" {
			s += "->" + e.Link
		}
		if e.Header.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(e.Reader)
			if err != nil {
				return err
			}
			s += "=" + string(b)
		}
		got = append(got, s)
		return nil
	}, opts...)
	return got, info, err
}

var sample = []synth.Entry{
	synth.Dir("./"),
	synth.Dir("./etc/"),
	synth.File("./etc/a", "one"),
	synth.File("/etc/b", "two"),
	synth.File("etc//c/../d", "three"),
	synth.Symlink("etc/s", "../../x"),
	synth.Hardlink("etc/h", "/etc/a"),
	synth.Whiteout("etc/old"),
	synth.Opaque("etc"),
	synth.Opaque(""),
}

var sampleWant = []string{
	"etc", "etc/a=one", "etc/b=two", "etc/d=three", "etc/s->../../x", "etc/h->etc/a",
	"whiteout:etc/old=", "opaque:etc=", "opaque:=",
}

func TestWalkCompressions(t *testing.T) {
	raw, err := synth.TarBytes(sample)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"gzip", "zstd", "none"} {
		t.Run(c, func(t *testing.T) {
			l, err := synth.CompressedLayer(raw, c, true)
			if err != nil {
				t.Fatal(err)
			}
			got, info, err := collect(t, l)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, sampleWant) {
				t.Errorf("entries:\n got %q\nwant %q", got, sampleWant)
			}
			wantC := map[string]Compression{"gzip": Gzip, "zstd": Zstd, "none": Uncompressed}[c]
			size, _ := l.Size()
			digest, _ := l.Digest()
			if info.Compression != wantC || info.DiffID != synth.Digest(raw) || info.UncompressedSize != int64(len(raw)) ||
				info.CompressedSize != size || info.Digest != digest || info.Entries != int64(len(sampleWant)) {
				t.Errorf("info = %+v", info)
			}
		})
	}
}

// The media type may lie: the magic bytes decide.
func TestWalkMagicOverMediaType(t *testing.T) {
	raw, _ := synth.TarBytes(sample)
	gz, _ := synth.CompressedLayer(raw, "gzip", true)
	rc, _ := gz.Compressed()
	blob, _ := io.ReadAll(rc)
	for _, mt := range []types.MediaType{types.OCILayerZStd, types.OCIUncompressedLayer, types.DockerLayer} {
		l := synth.RawLayer(blob, mt, synth.Digest(raw), synth.Digest(blob))
		got, info, err := collect(t, l)
		if err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		if info.Compression != Gzip || !reflect.DeepEqual(got, sampleWant) {
			t.Errorf("%s: compression %s entries %q", mt, info.Compression, got)
		}
	}
}

func TestWalkErrors(t *testing.T) {
	raw, _ := synth.TarBytes([]synth.Entry{synth.File("a", string(synth.Pattern(100000, 1))), synth.File("b", "bb")})
	gzl, _ := synth.CompressedLayer(raw, "gzip", false)
	rc, _ := gzl.Compressed()
	gz, _ := io.ReadAll(rc)
	zl, _ := synth.CompressedLayer(raw, "zstd", false)
	rc, _ = zl.Compressed()
	zs, _ := io.ReadAll(rc)
	bad := synth.Digest([]byte("not it"))
	escape, _ := synth.TarBytes([]synth.Entry{synth.File("ok", "x"), {Kind: synth.KindFile, Path: "x", Name: "a/../../etc/passwd", Content: []byte("p")}})
	linkEscape, _ := synth.TarBytes([]synth.Entry{synth.Hardlink("h", "../../etc/shadow")})
	garbage := append([]byte{}, raw...)
	copy(garbage[0:512], bytes.Repeat([]byte{0xff}, 512))

	var corrupt *CorruptError
	var mismatch *DigestMismatchError
	var unsafe *UnsafeEntryError
	for _, tc := range []struct {
		name  string
		layer v1.Layer
		check func(error) bool
	}{
		{"truncated gzip", synth.RawLayer(gz[:len(gz)/2], types.DockerLayer, synth.Digest(raw), synth.Digest(gz)),
			func(err error) bool { return errors.As(err, &corrupt) && corrupt.Layer == synth.Digest(gz).String() }},
		{"truncated gzip trailer", synth.RawLayer(gz[:len(gz)-4], types.DockerLayer, synth.Digest(raw), synth.Digest(gz)),
			func(err error) bool { return errors.As(err, &corrupt) }},
		{"truncated zstd", synth.RawLayer(zs[:len(zs)/2], types.OCILayerZStd, synth.Digest(raw), synth.Digest(zs)),
			func(err error) bool { return errors.As(err, &corrupt) }},
		{"truncated tar", synth.RawLayer(raw[:700], types.OCIUncompressedLayer, synth.Digest(raw), synth.Digest(raw)),
			func(err error) bool { return errors.As(err, &corrupt) }},
		{"garbage header", synth.RawLayer(garbage, types.OCIUncompressedLayer, synth.Digest(garbage), synth.Digest(garbage)),
			func(err error) bool { return errors.As(err, &corrupt) }},
		{"wrong diff_id", synth.RawLayer(gz, types.DockerLayer, bad, synth.Digest(gz)),
			func(err error) bool {
				return errors.As(err, &mismatch) && mismatch.Kind == KindDiffID && mismatch.Want == bad && mismatch.Got == synth.Digest(raw)
			}},
		{"wrong digest", synth.RawLayer(gz, types.DockerLayer, synth.Digest(raw), bad),
			func(err error) bool {
				return errors.As(err, &mismatch) && mismatch.Kind == KindDigest && mismatch.Got == synth.Digest(gz)
			}},
		// An uncompressed blob is hashed once, as the tar stream: a
		// manifest digest other than its sha256 is still refused.
		{"wrong digest of an uncompressed blob", synth.RawLayer(raw, types.OCIUncompressedLayer, synth.Digest(raw), bad),
			func(err error) bool {
				return errors.As(err, &mismatch) && mismatch.Kind == KindDigest && mismatch.Want == bad && mismatch.Got == synth.Digest(raw)
			}},
		{"entry escaping the root", synth.RawLayer(escape, types.OCIUncompressedLayer, synth.Digest(escape), synth.Digest(escape)),
			func(err error) bool {
				return errors.As(err, &unsafe) && unsafe.Name == "a/../../etc/passwd" && unsafe.Layer != ""
			}},
		{"hard link escaping the root", synth.RawLayer(linkEscape, types.OCIUncompressedLayer, synth.Digest(linkEscape), synth.Digest(linkEscape)),
			func(err error) bool { return errors.As(err, &unsafe) && unsafe.Linkname == "../../etc/shadow" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := collect(t, tc.layer)
			if err == nil || !tc.check(err) {
				t.Errorf("err = %v (%T)", err, err)
			}
		})
	}
}

func TestWalkDiffIDOption(t *testing.T) {
	raw, _ := synth.TarBytes(sample)
	l, _ := synth.CompressedLayer(raw, "gzip", false)
	bad := synth.Digest(nil)
	var mismatch *DigestMismatchError
	if _, _, err := collect(t, l, WithDiffID(bad)); !errors.As(err, &mismatch) {
		t.Errorf("WithDiffID(bad): %v", err)
	}
	if _, _, err := collect(t, l, WithDiffID(bad), WithoutVerify(true)); err != nil {
		t.Errorf("WithoutVerify: %v", err)
	}
	if _, _, err := collect(t, l, WithDiffID(v1.Hash{Algorithm: "md5", Hex: "00"})); err == nil {
		t.Error("invalid diff_id accepted")
	}
	// The callback's error stops the walk and comes back as is.
	stop := errors.New("stop")
	if err := Walk(context.Background(), l, func(*Entry) error { return stop }); err != stop {
		t.Errorf("callback error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Walk(ctx, l, func(*Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

func TestWalkSkipsGlobalHeader(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "x"}})
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "a", Size: 1, Mode: 0o644})
	tw.Write([]byte("a"))
	tw.Close()
	raw := buf.Bytes()
	l := synth.RawLayer(raw, types.OCIUncompressedLayer, synth.Digest(raw), synth.Digest(raw))
	got, _, err := collect(t, l)
	if err != nil || !reflect.DeepEqual(got, []string{"a=a"}) {
		t.Errorf("entries %q, %v", got, err)
	}
}

func TestWalkSparse(t *testing.T) {
	raw := synth.SparseTar("s", 1<<40)
	l := synth.RawLayer(raw, types.OCIUncompressedLayer, synth.Digest(raw), synth.Digest(raw))
	var got []string
	err := Walk(context.Background(), l, func(e *Entry) error {
		if !e.Sparse() || e.Header.Size != 1<<40 {
			t.Errorf("%s: sparse %v size %d", e.Path, e.Sparse(), e.Header.Size)
		}
		got = append(got, e.Path)
		return nil
	})
	if err != nil || !reflect.DeepEqual(got, []string{"s"}) {
		t.Errorf("entries %q, %v", got, err)
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"./a/b": "a/b", "/a/b": "a/b", "a//b/": "a/b", "a/./b": "a/b", "a/../b": "b",
		".": "", "./": "", "/": "", "//a": "a",
	} {
		if got, ok := Clean(in); !ok || got != want {
			t.Errorf("Clean(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"..", "../a", "a/../../b", "/../a"} {
		if _, ok := Clean(in); ok && in != "/../a" {
			t.Errorf("Clean(%q) accepted", in)
		}
	}
}

func FuzzWalk(f *testing.F) {
	raw, _ := synth.TarBytes(sample)
	f.Add(raw)
	gz, _ := synth.CompressedLayer(raw, "gzip", false)
	rc, _ := gz.Compressed()
	b, _ := io.ReadAll(rc)
	f.Add(b)
	zl, _ := synth.CompressedLayer(raw, "zstd", false)
	rc, _ = zl.Compressed()
	b, _ = io.ReadAll(rc)
	f.Add(b)
	// Hostile seeds (issue 11): a sparse entry of 2 TiB, and zstd that
	// expands 8 MiB of zeros from a few hundred bytes.
	f.Add(synth.SparseTar("huge", 2<<40))
	zeros, _ := synth.TarBytes([]synth.Entry{{Kind: synth.KindFile, Path: "zeros", Content: make([]byte, 8<<20)}})
	zb, _ := synth.CompressedLayer(zeros, "zstd", false)
	rc, _ = zb.Compressed()
	b, _ = io.ReadAll(rc)
	f.Add(b)
	for _, tc := range invalidCases { // the entries no reader accepts
		if raw, err := synth.TarBytes(tc.entries); err == nil {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		l := synth.RawLayer(blob, types.OCILayer, synth.Digest(nil), synth.Digest(blob))
		_ = Walk(context.Background(), l, func(e *Entry) error {
			e.Whiteout()
			e.Opaque()
			e.Meta()
			if e.Sparse() {
				return nil
			}
			_, err := io.Copy(io.Discard, e.Reader)
			return err
		}, WithoutVerify(true))
	})
}

// sizedLayer declares a blob size of its own.
type sizedLayer struct {
	v1.Layer
	size int64
}

func (l sizedLayer) Size() (int64, error) { return l.size, nil }

func TestWalkBlobDigestCheck(t *testing.T) {
	raw, _ := synth.TarBytes(sample)
	gl, _ := synth.CompressedLayer(raw, "gzip", false)
	rc, _ := gl.Compressed()
	gz, _ := io.ReadAll(rc)
	// The same content, other compressed bytes of the same length: a
	// gzip header with another modification time.
	other := append([]byte{}, gz...)
	other[4] ^= 0xff
	if bytes.Equal(other, gz) || len(other) != len(gz) {
		t.Fatal("test blob not different")
	}
	declared := synth.Digest(gz)
	reblob := synth.RawLayer(other, types.OCILayer, synth.Digest(raw), declared)
	var mismatch *DigestMismatchError
	var corrupt *CorruptError

	for _, tc := range []struct {
		name  string
		layer v1.Layer
		opts  []Option
		check func(Info, error) bool
	}{
		{"default: checked", reblob, nil, func(_ Info, err error) bool {
			return errors.As(err, &mismatch) && mismatch.Kind == KindDigest && mismatch.Got == synth.Digest(other)
		}},
		{"on: checked", reblob, []Option{WithBlobDigestCheck(true)}, func(_ Info, err error) bool {
			return errors.As(err, &mismatch) && mismatch.Kind == KindDigest
		}},
		{"off: content checked, digest declared", reblob, []Option{WithBlobDigestCheck(false)}, func(info Info, err error) bool {
			return err == nil && info.Digest == declared && info.DiffID == synth.Digest(raw) && info.CompressedSize == int64(len(other))
		}},
		{"off: digest option wins", reblob, []Option{WithBlobDigestCheck(false), WithDigest(synth.Digest(nil))}, func(info Info, err error) bool {
			return err == nil && info.Digest == synth.Digest(nil)
		}},
		{"off: length still checked", sizedLayer{reblob, int64(len(other)) + 1}, []Option{WithBlobDigestCheck(false)}, func(_ Info, err error) bool {
			return errors.As(err, &corrupt) && corrupt.Layer == declared.String()
		}},
		// The right bytes under a manifest that says another size: every
		// reader refuses them, hashing or not (squash accepted them).
		{"on: length checked too", sizedLayer{synth.RawLayer(gz, types.OCILayer, synth.Digest(raw), declared), int64(len(gz)) - 1}, nil, func(_ Info, err error) bool {
			return errors.As(err, &corrupt) && corrupt.Layer == declared.String() && strings.Contains(err.Error(), "the manifest says")
		}},
		{"off: diff_id still checked", synth.RawLayer(gz, types.OCILayer, synth.Digest(nil), declared), []Option{WithBlobDigestCheck(false)}, func(_ Info, err error) bool {
			return errors.As(err, &mismatch) && mismatch.Kind == KindDiffID
		}},
		{"off: trailing bytes after the stream", synth.RawLayer(append(append([]byte{}, gz...), "junk"...), types.OCILayer, synth.Digest(raw), declared), []Option{WithBlobDigestCheck(false)}, func(_ Info, err error) bool {
			return errors.As(err, &corrupt)
		}},
		{"off: truncated", synth.RawLayer(gz[:len(gz)-4], types.OCILayer, synth.Digest(raw), declared), []Option{WithBlobDigestCheck(false)}, func(_ Info, err error) bool {
			return errors.As(err, &corrupt)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, info, err := collect(t, tc.layer, tc.opts...)
			if !tc.check(info, err) {
				t.Errorf("info %+v, err = %v (%T)", info, err, err)
			}
		})
	}
}

func TestVerifyBlob(t *testing.T) {
	raw, _ := synth.TarBytes(sample)
	gl, _ := synth.CompressedLayer(raw, "gzip", false)
	rc, _ := gl.Compressed()
	gz, _ := io.ReadAll(rc)
	other := append([]byte{}, gz...)
	other[4] ^= 0xff
	read := func(l v1.Layer) ([]byte, error) {
		rc, err := VerifyBlob(l, "layer 0").Compressed()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	var mismatch *DigestMismatchError
	var corrupt *CorruptError
	if b, err := read(synth.RawLayer(gz, types.OCILayer, synth.Digest(raw), synth.Digest(gz))); err != nil || !bytes.Equal(b, gz) {
		t.Errorf("good blob: %v", err)
	}
	if _, err := read(synth.RawLayer(other, types.OCILayer, synth.Digest(raw), synth.Digest(gz))); !errors.As(err, &mismatch) || mismatch.Layer != "layer 0" || mismatch.Got != synth.Digest(other) {
		t.Errorf("changed blob: %v", err)
	}
	if _, err := read(sizedLayer{synth.RawLayer(gz, types.OCILayer, synth.Digest(raw), synth.Digest(gz)), int64(len(gz)) - 1}); !errors.As(err, &corrupt) {
		t.Errorf("wrong length: %v", err)
	}
}

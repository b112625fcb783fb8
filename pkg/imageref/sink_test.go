package imageref

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func write(t *testing.T, s string, img v1.Image, opts ...Option) error {
	t.Helper()
	r, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r.Write(context.Background(), img, opts...)
}

func repoTags(t *testing.T, p string) []string {
	t.Helper()
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(p) })
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range m {
		out = append(out, d.RepoTags...)
	}
	return out
}

func TestWriteArchive(t *testing.T) {
	dir := t.TempDir()
	rnd, oci := randomImage(t, 3), smallImage(t, 3, "")
	tests := []struct {
		ref      string
		img      v1.Image
		opts     []Option
		tags     []string
		sameDgst bool
		wantErr  string
	}{
		{ref: "docker-archive:" + dir + "/a.tar", img: rnd, opts: []Option{WithTag("app:slim")}, tags: []string{"app:slim"}, sameDgst: true},
		{ref: "docker-archive:" + dir + "/b.tar:app:v2", img: oci, tags: []string{"app:v2"}},
		{ref: dir + "/c.tar", img: rnd, sameDgst: true},
		{ref: "docker-archive:" + dir + "/d.tar:app:x", img: rnd, opts: []Option{WithTag("app:y")}, wantErr: "tag option says"},
		{ref: "docker-archive:" + dir + "/e.tar", img: rnd, opts: []Option{WithTag("Bad:Tag")}, wantErr: "parsing tag"},
		{ref: "docker-archive:" + dir, img: rnd, wantErr: "is a directory, not a file"},
		{ref: "docker-archive:" + dir + "/missing/f.tar", img: rnd, wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			err := write(t, tt.ref, tt.img, tt.opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "writing ") {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r, _ := Parse(tt.ref)
			if got := repoTags(t, r.Path()); !slices.Equal(got, tt.tags) {
				t.Errorf("RepoTags %v, want %v", got, tt.tags)
			}
			// ggcr reads what we wrote...
			back, err := tarball.ImageFromPath(r.Path(), nil)
			if err != nil {
				t.Fatal(err)
			}
			// ...and so do we.
			ours, err := openRef(t, r.Path())
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []v1.Image{back, ours} {
				if tt.sameDgst {
					sameImage(t, got, tt.img)
				} else {
					sameLayers(t, got, tt.img)
				}
			}
			fi, err := os.Stat(r.Path())
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o644 {
				t.Errorf("mode %v, want 0644", fi.Mode().Perm())
			}
		})
	}
	noTempFiles(t, dir)

	// An existing archive is replaced only with WithReplace(true).
	p := filepath.Join(dir, "a.tar")
	err := write(t, p, oci)
	var ee *ExistsError
	if !errors.Is(err, ErrExists) || !errors.As(err, &ee) || ee.Path != p || ee.Tag != "" {
		t.Fatalf("writing over %s: %v, want an *ExistsError", p, err)
	}
	if want := "writing docker-archive:" + p + ": " + p + " already exists"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if err := write(t, p, oci, WithReplace(true)); err != nil {
		t.Fatal(err)
	}
	got, err := openRef(t, p)
	if err != nil {
		t.Fatal(err)
	}
	sameLayers(t, got, oci)
	noTempFiles(t, dir)
}

// layoutEntries maps ref.name (or "" for untagged) to digests, from the
// layout's index.json as ggcr reads it.
func layoutEntries(t *testing.T, dir string) map[string][]v1.Hash {
	t.Helper()
	ix, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ix.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]v1.Hash{}
	for _, d := range im.Manifests {
		n := d.Annotations[annotationRefName]
		out[n] = append(out[n], d.Digest)
	}
	return out
}

func TestWriteLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	a, b, c := smallImage(t, 2, ""), randomImage(t, 2), smallImage(t, 3, "")
	// b has Docker media types: the layout holds its OCI form (TestAsOCI).
	b, err := asOCI(b)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		ref     string
		img     v1.Image
		opts    []Option
		want    map[string][]v1.Hash
		wantErr error
	}{
		{ref: "oci:" + dir + ":v1", img: a, want: map[string][]v1.Hash{"v1": {mustDigest(t, a)}}},
		// A new tag is added beside the others.
		{ref: "oci:" + dir, img: b, opts: []Option{WithTag("v2")}, want: map[string][]v1.Hash{"v1": {mustDigest(t, a)}, "v2": {mustDigest(t, b)}}},
		// The same tag again is refused, unless replacing: then the entry
		// is replaced and the others stay.
		{ref: "oci:" + dir + ":v1", img: c, wantErr: &ExistsError{Path: dir, Tag: "v1"}},
		{ref: "oci:" + dir, img: c, opts: []Option{WithTag("v1")}, wantErr: &ExistsError{Path: dir, Tag: "v1"}},
		{ref: "oci:" + dir + ":v1", img: c, opts: []Option{WithReplace(true)}, want: map[string][]v1.Hash{"v1": {mustDigest(t, c)}, "v2": {mustDigest(t, b)}}},
		// No tag names the whole layout: refused, or replaced by a layout
		// holding the image alone.
		{ref: dir, img: a, wantErr: &ExistsError{Path: dir}},
		{ref: dir, img: a, opts: []Option{WithReplace(true)}, want: map[string][]v1.Hash{"": {mustDigest(t, a)}}},
		{ref: "oci:" + dir + ":v3", img: c, want: map[string][]v1.Hash{"": {mustDigest(t, a)}, "v3": {mustDigest(t, c)}}},
	}
	for i, st := range steps {
		r, err := Parse(st.ref)
		if err != nil {
			t.Fatal(err)
		}
		checked := r.CheckWrite(context.Background(), st.opts...)
		err = write(t, st.ref, st.img, st.opts...)
		if st.wantErr != nil {
			var ee *ExistsError
			if !errors.Is(err, ErrExists) || !errors.As(err, &ee) || *ee != *st.wantErr.(*ExistsError) {
				t.Fatalf("step %d: %v, want %v", i, err, st.wantErr)
			}
			if checked == nil || checked.Error() != err.Error() {
				t.Errorf("step %d: CheckWrite said %v, Write %v", i, checked, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if checked != nil {
			t.Errorf("step %d: CheckWrite refused (%v) what Write did", i, checked)
		}
		got := layoutEntries(t, dir)
		if len(got) != len(st.want) {
			t.Errorf("step %d: entries %v, want %v", i, got, st.want)
		}
		for k, v := range st.want {
			if !slices.Equal(got[k], v) {
				t.Errorf("step %d: %q -> %v, want %v", i, k, got[k], v)
			}
		}
	}
	for tag, want := range map[string]v1.Image{"v3": c} {
		got, err := openRef(t, "oci:"+dir+":"+tag)
		if err != nil {
			t.Fatal(err)
		}
		sameImage(t, got, want)
	}
	noTempFiles(t, dir)

	// An empty directory becomes a layout; anything else is refused.
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := write(t, "oci:"+empty, a); err != nil {
		t.Fatal(err)
	}
	busy := t.TempDir()
	if err := os.WriteFile(filepath.Join(busy, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write(t, "oci:"+busy, a); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("non-layout directory: %v", err)
	}
	if err := write(t, "oci:"+filepath.Join(busy, "notes.txt"), a); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as layout: %v", err)
	}
	if err := write(t, "oci:"+dir+":v1", a, WithTag("v9")); err == nil {
		t.Error("conflicting tags accepted")
	}
}

func TestWriteRegistry(t *testing.T) {
	host := newRegistry(t)
	img := smallImage(t, 2, "")
	if err := write(t, "docker://"+host+"/app:out", img, WithInsecure(true)); err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(mustRef(t, host+"/app:out"))
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, img)
	ours, err := openRef(t, host+"/app:out", WithInsecure(true))
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, ours, img)
}

// cancellingLayer cancels a context once its content starts being read.
type cancellingLayer struct {
	v1.Layer
	cancel context.CancelFunc
}

func (l cancellingLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	return cancelOnRead{ReadCloser: rc, cancel: l.cancel}, nil
}

type cancelOnRead struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnRead) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.cancel()
	return n, err
}

func TestWriteAtomic(t *testing.T) {
	base := randomImage(t, 2)
	big := layerOf(t, "big", strings.Repeat("x", 1<<20))
	fail := errors.New("disk full")

	// "oci" replaces the whole layout, "oci-tag" the entry of one tag.
	for _, kind := range []string{"docker-archive", "oci-archive", "oci", "oci-tag"} {
		for _, how := range []string{"cancel", "rename", "cancel-new"} {
			t.Run(kind+"/"+how, func(t *testing.T) {
				dir := t.TempDir()
				target := filepath.Join(dir, "out")
				ref := kind + ":" + target
				if kind == "oci-tag" {
					ref = "oci:" + target + ":v1"
				}
				var before []byte
				if how != "cancel-new" {
					// An existing target must survive a failed write.
					if err := write(t, ref, base); err != nil {
						t.Fatal(err)
					}
				}
				snapshot := func() []byte {
					p := target
					if strings.HasPrefix(kind, "oci") && kind != "oci-archive" {
						p = filepath.Join(target, "index.json")
					}
					b, err := os.ReadFile(p)
					if err != nil {
						if errors.Is(err, os.ErrNotExist) {
							return nil
						}
						t.Fatal(err)
					}
					return b
				}
				before = snapshot()

				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				img, err := mutate.AppendLayers(base, cancellingLayer{Layer: big, cancel: cancel})
				if err != nil {
					t.Fatal(err)
				}
				r, err := Parse(ref)
				if err != nil {
					t.Fatal(err)
				}
				opts := []Option{WithReplace(true)}
				wantErr := context.Canceled
				if how == "rename" {
					ctx = context.Background()
					img, err = mutate.AppendLayers(base, big)
					if err != nil {
						t.Fatal(err)
					}
					opts = append(opts, withBeforeRename(func(string) error { return fail }))
					wantErr = fail
				}
				err = r.Write(ctx, img, opts...)
				if !errors.Is(err, wantErr) {
					t.Fatalf("error %v, want %v", err, wantErr)
				}
				if after := snapshot(); !bytes.Equal(after, before) {
					t.Errorf("target changed by a failed write")
				}
				if how == "cancel-new" {
					if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("failed write left %s behind (%v)", target, err)
					}
				}
				noTempFiles(t, dir)
				if (kind == "oci" || kind == "oci-tag") && how != "cancel-new" {
					noTempFiles(t, target)
					// Blobs present are whole: named by their digest, and
					// layout's own temporary blob files are gone.
					ents, err := os.ReadDir(filepath.Join(target, "blobs", "sha256"))
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range ents {
						if len(e.Name()) != 64 {
							t.Errorf("stray blob file %s", e.Name())
						}
					}
					// The layout still opens to the old image.
					got, err := openRef(t, ref)
					if err != nil {
						t.Fatal(err)
					}
					sameLayers(t, got, base)
				}
			})
		}
	}
}

func TestWriteErrors(t *testing.T) {
	r, err := Parse("oci:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(context.Background(), nil); err == nil {
		t.Error("nil image written")
	}
	if err := (Ref{}).Write(context.Background(), empty.Image); err == nil {
		t.Error("zero Ref written")
	}
	if err := r.Write(context.Background(), empty.Image, WithPlatform("bad")); err == nil {
		t.Error("bad option accepted")
	}
}

func TestAsOCI(t *testing.T) {
	docker := randomImage(t, 3)
	if mt, _ := docker.MediaType(); mt != types.DockerManifestSchema2 {
		t.Fatalf("random.Image is %s, want a Docker manifest for this test", mt)
	}
	img, err := asOCI(docker)
	if err != nil {
		t.Fatal(err)
	}
	// Same config and layer blobs, in the same order.
	sameLayers(t, img, docker)
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	mts := []types.MediaType{m.MediaType, m.Config.MediaType}
	for _, l := range m.Layers {
		mts = append(mts, l.MediaType)
	}
	want := []types.MediaType{types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer, types.OCILayer, types.OCILayer}
	if !slices.Equal(mts, want) {
		t.Errorf("media types %v, want %v", mts, want)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if mt, _ := l.MediaType(); mt != types.OCILayer {
			t.Errorf("layer media type %s, want %s", mt, types.OCILayer)
		}
	}
	// The digest is that of the new manifest bytes.
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if d := mustDigest(t, img); d != h {
		t.Errorf("digest %s, manifest hashes to %s", d, h)
	}
	// OCI images pass through unchanged.
	oci := smallImage(t, 1, "")
	same, err := asOCI(oci)
	if err != nil {
		t.Fatal(err)
	}
	if same != oci {
		t.Error("an OCI image was rewritten")
	}
}

package imageref

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func openRef(t *testing.T, s string, opts ...Option) (v1.Image, error) {
	t.Helper()
	r, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r.Image(context.Background(), opts...)
}

// sameImage checks got against want: the image digest, the config and the
// layer digests in order, and ggcr's validator.
func sameImage(t *testing.T, got, want v1.Image) {
	t.Helper()
	if g, w := mustDigest(t, got), mustDigest(t, want); g != w {
		t.Errorf("image digest %s, want %s", g, w)
	}
	sameLayers(t, got, want)
}

func sameLayers(t *testing.T, got, want v1.Image) {
	t.Helper()
	gc, err := got.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	wc, err := want.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if gc != wc {
		t.Errorf("config %s, want %s", gc, wc)
	}
	if g, w := layerDigests(t, got), layerDigests(t, want); !slices.Equal(g, w) {
		t.Errorf("layers %v, want %v", g, w)
	}
	if err := validate.Image(got); err != nil {
		t.Errorf("validate: %v", err)
	}
}

func TestArchiveFromTarball(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		img  v1.Image
		// tarball keeps docker media types; an OCI image comes back with
		// the same blobs under a docker manifest.
		sameDigest bool
	}{
		{"random", randomImage(t, 3), true},
		{"oci", smallImage(t, 3, ""), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name+".tar")
			if err := tarball.WriteToFile(p, name.MustParseReference("app:v1"), tt.img); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{p, "docker-archive:" + p, "docker-archive:" + p + ":app:v1", "docker-archive:" + p + ":index.docker.io/library/app:v1"} {
				got, err := openRef(t, s)
				if err != nil {
					t.Fatalf("%s: %v", s, err)
				}
				if tt.sameDigest {
					sameImage(t, got, tt.img)
				} else {
					sameLayers(t, got, tt.img)
				}
			}
			_, err := openRef(t, "docker-archive:"+p+":app:v2")
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "available: app:v1") {
				t.Errorf("missing tag: %v", err)
			}
		})
	}
}

func TestArchiveSeveralImages(t *testing.T) {
	p := filepath.Join(t.TempDir(), "multi.tar")
	a, b := randomImage(t, 1), randomImage(t, 2)
	err := tarball.MultiWriteToFile(p, map[name.Tag]v1.Image{
		name.MustParseReference("app:a").(name.Tag): a,
		name.MustParseReference("app:b").(name.Tag): b,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := openRef(t, "docker-archive:"+p+":app:b")
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, b)
	_, err = openRef(t, p)
	var ae *AmbiguousError
	if !errors.As(err, &ae) || !slices.Equal(sorted(ae.Images), []string{"app:a", "app:b"}) {
		t.Fatalf("no tag: %v", err)
	}
	if want := "opening docker-archive:" + p + ": 2 images, name one of: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// tarEntry is a member of a hand-made archive; link makes it a hard link;
// pax adds a long PAX record (an extended header spanning several blocks).
type tarEntry struct {
	name, data, link string
	pax, symlink     bool
}

func writeTar(t *testing.T, p string, entries []tarEntry) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		if e.link != "" {
			hdr = &tar.Header{Name: e.name, Linkname: e.link, Typeflag: tar.TypeLink}
			if e.symlink {
				hdr.Typeflag = tar.TypeSymlink
			}
		}
		if e.pax {
			hdr.Format = tar.FormatPAX
			hdr.PAXRecords = map[string]string{"comment": strings.Repeat("whittle ", 200)}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// blobEntries lists an image's blobs as archive members: the layers in
// REVERSE manifest order, so that an archive read in tar order would give
// the layers wrong.
func blobEntries(t *testing.T, img v1.Image, prefix string) []tarEntry {
	t.Helper()
	var out []tarEntry
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(ls) - 1; i >= 0; i-- {
		rc, err := ls[i].Compressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{name: prefix + blobName(mustDigest(t, ls[i])), data: string(b)})
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cn, _ := img.ConfigName()
	man, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	return append(out,
		tarEntry{name: prefix + blobName(cn), data: string(cfg)},
		tarEntry{name: prefix + blobName(mustDigest(t, img)), data: string(man)})
}

func indexJSON(t *testing.T, descs ...v1.Descriptor) string {
	t.Helper()
	b, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: descs})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func descOf(t *testing.T, img v1.Image, refName string) v1.Descriptor {
	t.Helper()
	mt, err := img.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	size, err := img.Size()
	if err != nil {
		t.Fatal(err)
	}
	d := v1.Descriptor{MediaType: mt, Size: size, Digest: mustDigest(t, img)}
	if refName != "" {
		d.Annotations = map[string]string{annotationRefName: refName}
	}
	return d
}

func TestOCIArchive(t *testing.T) {
	dir := t.TempDir()
	img := smallImage(t, 4, "")
	other := smallImage(t, 2, "linux/arm64")
	man, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var manifestOrder []v1.Hash
	for _, l := range man.Layers {
		manifestOrder = append(manifestOrder, l.Digest)
	}

	t.Run("hand-made, layers stored in reverse", func(t *testing.T) {
		for _, prefix := range []string{"", "./"} {
			p := filepath.Join(dir, "hand"+strings.TrimSuffix(prefix, "/")+".tar")
			entries := append([]tarEntry{
				{name: prefix + "oci-layout", data: `{"imageLayoutVersion":"1.0.0"}`},
				{name: prefix + "index.json", data: indexJSON(t, descOf(t, img, "v1"), descOf(t, other, "v2"))},
			}, blobEntries(t, img, prefix)...)
			entries = append(entries, blobEntries(t, other, prefix)...)
			writeTar(t, p, entries)
			got, err := openRef(t, "docker-archive:"+p+":v1")
			if err != nil {
				t.Fatal(err)
			}
			sameImage(t, got, img)
			if g := layerDigests(t, got); !slices.Equal(g, manifestOrder) {
				t.Errorf("layer order %v, want the manifest's %v", g, manifestOrder)
			}
			got, err = openRef(t, "docker-archive:"+p+":v2")
			if err != nil {
				t.Fatal(err)
			}
			sameImage(t, got, other)
			_, err = openRef(t, p)
			var ae *AmbiguousError
			if !errors.As(err, &ae) || !slices.Equal(ae.Images, []string{"v1", "v2"}) {
				t.Errorf("untagged open of two images: %v", err)
			}
		}
	})

	t.Run("tar of a layout written by ggcr", func(t *testing.T) {
		ld := filepath.Join(dir, "layout")
		if _, err := layout.Write(ld, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "layout.tar")
		tarDir(t, ld, p, "./")
		got, err := openRef(t, p)
		if err != nil {
			t.Fatal(err)
		}
		sameImage(t, got, img)
	})

	t.Run("hard-linked blob", func(t *testing.T) {
		p := filepath.Join(dir, "linked.tar")
		entries := blobEntries(t, img, "")
		// Store the first layer (last entry of the layers) under another
		// name and hard-link the blob path to it.
		first := entries[len(man.Layers)-1]
		entries[len(man.Layers)-1] = tarEntry{name: "data/first", data: first.data}
		entries = append(entries, tarEntry{name: first.name, link: "data/first"},
			tarEntry{name: "index.json", data: indexJSON(t, descOf(t, img, ""))})
		writeTar(t, p, entries)
		got, err := openRef(t, p)
		if err != nil {
			t.Fatal(err)
		}
		sameImage(t, got, img)
	})

	t.Run("symlinked blobs", func(t *testing.T) {
		p := filepath.Join(dir, "symlinked.tar")
		var entries []tarEntry
		for i, e := range blobEntries(t, img, "") {
			target := fmt.Sprintf("data/%d", i)
			entries = append(entries, tarEntry{name: target, data: e.data},
				tarEntry{name: e.name, link: "../../" + target, symlink: true})
		}
		// A link escaping the root is ignored, not followed.
		entries = append(entries, tarEntry{name: "index.json", data: indexJSON(t, descOf(t, img, ""))},
			tarEntry{name: "escape", link: "../../etc/passwd", symlink: true})
		writeTar(t, p, entries)
		got, err := openRef(t, p)
		if err != nil {
			t.Fatal(err)
		}
		sameImage(t, got, img)
	})

	t.Run("PAX and GNU long-name headers", func(t *testing.T) {
		p := filepath.Join(dir, "pax.tar")
		entries := []tarEntry{{name: strings.Repeat("long/", 60) + "name", data: "junk"}}
		for _, e := range blobEntries(t, img, "") {
			e.pax = true
			entries = append(entries, e)
		}
		entries = append(entries, tarEntry{name: "index.json", data: indexJSON(t, descOf(t, img, "")), pax: true})
		writeTar(t, p, entries)
		got, err := openRef(t, p)
		if err != nil {
			t.Fatal(err)
		}
		sameImage(t, got, img)
	})

	t.Run("current docker save: layout plus manifest.json", func(t *testing.T) {
		p := filepath.Join(dir, "docker25.tar")
		cn, _ := img.ConfigName()
		var layers []string
		for _, h := range manifestOrder {
			layers = append(layers, blobName(h))
		}
		mj, _ := json.Marshal([]map[string]any{{"Config": blobName(cn), "RepoTags": []string{"app:new"}, "Layers": layers}})
		entries := append(blobEntries(t, img, ""),
			tarEntry{name: "oci-layout", data: `{"imageLayoutVersion":"1.0.0"}`},
			tarEntry{name: "index.json", data: indexJSON(t, descOf(t, img, "app:new"))},
			tarEntry{name: "manifest.json", data: string(mj)})
		writeTar(t, p, entries)
		got, err := openRef(t, p)
		if err != nil {
			t.Fatal(err)
		}
		sameLayers(t, got, img)
	})
}

func TestArchiveErrors(t *testing.T) {
	dir := t.TempDir()
	img := smallImage(t, 1, "")
	good := blobEntries(t, img, "")
	idx := tarEntry{name: "index.json", data: indexJSON(t, descOf(t, img, ""))}

	corrupt := slices.Clone(good)
	corrupt[0].data = strings.Repeat("x", len(corrupt[0].data)) // same size, wrong digest
	short := slices.Clone(good)
	short[0].data = short[0].data[:len(short[0].data)-1]

	var gz bytes.Buffer
	gz.Write([]byte{0x1f, 0x8b, 8, 0})

	tests := []struct {
		name    string
		entries []tarEntry
		raw     []byte
		open    string // error from Image ("" when Image succeeds)
		read    string // error from reading the first layer
	}{
		{name: "rootfs tar", entries: []tarEntry{{name: "README.md", data: "hi"}}, open: "no manifest.json or index.json"},
		{name: "escaping entry", entries: append(slices.Clone(good), idx, tarEntry{name: "../evil", data: "x"}), open: "escapes the archive root"},
		{name: "absolute entry", entries: append(slices.Clone(good), idx, tarEntry{name: "/etc/passwd", data: "x"}), open: "escapes the archive root"},
		{name: "missing manifest blob", entries: []tarEntry{idx}, open: "not in archive"},
		{name: "corrupt layer", entries: append(corrupt, idx), read: "content has digest"},
		{name: "short layer", entries: append(short, idx), read: "descriptor says"},
		{name: "gzip", raw: gz.Bytes(), open: "gzip-compressed"},
		{name: "empty index", entries: []tarEntry{{name: "index.json", data: indexJSON(t)}}, open: "lists no images"},
		{name: "bad index", entries: []tarEntry{{name: "index.json", data: "{"}}, open: "reading index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".tar")
			if tt.raw != nil {
				if err := os.WriteFile(p, tt.raw, 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				writeTar(t, p, tt.entries)
			}
			got, err := openRef(t, p)
			if tt.open != "" {
				if err == nil || !strings.Contains(err.Error(), tt.open) {
					t.Fatalf("error %v, want %q", err, tt.open)
				}
				if !strings.HasPrefix(err.Error(), "opening docker-archive:"+p+": ") {
					t.Errorf("error %q does not name the reference", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ls, err := got.Layers()
			if err != nil {
				t.Fatal(err)
			}
			rc, err := ls[0].Compressed()
			if err == nil {
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.read) {
				t.Errorf("reading layer: %v, want %q", err, tt.read)
			}
		})
	}

	_, err := openRef(t, "docker-archive:"+filepath.Join(dir, "missing.tar"))
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	_, err = openRef(t, "docker-archive:"+dir)
	if err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	_, err = openRef(t, "oci:"+filepath.Join(dir, "rootfs-tar.tar"))
	if err == nil || !strings.Contains(err.Error(), "use docker-archive:") {
		t.Errorf("a file as a layout: %v", err)
	}
	_, err = openRef(t, "oci:"+filepath.Join(dir, "nolayout"))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("missing layout: %v", err)
	}
}

func TestLayoutSource(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	a, b, c := smallImage(t, 2, ""), randomImage(t, 3), smallImage(t, 1, "linux/arm64")
	ix := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: a, Descriptor: v1.Descriptor{Annotations: map[string]string{annotationRefName: "v1"}}},
		mutate.IndexAddendum{Add: b, Descriptor: v1.Descriptor{Annotations: map[string]string{annotationRefName: "v2"}}},
		mutate.IndexAddendum{Add: c, Descriptor: v1.Descriptor{Annotations: map[string]string{annotationContainerdRef: "docker.io/library/app:1"}}},
	)
	if _, err := layout.Write(dir, ix); err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[string]v1.Image{"v1": a, "v2": b, "docker.io/library/app:1": c, "app:1": c} {
		got, err := openRef(t, "oci:"+dir+":"+tag)
		if err != nil {
			t.Fatalf("tag %s: %v", tag, err)
		}
		sameImage(t, got, want)
	}
	_, err := openRef(t, "oci:"+dir+":v3")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing tag: %v", err)
	}
	if want := "opening oci:" + dir + ":v3: image not found: no image tagged \"v3\" (available: docker.io/library/app:1, v1, v2)"; err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
	_, err = openRef(t, dir)
	var ae *AmbiguousError
	if !errors.As(err, &ae) || len(ae.Images) != 3 {
		t.Errorf("no tag: %v", err)
	}
}

// platformIndex is an index of one image per platform, plus an attestation
// manifest, as buildx makes them.
func platformIndex(t *testing.T, platforms ...string) (v1.ImageIndex, map[string]v1.Image) {
	t.Helper()
	imgs := map[string]v1.Image{}
	ix := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, ps := range platforms {
		img := smallImage(t, 2, ps)
		p, _ := parsePlatform(ps)
		imgs[ps] = img
		ix = mutate.AppendManifests(ix, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	att := smallImage(t, 1, "")
	ix = mutate.AppendManifests(ix, mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
		Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
		Annotations: map[string]string{annotationDockerRefType: "attestation-manifest"},
	}})
	return ix, imgs
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestPlatformSelection(t *testing.T) {
	platforms := []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6"}
	ix, imgs := platformIndex(t, platforms...)
	dir := t.TempDir()

	ld := filepath.Join(dir, "layout")
	if _, err := layout.Write(ld, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: ix,
		Descriptor: v1.Descriptor{Annotations: map[string]string{annotationRefName: "latest"}}})); err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(dir, "multi.tar")
	tarDir(t, ld, tarPath, "")
	// A layout listing the platform images at top level, untagged.
	flat := filepath.Join(dir, "flat")
	if _, err := layout.Write(flat, ix); err != nil {
		t.Fatal(err)
	}
	host := newRegistry(t)
	if err := remote.WriteIndex(mustRef(t, host+"/multi:latest"), ix); err != nil {
		t.Fatal(err)
	}
	sources := []string{"oci:" + ld, "oci:" + ld + ":latest", "docker-archive:" + tarPath, "oci:" + flat, host + "/multi:latest"}

	hostWant := "linux/" + runtime.GOARCH
	tests := []struct {
		platform string
		want     string // key of imgs; "" means a *PlatformError
	}{
		{"linux/arm64", "linux/arm64"},
		{"linux/arm64/v8", "linux/arm64"},
		{"linux/amd64", "linux/amd64"},
		{"linux/arm/v6", "linux/arm/v6"},
		{"linux/arm", "linux/arm/v7"}, // first match in index order
		{"linux/s390x", ""},
		{"windows/amd64", ""},
		{"", map[bool]string{true: hostWant}[imgs[hostWant] != nil]},
	}
	for _, src := range sources {
		for _, tt := range tests {
			t.Run(src+"@"+tt.platform, func(t *testing.T) {
				got, err := openRef(t, src, WithPlatform(tt.platform), WithInsecure(true))
				if tt.want == "" {
					var pe *PlatformError
					if !errors.As(err, &pe) {
						t.Fatalf("error %v, want a *PlatformError", err)
					}
					want := fmt.Sprintf("no image for platform %s (available: linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6)", pe.Want)
					if !strings.HasSuffix(err.Error(), want) {
						t.Errorf("error\n%s\ndoes not end with\n%s", err, want)
					}
					if !slices.Equal(pe.Available, platforms) {
						t.Errorf("available %v, want %v", pe.Available, platforms)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				sameImage(t, got, imgs[tt.want])
			})
		}
	}
}

func TestPlatformFromConfig(t *testing.T) {
	// A single image whose index entry has no platform: the default takes
	// it; an explicit platform is checked against its config.
	dir := filepath.Join(t.TempDir(), "layout")
	img := smallImage(t, 1, "linux/riscv64")
	if _, err := layout.Write(dir, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		platform string
		ok       bool
	}{{"", true}, {"linux/riscv64", true}, {"linux/amd64", false}} {
		got, err := openRef(t, "oci:"+dir, WithPlatform(tt.platform))
		if !tt.ok {
			var pe *PlatformError
			if !errors.As(err, &pe) || !slices.Equal(pe.Available, []string{"linux/riscv64"}) {
				t.Errorf("%s: error %v, want a *PlatformError listing linux/riscv64", tt.platform, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.platform, err)
		}
		sameImage(t, got, img)
	}
}

func TestOptionErrors(t *testing.T) {
	r, err := Parse("oci:x")
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Option{WithPlatform("linux"), WithPlatform("a/b/c/d"), WithPlatform("linux//v7"), WithKeychain(nil), WithDaemonClient(nil), WithTag("a b")} {
		if _, err := r.Image(context.Background(), opt); err == nil || !strings.HasPrefix(err.Error(), "opening oci:x: ") {
			t.Errorf("bad option accepted: %v", err)
		}
	}
	if _, err := (Ref{}).Image(context.Background()); err == nil {
		t.Error("zero Ref opened")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Image(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestLayoutIgnoresTopLevelAttestation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	img, att := smallImage(t, 2, ""), smallImage(t, 1, "")
	ix := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Annotations: map[string]string{annotationRefName: "v1"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Annotations: map[string]string{annotationDockerRefType: "attestation-manifest"}}},
	)
	if _, err := layout.Write(dir, ix); err != nil {
		t.Fatal(err)
	}
	got, err := openRef(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, img)
}

package imageref

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/fstree"
	"github.com/whittle/whittle/pkg/layer"
)

// FuzzParse checks that Parse and ParseDestination never panic and that
// whatever they accept prints to a form both parse back to the same
// reference.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"docker-archive:x.tar", "docker-archive:out.tar:app:v1", "oci:dir", "oci:dir:v1",
		"oci:dir:docker.io/library/alpine:3", "docker-daemon:alpine:3", "docker://ghcr.io/a/b:c",
		"alpine", "localhost:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"new.tar", "./x", "", ":", "docker://", "oci-archive:x", "docker-archive::", "oci::",
		"oci-archive:x.tar:v1", "-", "newimage", "localhost/app", "127.0.0.1:5000/app", "team/app:v2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) (Ref, error){Parse, ParseDestination} {
			r, err := parse(s)
			if err != nil {
				continue
			}
			for _, reparse := range []func(string) (Ref, error){Parse, ParseDestination} {
				again, err := reparse(r.String())
				if err != nil {
					t.Fatalf("%q gave %q, which does not parse: %v", s, r.String(), err)
				}
				if again.String() != r.String() || again.Kind() != r.Kind() || again.Tag() != r.Tag() || again.Path() != r.Path() {
					t.Fatalf("%q = %q, reparsed as %q", s, r.String(), again.String())
				}
			}
			if !r.Same(r) && !r.isFile() {
				t.Fatalf("%q is not the same as itself", r.String())
			}
		}
	})
}

// FuzzArchive opens arbitrary bytes as an archive: errors are fine, panics
// are not, and an image that opens must read through or fail cleanly.
func FuzzArchive(f *testing.F) {
	dir := f.TempDir()
	img, err := random.Image(64, 2)
	if err != nil {
		f.Fatal(err)
	}
	// Seeds: a docker save archive and an OCI layout in a tar.
	p := filepath.Join(dir, "seed.tar")
	if err := tarball.WriteToFile(p, name.MustParseReference("app:v1"), img); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	ld := filepath.Join(dir, "layout")
	if _, err := layout.Write(ld, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = filepath.WalkDir(ld, func(q string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(q)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(ld, q)
		_ = tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		_, err = tw.Write(data)
		return err
	})
	_ = tw.Close()
	f.Add(buf.Bytes())
	// A docker save archive of plain layers, and one whose config lists
	// fewer diff_ids than it has layers (issue 11).
	plain := filepath.Join(dir, "plain.tar")
	writeLegacySave(f, plain, img)
	if b, err := os.ReadFile(plain); err == nil {
		f.Add(b)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		f.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs = cf.RootFS.DiffIDs[:1]
	if short, err := mutate.ConfigFile(img, cf); err == nil {
		p := filepath.Join(dir, "short.tar")
		writeLegacySave(f, p, short)
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "in.tar")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		readRef(t, "docker-archive:"+p)
	})
}

// readRef opens ref and reads its image as analyze does (readImage):
// errors are refusals, which fuzzing allows.
func readRef(t *testing.T, ref string) {
	r, err := Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := r.Image(context.Background())
	if err != nil {
		return
	}
	_ = readImage(img)
}

// fuzzLimits keep one run of a fuzz target small whatever its input
// declares.
var fuzzLimits = layer.Limits{MaxRatio: 2000, RatioFloor: 1 << 20, MaxBytes: 8 << 20, MaxEntryBytes: 4 << 20}

// readImage reads img as analyze does: its layers with their config
// (layer.Layers), every entry through layer.Walk (content read), every
// layer merged bottom-up through fstree (hard links checked). An error is
// a refusal; a panic or a hang is a bug.
func readImage(img v1.Image) error {
	ls, cfg, err := layer.Layers(img)
	if err != nil {
		return err
	}
	tree := fstree.New()
	for i, l := range ls {
		var recs []fstree.Record
		err := layer.Walk(context.Background(), l, func(e *layer.Entry) error {
			recs = append(recs, fstree.RecordOf(e))
			if e.Sparse() {
				return nil
			}
			_, err := io.Copy(io.Discard, e.Reader)
			return err
		}, layer.WithDiffID(cfg.RootFS.DiffIDs[i]), layer.WithLimits(fuzzLimits))
		if err != nil {
			return err
		}
		if _, err := tree.Apply(i, recs); err != nil {
			return err
		}
	}
	return nil
}

// Placeholders of FuzzOCILayout's templates, replaced by the digest and
// size of the blob they name, so that a mutated manifest or index still
// points at the blobs written.
const (
	phConfig, phConfigSize     = "@CONFIG@", "@CONFIGSIZE@"
	phLayer, phLayerSize       = "@LAYER@", "@LAYERSIZE@"
	phManifest, phManifestSize = "@MANIFEST@", "@MANIFESTSIZE@"
)

// FuzzOCILayout reads an OCI image layout made of an index, a manifest, a
// config and one layer blob, each as the fuzzer gives it (the index and
// manifest name the other blobs through placeholders): errors are fine,
// panics and hangs are not.
func FuzzOCILayout(f *testing.F) {
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + phManifest + `","size":` + phManifestSize + `,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}`
	manifest := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + phConfig + `","size":` + phConfigSize + `},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"` + phLayer + `","size":` + phLayerSize + `}]}`
	config := func(diffIDs ...string) string {
		return `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + strings.Join(diffIDs, `","`) + `"]},"config":{}}`
	}
	add := func(entries []synth.Entry, cfg func(diffID string) string) {
		raw, err := synth.TarBytes(entries)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(index), []byte(manifest), []byte(cfg(synth.Digest(raw).String())), raw)
	}
	one := func(d string) string { return config(d) }
	add([]synth.Entry{synth.Dir("etc"), synth.File("etc/a", "a"), synth.Hardlink("etc/b", "etc/a"), synth.Symlink("s", "etc")}, one)
	// Hostile seeds (issue 11): the entries no reader accepts, a config
	// with more diff_ids than layers, and one with none.
	for _, es := range [][]synth.Entry{
		{synth.Hardlink("l", "missing")}, {synth.File("a", "a"), synth.Hardlink("a", "a")},
		{synth.Dir("d"), synth.Hardlink("l", "d")},
		{{Kind: synth.KindFile, Path: "d/.wh.."}}, {{Kind: synth.KindFile, Path: "d/.wh..."}},
		{synth.Dir(".wh.d"), synth.File(".wh.d/x", "x")}, {synth.File("../escape", "x")},
	} {
		add(es, one)
	}
	add([]synth.Entry{synth.File("a", "a")}, func(d string) string { return config(d, d) })
	add([]synth.Entry{synth.File("a", "a")}, func(string) string { return `{"rootfs":{"type":"layers","diff_ids":[]}}` })
	f.Add([]byte(index), []byte(manifest), []byte(config(synth.Digest(nil).String())), synth.SparseTar("huge", 2<<40))

	f.Fuzz(func(t *testing.T, index, manifest, config, blob []byte) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
			t.Fatal(err)
		}
		put := func(b []byte) (string, string) {
			d := synth.Digest(b)
			if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", d.Hex), b, 0o644); err != nil {
				t.Fatal(err)
			}
			return d.String(), strconv.Itoa(len(b))
		}
		cd, cs := put(config)
		ld, ls := put(blob)
		m := strings.NewReplacer(phConfigSize, cs, phConfig, cd, phLayerSize, ls, phLayer, ld).Replace(string(manifest))
		md, ms := put([]byte(m))
		idx := strings.NewReplacer(phManifestSize, ms, phManifest, md).Replace(string(index))
		if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(idx), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		readRef(t, "oci:"+dir)
	})
}

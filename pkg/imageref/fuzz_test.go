package imageref

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

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
		r, err := Parse("docker-archive:" + p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := r.Image(context.Background())
		if err != nil {
			return
		}
		ls, _, err := layer.Layers(img)
		if err != nil {
			return
		}
		for _, l := range ls {
			rc, err := l.Compressed()
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, rc)
			rc.Close()
		}
	})
}

package imageref

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// diveFixtures holds dive's test images (its README.md says where the
// numbers below come from).
const diveFixtures = "../../testdata/compat/dive"

// layerSizes sums the tar header sizes of each layer, in layer order: the
// "sizeBytes" of dive's export.
func layerSizes(t *testing.T, img v1.Image) []int64 {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			sum += hdr.Size
		}
		rc.Close()
		out = append(out, sum)
	}
	return out
}

// checkBlobs hashes every layer, compressed and uncompressed, against its
// digest and the config's diff_id (validate.Image assumes gzip layers, and
// these fixtures also hold zstd and uncompressed ones).
func checkBlobs(t *testing.T, img v1.Image) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.RootFS.DiffIDs) != len(ls) {
		t.Fatalf("%d diff_ids for %d layers", len(cf.RootFS.DiffIDs), len(ls))
	}
	for i, l := range ls {
		for _, c := range []struct {
			open func() (io.ReadCloser, error)
			want v1.Hash
		}{{l.Compressed, mustDigest(t, l)}, {l.Uncompressed, cf.RootFS.DiffIDs[i]}} {
			rc, err := c.open()
			if err != nil {
				t.Fatal(err)
			}
			h, _, err := v1.SHA256(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if h != c.want {
				t.Errorf("layer %d: content hashes to %s, want %s", i, h, c.want)
			}
		}
	}
}

func TestDiveFixtures(t *testing.T) {
	tests := []struct {
		file  string
		sizes []int64 // per layer, in order, when dive asserts them
		total int64
		count int
	}{
		{file: "test-oci-gzip-image.tar", total: 11189, count: 1},
		{file: "test-oci-zstd-image.tar", total: 11189, count: 1},
		{file: "test-oci-uncompressed-image.tar", total: 11189, count: 1},
		// dive's export_test.snap lists these per-layer sizes.
		{file: "test-docker-image.tar", total: 1220598, count: 14,
			sizes: []int64{1154361, 6405, 0, 6405, 6405, 6405, 6405, 6405, 6405, 0, 2187, 6405, 6405, 6405}},
		{file: "test-kaniko-image.tar", total: 1326410, count: 14},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ref, err := Parse(filepath.Join(diveFixtures, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if ref.Kind() != Archive {
				t.Fatalf("kind = %v, want docker-archive", ref.Kind())
			}
			img, err := ref.Image(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			sizes := layerSizes(t, img)
			if len(sizes) != tt.count {
				t.Errorf("%d layers, want %d", len(sizes), tt.count)
			}
			var total int64
			for _, s := range sizes {
				total += s
			}
			if total != tt.total {
				t.Errorf("sizeBytes %d, want %d", total, tt.total)
			}
			if tt.sizes != nil && !slices.Equal(sizes, tt.sizes) {
				t.Errorf("per-layer sizes %v, want %v", sizes, tt.sizes)
			}
			checkBlobs(t, img)
		})
	}

	// The plain rootfs tars (buildx --output type=tar) are not images.
	_, err := openRef(t, filepath.Join(diveFixtures, "test-gzip-image.tar"))
	if err == nil {
		t.Error("a rootfs tar opened as an image")
	}
	// The OCI fixtures are arm64 only, the docker ones amd64: asking for
	// another platform says so.
	for file, have := range map[string]string{"test-oci-gzip-image.tar": "linux/arm64", "test-docker-image.tar": "linux/amd64"} {
		want := map[string]string{"linux/arm64": "linux/amd64", "linux/amd64": "linux/arm64"}[have]
		_, err = openRef(t, filepath.Join(diveFixtures, file), WithPlatform(want))
		var pe *PlatformError
		if !errors.As(err, &pe) || !slices.Equal(pe.Available, []string{have}) {
			t.Errorf("%s from %s: %v", want, file, err)
		}
		if _, err := openRef(t, filepath.Join(diveFixtures, file), WithPlatform(have)); err != nil {
			t.Errorf("%s from %s: %v", have, file, err)
		}
	}
}

package squash

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/whittle/whittle/pkg/account"
)

// diveFixtures holds dive's test images (testdata/compat/dive/README.md).
const diveFixtures = "../../testdata/compat/dive"

// TestSquashDiveFixtures squashes dive's test images (busybox base plus 13
// layers of copies, moves and deletes) and checks the result against the
// oracle, analyze's waste and validate.
func TestSquashDiveFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		// wasted is the exact waste of the 13 layers above busybox, by
		// hand from Dockerfile.test-image: somefile1 twice (cp, then chmod
		// rewrites it), somefile2 and somefile3 (rm -rf, mv), saved.txt
		// once (chmod +x rewrites it): five copies of the 6405-byte file.
		wasted int64
	}{
		{"test-docker-image.tar", 5 * 6405},
		{"test-kaniko-image.tar", -1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			img, err := tarball.ImageFromPath(filepath.Join(diveFixtures, tc.file), nil)
			if err != nil {
				t.Fatal(err)
			}
			res := squashOK(t, img)
			if res.Plan.BaseFrom != FromHistory || len(res.Plan.Kept) != 1 || len(res.Plan.Merged) != 13 {
				t.Fatalf("plan: %s, %d kept, %d merged", res.Plan.Reason, len(res.Plan.Kept), len(res.Plan.Merged))
			}
			if err := validate.Image(res.Image); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if want, got := applyImage(t, img).canon(), applyImage(t, res.Image).canon(); got != want {
				t.Errorf("final tree differs\n--- input\n%s--- output\n%s", want, got)
			}
			rep, err := account.Analyze(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			var wasted int64
			for _, l := range rep.Layers[1:] {
				wasted += l.WastedBytes
			}
			if res.WastedBytes != wasted || tc.wasted >= 0 && wasted != tc.wasted {
				t.Errorf("wasted: squash %d, analyze %d, expected %d", res.WastedBytes, wasted, tc.wasted)
			}
			if in, out := sizeBytes(t, img), sizeBytes(t, res.Image); out != in-wasted {
				t.Errorf("size_bytes(out) = %d, want %d - %d", out, in, wasted)
			}
		})
	}
}

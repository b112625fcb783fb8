package synth

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// LyingSize returns l with a manifest size of size (other than its blob's,
// to test that readers check it).
func LyingSize(l v1.Layer, size int64) v1.Layer { return lyingSize{l, size} }

type lyingSize struct {
	v1.Layer
	size int64
}

func (l lyingSize) Size() (int64, error) { return l.size, nil }

// ShortDiffIDs returns img with a config that lists only its n lowest
// layers' diff_ids (fewer than the manifest's layers).
func ShortDiffIDs(img v1.Image, n int) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	if n > len(cf.RootFS.DiffIDs) {
		return nil, fmt.Errorf("the image has %d diff_ids, not %d", len(cf.RootFS.DiffIDs), n)
	}
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs = cf.RootFS.DiffIDs[:n]
	return mutate.ConfigFile(img, cf)
}

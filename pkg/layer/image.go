package layer

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// CountError reports an image whose config lists another number of layers
// (rootfs.diff_ids) than its manifest: reading it would drop layers or
// leave some without the diff_id that checks them.
type CountError struct {
	DiffIDs, Layers int
}

func (e *CountError) Error() string {
	return fmt.Sprintf("the config lists %d layers (rootfs.diff_ids), the manifest %d", e.DiffIDs, e.Layers)
}

// Layers returns the layers of img, base first, with its config, whose
// rootfs.diff_ids it checks to be as many as the layers (a *CountError
// otherwise): every reader of an image starts here, so that none reads an
// image another refuses. Pass each layer's diff_id to Walk with
// WithDiffID(cfg.RootFS.DiffIDs[i]).
func Layers(img v1.Image) ([]v1.Layer, *v1.ConfigFile, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, nil, fmt.Errorf("reading image config: %w", err)
	}
	if cfg == nil {
		return nil, nil, fmt.Errorf("reading image config: the image has none")
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, nil, fmt.Errorf("listing layers: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return nil, nil, &CountError{DiffIDs: len(cfg.RootFS.DiffIDs), Layers: len(layers)}
	}
	return layers, cfg, nil
}

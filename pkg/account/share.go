package account

import (
	"context"
	"errors"
	"fmt"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/layer"
)

// LayerShare lets the analyses of several images read each layer they
// hold in common once: the first analysis to need such a layer reads it,
// and the others merge the same records into their own trees. A layer is
// held in common when its diff_id and its blob digest are the same (the
// same content stored as the same blob), wherever it sits in each image;
// a layer that one image holds twice is read once too.
//
// The records of a layer read for several analyses stay in memory until
// the last of them has taken them, so memory is still bounded by the
// number of paths (never by bytes). When the analysis that reads a layer
// fails, the others read it again on their own, so that each reports its
// own error. Every analysis sharing layers must be configured alike
// (WithDuplicates, WithCapture and its limits, WithBlobDigests,
// WithVisiblePaths); Analyze refuses one that is not.
type LayerShare struct {
	mu    sync.Mutex
	uses  map[shareKey]int // analyses still to take each layer
	scans map[shareKey]*sharedScan
	spec  string // how the first analysis reads layers
}

type shareKey struct{ diffID, digest v1.Hash }

// sharedScan is one layer read for several analyses.
type sharedScan struct {
	done chan struct{}
	s    layerScan
	err  error
}

// NewLayerShare returns a share with no image; Add each image to it
// before the first Analyze that uses it starts.
func NewLayerShare() *LayerShare {
	return &LayerShare{uses: map[shareKey]int{}, scans: map[shareKey]*sharedScan{}}
}

// Add counts the layers of img, whose Analyze will use the share (with
// WithLayerShare). Layers that only one analysis holds are read as they
// would be without a share.
func (sh *LayerShare) Add(img v1.Image) error {
	keys, err := shareKeys(img)
	if err != nil {
		return err
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, k := range keys {
		sh.uses[k]++
	}
	return nil
}

// WithLayerShare makes Analyze read the layers it holds in common with
// the other images of sh once for them all (see LayerShare).
func WithLayerShare(sh *LayerShare) Option {
	return func(o *options) error {
		if sh == nil {
			return errors.New("nil layer share")
		}
		o.share = sh
		return nil
	}
}

// shareKeys returns the key of each layer of img, bottom first; nil when
// the config does not list a diff_id per layer (Analyze then refuses the
// image, with layer.Layers' *layer.CountError).
func shareKeys(img v1.Image) ([]shareKey, error) {
	layers, cfg, err := layer.Layers(img)
	var ce *layer.CountError
	if errors.As(err, &ce) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	keys := make([]shareKey, len(layers))
	for i, l := range layers {
		if keys[i], err = shareKeyOf(l, cfg.RootFS.DiffIDs[i]); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return keys, nil
}

// shareKeyOf is the key of layer l whose diff_id the config gives. A
// plain tar layer of a docker-save archive is its own blob: its digest is
// its diff_id (asking the layer would compress it to make one up).
func shareKeyOf(l v1.Layer, diffID v1.Hash) (shareKey, error) {
	k := shareKey{diffID: diffID, digest: diffID}
	if !layer.NativelyUncompressed(l) {
		d, err := l.Digest()
		if err != nil {
			return k, fmt.Errorf("reading its digest: %w", err)
		}
		k.digest = d
	}
	return k, nil
}

// configure checks that an analysis reads layers as the ones before it.
func (sh *LayerShare) configure(spec string) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.spec == "" {
		sh.spec = spec
		return nil
	}
	if sh.spec != spec {
		return errors.New("analyses sharing layers must read them alike (the same duplicates, capture, blob digest and visible paths options)")
	}
	return nil
}

// scan returns the layer with key k: read by read when this is the first
// analysis to need it (or the only one), else as another analysis read
// it.
func (sh *LayerShare) scan(ctx context.Context, k shareKey, read func() (layerScan, error)) (layerScan, error) {
	sh.mu.Lock()
	e := sh.scans[k]
	if e == nil && sh.uses[k] < 2 {
		delete(sh.uses, k)
		sh.mu.Unlock()
		return read()
	}
	first := e == nil
	if first {
		e = &sharedScan{done: make(chan struct{})}
		sh.scans[k] = e
	}
	if sh.uses[k]--; sh.uses[k] <= 0 {
		// The last to take it: the share lets go of the records.
		delete(sh.uses, k)
		delete(sh.scans, k)
	}
	sh.mu.Unlock()
	if first {
		e.s, e.err = read()
		close(e.done)
		return e.s, e.err
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return layerScan{}, ctx.Err()
	}
	if e.err != nil {
		return read() // this analysis's own error, named as its own
	}
	return e.s, nil
}

// scanSpec describes how the analysis reads layers, for
// LayerShare.configure.
func (o *options) scanSpec() string {
	return fmt.Sprintf("duplicates=%v blobs=%v paths=%v capture=%q limits=%d/%d",
		o.duplicates, o.blobDigest, o.visiblePaths, o.capture, o.captureFile, o.captureTotal)
}

// sharedScanOf reads layer i of n (l) with read, through sh when the
// analysis shares layers and the config gives every layer's diff_id.
func sharedScanOf(ctx context.Context, sh *LayerShare, l v1.Layer, cfg *v1.ConfigFile, i, n int, read func() (layerScan, error)) (layerScan, error) {
	if sh == nil || len(cfg.RootFS.DiffIDs) != n {
		return read()
	}
	k, err := shareKeyOf(l, cfg.RootFS.DiffIDs[i])
	if err != nil {
		return layerScan{}, err
	}
	s, err := sh.scan(ctx, k, read)
	if err != nil {
		return s, err
	}
	// The same blob may be declared with another media type by the
	// other image.
	if mt, err := l.MediaType(); err == nil {
		s.info.MediaType = mt
	}
	return s, nil
}

package squash

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/layer"
)

// How the base was found (Plan.BaseFrom).
const (
	FromBase       = "base"        // WithBase
	FromAnnotation = "annotation"  // org.opencontainers.image.base.* annotations
	FromHistory    = "history"     // the image's history
	FromKeepLayers = "keep-layers" // WithKeepLayers
	FromAll        = "all"         // WithAll
)

// Base-image annotations of the OCI image specification.
const (
	AnnotationBaseName   = "org.opencontainers.image.base.name"
	AnnotationBaseDigest = "org.opencontainers.image.base.digest"
)

// LayerInfo describes one layer of the input or the output.
type LayerInfo struct {
	Index     int             `json:"index"`
	Digest    string          `json:"digest"`
	DiffID    string          `json:"diff_id"`
	MediaType types.MediaType `json:"media_type"`
	// Size is the size of the blob as stored.
	Size int64 `json:"size"`
	// CreatedBy is the layer's history entry, "" when unknown.
	CreatedBy string `json:"created_by"`
}

// Plan says which layers are kept and which merged, and why.
type Plan struct {
	// Kept are the lowest layers, left untouched; Merged the layers above
	// them, merged into one.
	Kept   []LayerInfo `json:"kept"`
	Merged []LayerInfo `json:"merged"`
	// BaseFrom is one of the From constants; Reason says more.
	BaseFrom string `json:"base_from"`
	Reason   string `json:"reason"`
	// historySplit indexes the first history entry of the merged range
	// (len(history) when unknown).
	historySplit int
}

// MakePlan decides which layers of img to keep and which to merge, without
// reading any layer. Merged is empty when every layer belongs to the base
// (Squash then returns ErrNothingToMerge, or, in a dry run, a Result that
// saves nothing).
func MakePlan(ctx context.Context, img v1.Image, opts ...Option) (*Plan, error) {
	o := defaults()
	if err := o.apply(opts); err != nil {
		return nil, err
	}
	return makePlan(ctx, img, &o)
}

func makePlan(ctx context.Context, img v1.Image, o *options) (*Plan, error) {
	// layer.Layers refuses a config whose diff_ids are not as many as
	// the layers (a *layer.CountError), as every reader of whittle does.
	layers, cfg, err := layer.Layers(img)
	if err != nil {
		return nil, err
	}
	n := len(layers)
	if n == 0 {
		return nil, fmt.Errorf("image has no layers")
	}
	p := &Plan{}
	keep := -1
	switch {
	case o.all:
		keep, p.BaseFrom, p.Reason = 0, FromAll, "all layers merged"
	case o.keep >= 0:
		if o.keep > n {
			return nil, fmt.Errorf("cannot keep %d layers of %d", o.keep, n)
		}
		keep, p.BaseFrom, p.Reason = o.keep, FromKeepLayers, fmt.Sprintf("%d lowest layers kept as asked", o.keep)
	case o.base != nil:
		keep, err = sharedLayers(o.base, cfg.RootFS.DiffIDs)
		if err != nil {
			return nil, err
		}
		p.BaseFrom, p.Reason = FromBase, fmt.Sprintf("%d layers shared with the base image", keep)
	}
	if keep < 0 {
		keep, p.Reason = annotationBase(ctx, img, cfg.RootFS.DiffIDs, o.resolver)
		if keep >= 0 {
			p.BaseFrom = FromAnnotation
		}
	}
	hist := historyLayers(cfg.History, n)
	p.historySplit = len(cfg.History)
	if keep < 0 {
		split, why := historyBase(cfg.History, hist)
		if split < 0 {
			return nil, ErrNoBase
		}
		keep, p.BaseFrom, p.Reason, p.historySplit = account.CountLayers(cfg.History[:split]), FromHistory, why, split
	} else if hist != nil {
		p.historySplit = splitAfterLayers(cfg.History, keep)
	}
	for i, l := range layers {
		li := LayerInfo{Index: i, DiffID: cfg.RootFS.DiffIDs[i].String()}
		if d, err := l.Digest(); err == nil {
			li.Digest = d.String()
		}
		li.MediaType, _ = l.MediaType()
		li.Size, _ = l.Size()
		if hist != nil {
			li.CreatedBy = hist[i].CreatedBy
		}
		if i < keep {
			p.Kept = append(p.Kept, li)
		} else {
			p.Merged = append(p.Merged, li)
		}
	}
	return p, nil
}

// sharedLayers counts the lowest layers img shares with base, by diff_id.
func sharedLayers(base v1.Image, diffIDs []v1.Hash) (int, error) {
	bcfg, err := base.ConfigFile()
	if err != nil {
		return 0, fmt.Errorf("reading base image config: %w", err)
	}
	k := 0
	for k < len(bcfg.RootFS.DiffIDs) && k < len(diffIDs) && bcfg.RootFS.DiffIDs[k] == diffIDs[k] {
		k++
	}
	if k == 0 {
		return 0, fmt.Errorf("the image shares no layer with the base image")
	}
	return k, nil
}

// annotationBase uses the base-image annotations, when the manifest has
// them and resolve can fetch the image they name.
func annotationBase(ctx context.Context, img v1.Image, diffIDs []v1.Hash, resolve BaseResolver) (int, string) {
	m, err := img.Manifest()
	if err != nil || m.Annotations == nil {
		return -1, ""
	}
	name, digest := m.Annotations[AnnotationBaseName], m.Annotations[AnnotationBaseDigest]
	if name == "" && digest == "" || resolve == nil {
		return -1, ""
	}
	base, err := resolve(ctx, name, digest)
	if err != nil {
		return -1, ""
	}
	k, err := sharedLayers(base, diffIDs)
	if err != nil {
		return -1, ""
	}
	return k, fmt.Sprintf("%d layers shared with %s%s (base-image annotations)", k, name, atDigest(digest))
}

func atDigest(d string) string {
	if d == "" {
		return ""
	}
	return "@" + d
}

// historyLayers maps layers to their history entries (nil when the
// history does not match the layers).
func historyLayers(h []v1.History, n int) []v1.History {
	var out []v1.History
	for _, e := range h {
		if !e.EmptyLayer {
			out = append(out, e)
		}
	}
	if len(out) != n {
		return nil
	}
	return out
}

// splitAfterLayers returns the index of the history entry of layer keep
// (the first merged one), or len(h).
func splitAfterLayers(h []v1.History, keep int) int {
	n := 0
	for i, e := range h {
		if e.EmptyLayer {
			continue
		}
		if n == keep {
			return i
		}
		n++
	}
	return len(h)
}

// historyBase finds where the base image ends in the history (see
// account.BaseFromHistory): the index of the first history entry after the
// base, or -1. layers is the history paired with the image's layers (nil
// when it does not pair).
func historyBase(h []v1.History, layers []v1.History) (int, string) {
	if layers == nil {
		return -1, ""
	}
	return account.BaseFromHistory(h)
}

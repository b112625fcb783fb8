package squash

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"

	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/pkg/layer"
	"github.com/whittle/whittle/pkg/spool"
)

// Result is what Squash did (or, in a dry run, would do).
type Result struct {
	Plan Plan `json:"plan"`
	// Layer is the merged layer (nil in a dry run).
	Layer *LayerInfo `json:"layer,omitempty"`
	// InBytes: regular-file content bytes of the merged range's layers, as
	// their tar headers say; OutBytes: those of the merged layer.
	InBytes  int64 `json:"in_bytes"`
	OutBytes int64 `json:"out_bytes"`
	// SavedBytes = InBytes - OutBytes = WastedBytes + pruned bytes -
	// CopiedBytes.
	SavedBytes int64 `json:"saved_bytes"`
	// CopiedBytes: content of kept layers' files copied into the merged
	// layer, because a merged hard link keeps a file that a merged layer
	// replaced at its first name (rare; 0 for images built by docker).
	CopiedBytes int64 `json:"copied_bytes"`
	// WastedBytes: the range's bytes that were not visible in the final
	// filesystem (analyze's wasted_bytes of the range's layers).
	WastedBytes int64 `json:"wasted_bytes"`
	// Pruned lists what pruning dropped, by cache category.
	Pruned []Pruned `json:"pruned"`
	// Entries counts the merged layer's tar entries, Markers the whiteouts
	// and opaque markers among them.
	Entries int `json:"entries"`
	Markers int `json:"markers"`
	// DryRun is true when nothing was written.
	DryRun bool `json:"dry_run"`

	// Image is the squashed image (nil in a dry run). Its merged layer is a
	// temporary file: write the image before calling Close.
	Image v1.Image `json:"-"`
	layer *os.File // the merged layer: a file with no name
}

// Close frees the temporary file behind Result.Image (a file with no name,
// which nothing else has to remove).
func (r *Result) Close() error {
	if r == nil || r.layer == nil {
		return nil
	}
	err := r.layer.Close()
	r.layer = nil
	return err
}

// maxReadAhead is the most layers read ahead by default, however many cores:
// each holds its layer's stream on disk until it is read.
const maxReadAhead = 4

// Squash merges the layers of img above its base into one layer (see
// MakePlan for how the base is found) and returns the new image. The input
// is only read. Each merged layer is read once, as a stream.
func Squash(ctx context.Context, img v1.Image, opts ...Option) (_ *Result, err error) {
	o := defaults()
	if err := o.apply(opts); err != nil {
		return nil, err
	}
	pr, err := newPruner(o.prune)
	if err != nil {
		return nil, err
	}
	plan, err := makePlan(ctx, img, &o)
	if err != nil {
		return nil, err
	}
	if len(plan.Merged) == 0 {
		// Every layer belongs to the base: a dry run saves nothing, a
		// real run has nothing to write.
		if o.dryRun {
			return &Result{Plan: *plan, Pruned: []Pruned{}, DryRun: true}, nil
		}
		return nil, fmt.Errorf("%w: all %d layers belong to the base (%s)", ErrNothingToMerge, len(plan.Kept), plan.Reason)
	}
	manifest, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	oci := manifest.MediaType == types.OCIManifestSchema1 || manifest.MediaType == "" && manifest.Config.MediaType == types.OCIConfigJSON
	mt := types.DockerLayer
	switch {
	case o.compression == Zstd && !oci:
		return nil, fmt.Errorf("zstd compression needs an image with OCI media types, and this one is %s", manifest.MediaType)
	case o.compression == Zstd:
		mt = types.OCILayerZStd
	case oci:
		mt = types.OCILayer
	}
	layers, cfg, err := layer.Layers(img)
	if err != nil {
		return nil, err
	}
	keep := len(plan.Kept)

	res := &Result{Plan: *plan, DryRun: o.dryRun}
	var sp *os.File
	budget := o.budget
	if !o.dryRun {
		if budget == nil {
			if budget, err = spool.DefaultBudget(o.tempDir); err != nil {
				return nil, err
			}
		}
		// A file with no name: nothing is left however squash ends.
		sp, err = spool.Create(o.tempDir, "whittle-squash-spool")
		if err != nil {
			return nil, fmt.Errorf("creating spool file: %w", err)
		}
		defer sp.Close()
		defer func() {
			if err != nil {
				res.Close()
			}
		}()
	}
	names := make([]string, len(layers)-keep)
	for i := range names {
		names[i] = fmt.Sprintf("layer %d (%s)", keep+i, plan.Merged[i].Digest)
	}
	var bw *spoolWriter
	if sp != nil {
		// Written on another goroutine, while the layers are read,
		// counted against the budget.
		bw = newSpoolWriter(budget.Writer(sp, "the squash spool (the merged layers' visible content, uncompressed)"))
		defer bw.Close()
	}
	m := newMerger(bw, pr, names)
	m.keep = keep
	for j := range names {
		m.walkNames = append(m.walkNames, walkName(plan.Merged[j].Digest, cfg.RootFS.DiffIDs[keep+j]))
	}
	// Layers are named in Walk's errors as analyze names them: "reading
	// layer N: layer DIGEST: ...".
	walkOpts := func(j int) []layer.Option {
		return []layer.Option{layer.WithName(m.walkNames[j]), layer.WithDiffID(cfg.RootFS.DiffIDs[keep+j])}
	}
	// The merged layers are read one at a time, top-down; layer.Walk
	// decompresses each (and hashes its diff_id) on goroutines of its
	// own, ahead of the merge of its entries and their copy to the spool.
	readOpts := walkOpts
	m.reread = func(ctx context.Context, j int, fn func(e *layer.Entry) error) error {
		return layer.Walk(ctx, layers[keep+j], fn, walkOpts(j)...)
	}
	for k := 0; k < keep; k++ {
		m.keptNames = append(m.keptNames, fmt.Sprintf("layer %d (%s)", k, plan.Kept[k].Digest))
	}
	keptOpts := func(k int) []layer.Option {
		return []layer.Option{layer.WithName(walkName(plan.Kept[k].Digest, cfg.RootFS.DiffIDs[k])), layer.WithDiffID(cfg.RootFS.DiffIDs[k])}
	}
	m.rereadKept = func(ctx context.Context, k int, fn func(e *layer.Entry) error) error {
		return layer.Walk(ctx, layers[k], fn, keptOpts(k)...)
	}
	// The kept layers pass on as they are, so they are checked as analyze
	// reads them (every entry by layer.Walk, every hard link against the
	// layers below it by fstree), bottom-up, while the merged ones are
	// read top-down; the merged layers' hard links are then checked in
	// the same tree, on top of them. An image analyze refuses is refused
	// here, before anything is written.
	check := newChecker(ctx, layers[:keep], m.keptNames, keptOpts)
	defer check.stop()
	report := func(p Progress) {
		if o.progress != nil {
			p.Layers = len(names)
			o.progress(p)
		}
	}
	// While a layer is read, the next ones below it are decompressed
	// ahead on other cores (see WithReadAhead): reading top-down no
	// longer waits for one layer's decompression at a time.
	ahead := o.ahead
	if ahead < 0 {
		ahead = min(runtime.GOMAXPROCS(0)-1, maxReadAhead)
	}
	if o.dryRun {
		ahead = 0
	}
	pf := make([]*layer.Prefetch, len(layers))
	defer func() {
		for _, p := range pf {
			p.Close()
		}
	}()
	for i := len(layers) - 1; i >= keep; i-- {
		report(Progress{Phase: PhaseRead, LayersDone: len(layers) - 1 - i})
		for j := i - 1; j >= keep && j >= i-ahead; j-- {
			if pf[j] == nil {
				pf[j] = layer.StartPrefetch(ctx, layers[j], o.tempDir, budget, readOpts(j-keep)...)
			}
		}
		opts := readOpts(i - keep)
		if pf[i] != nil {
			opts = append(opts, layer.WithPrefetch(pf[i]))
		}
		err := m.readLayer(ctx, i-keep, layers[i], opts...)
		pf[i].Close()
		pf[i] = nil
		if err != nil {
			return nil, fmt.Errorf("reading layer %d: %w", i, err)
		}
	}
	if err := check.merged(m.records, keep, func(j int) string { return m.walkNames[j] }); err != nil {
		return nil, err
	}
	m.records = nil
	report(Progress{Phase: PhaseRead, LayersDone: len(names)})
	recs, err := m.finish(ctx)
	if err != nil {
		return nil, err
	}
	if bw != nil {
		if err := bw.Flush(); err != nil {
			var le *spool.LimitError
			if errors.As(err, &le) {
				return nil, err // it names the spool
			}
			return nil, fmt.Errorf("writing spool: %w", err)
		}
	}
	res.InBytes = m.inBytes
	res.Pruned = prunedSummary(m.recs)
	var pruned int64
	for _, p := range res.Pruned {
		pruned += p.Bytes
	}
	res.Entries = len(recs)
	for _, r := range recs {
		if r.marker == "wh" || r.marker == "opq" {
			res.Markers++
		} else if h := r.header(); h.Typeflag == tar.TypeReg {
			res.OutBytes += h.Size
		}
	}
	copied := map[string]bool{}
	for _, r := range recs {
		if strings.HasPrefix(r.inode, "kept") && !copied[r.inode] && r.hdr.Typeflag == tar.TypeReg {
			copied[r.inode] = true
			res.CopiedBytes += r.hdr.Size
		}
	}
	res.SavedBytes = res.InBytes - res.OutBytes
	res.WastedBytes = res.SavedBytes - pruned + res.CopiedBytes
	if o.dryRun {
		report(Progress{Phase: PhaseRead, LayersDone: len(names), Done: true})
		return res, nil
	}

	wrote := func(n int64) {
		report(Progress{Phase: PhaseWrite, LayersDone: len(names), Bytes: n, TotalBytes: res.OutBytes})
	}
	ml, written, err := writeLayer(ctx, o.tempDir, budget, recs, spool.ReaderAt(ctx, sp), o.compression, o.level, mt, wrote)
	if err != nil {
		return nil, err
	}
	res.layer = ml.f
	if written != res.OutBytes {
		return nil, fmt.Errorf("merged layer holds %d content bytes, expected %d", written, res.OutBytes)
	}
	newCfg := cfg.DeepCopy()
	newCfg.RootFS.DiffIDs = append(append([]v1.Hash(nil), cfg.RootFS.DiffIDs[:keep]...), ml.diffID)
	newCfg.History = rewriteHistory(cfg.History, plan, len(layers))
	// Kept layers pass on as they are: their blobs are checked against
	// their digests as the output is written (nothing else reads them).
	kept := make([]v1.Layer, keep)
	for k := range kept {
		kept[k] = layer.VerifyBlob(layers[k], m.keptNames[k])
		if kept[k] != layers[k] {
			// The checker read this layer and found its tar hashes to
			// the config's diff_id: say so, rather than let
			// go-containerregistry decompress and hash the whole blob
			// again to answer DiffID (a layout's or an archive's
			// layers do).
			kept[k] = &checkedLayer{Layer: kept[k], diffID: cfg.RootFS.DiffIDs[k]}
		}
	}
	out, err := assemble(img, manifest, kept, ml, newCfg)
	if err != nil {
		return nil, err
	}
	res.Image = out
	report(Progress{Phase: PhaseWrite, LayersDone: len(names), Bytes: written, TotalBytes: res.OutBytes, Done: true})
	res.Layer = &LayerInfo{Index: keep, Digest: ml.digest.String(), DiffID: ml.diffID.String(), MediaType: mt, Size: ml.size,
		CreatedBy: mergedCreatedBy(len(plan.Merged))}
	return res, nil
}

// checkedLayer is a kept layer whose diff_id the checker verified.
type checkedLayer struct {
	v1.Layer
	diffID v1.Hash
}

func (l *checkedLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

func mergedCreatedBy(n int) string {
	return fmt.Sprintf("whittle squash: %d layers merged into one", n)
}

// rewriteHistory keeps the kept layers' entries, turns the merged layers'
// entries into empty-layer records, and adds one entry for the merged
// layer, dated like the last entry it replaces.
func rewriteHistory(h []v1.History, plan *Plan, nLayers int) []v1.History {
	if historyLayers(h, nLayers) == nil {
		return nil
	}
	out := make([]v1.History, 0, len(h)+1)
	out = append(out, h[:plan.historySplit]...)
	for _, e := range h[plan.historySplit:] {
		e.EmptyLayer = true
		out = append(out, e)
	}
	last := h[len(h)-1]
	out = append(out, v1.History{
		Created:   last.Created,
		CreatedBy: mergedCreatedBy(len(plan.Merged)),
		Comment:   "whittle squash",
	})
	return out
}

// assemble builds the output image: the source's manifest and config media
// types and annotations, the kept layers as they are, the merged layer.
func assemble(src v1.Image, m *v1.Manifest, kept []v1.Layer, merged v1.Layer, cfg *v1.ConfigFile) (v1.Image, error) {
	base := empty.Image
	if m.MediaType != "" {
		base = mutate.MediaType(base, m.MediaType)
	}
	if m.Config.MediaType != "" {
		base = mutate.ConfigMediaType(base, m.Config.MediaType)
	}
	adds := make([]mutate.Addendum, 0, len(kept)+1)
	for i, l := range kept {
		add := mutate.Addendum{Layer: l}
		if i < len(m.Layers) {
			d := m.Layers[i]
			add.MediaType, add.Annotations, add.URLs = d.MediaType, d.Annotations, d.URLs
		}
		adds = append(adds, add)
	}
	adds = append(adds, mutate.Addendum{Layer: merged})
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting config: %w", err)
	}
	if len(m.Annotations) > 0 {
		a, ok := mutate.Annotations(img, m.Annotations).(v1.Image)
		if !ok {
			return nil, fmt.Errorf("setting annotations: unexpected type")
		}
		img = a
	}
	return img, nil
}

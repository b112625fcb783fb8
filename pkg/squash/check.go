package squash

import (
	"context"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/fstree"
	"github.com/whittle/whittle/pkg/layer"
)

// checker holds the image's layers to the rules analyze reads them by:
// every entry is checked by layer.Walk as it is read (Entry.Check), and
// every hard link's target, as fstree applies the layers bottom-up
// (layer.CheckLink). It applies the kept layers in the background while
// the merged ones are read top-down, then the merged layers' records on
// top of them.
type checker struct {
	tree   *fstree.Tree
	cancel context.CancelFunc
	done   chan error
	waited bool
	// twice: a kept layer writes a name twice (reported last).
	twice error
}

// newChecker starts reading the kept layers, bottom first.
// names names the kept layers in a squash.EntryError.
func newChecker(ctx context.Context, kept []v1.Layer, names []string, opts func(k int) []layer.Option) *checker {
	ctx, cancel := context.WithCancel(ctx)
	c := &checker{tree: fstree.NewPathsOnly(), cancel: cancel, done: make(chan error, 1)}
	go func() {
		c.done <- c.applyKept(ctx, kept, names, opts)
	}()
	return c
}

func (c *checker) applyKept(ctx context.Context, kept []v1.Layer, names []string, opts func(k int) []layer.Option) error {
	for k, l := range kept {
		var recs []fstree.Record
		// A kept layer passes on unchanged: one that names an entry twice
		// (which extractors read as the last one) would make an output
		// go-containerregistry's validate.Image refuses. Merged layers
		// need no such check: the merge writes each path once.
		seen := map[string]struct{}{}
		var twice error
		// The blob's bytes are checked against its digest as the output
		// is written (layer.VerifyBlob); here its content is: its
		// diff_id, its length, its entries.
		o := append(opts(k), layer.WithBlobDigestCheck(false))
		info, err := layer.WalkInfo(ctx, l, func(e *layer.Entry) error {
			if _, dup := seen[e.Header.Name]; dup && twice == nil {
				// Reported once every layer is checked: what analyze
				// refuses comes first.
				twice = &EntryError{Layer: names[k], Path: e.Path, Reason: fmt.Sprintf(
					"is written twice in this layer (as %q), which squash would pass on unchanged and image validators refuse; merge this layer too (fewer --keep-layers, or --all)", e.Header.Name)}
			}
			seen[e.Header.Name] = struct{}{}
			recs = append(recs, fstree.RecordOf(e))
			return nil
		}, o...)
		if err != nil {
			return fmt.Errorf("reading layer %d: %w", k, err)
		}
		if _, err := c.tree.Apply(k, recs); err != nil {
			return linkError(k, info.Digest.String(), err)
		}
		if twice != nil && c.twice == nil {
			c.twice = fmt.Errorf("reading layer %d: %w", k, twice)
		}
	}
	return nil
}

// wait returns the kept layers' verdict.
func (c *checker) wait() error {
	if c.waited {
		return nil
	}
	c.waited = true
	return <-c.done
}

// stop cancels the kept layers' reading, if still under way, and waits
// for it to end.
func (c *checker) stop() {
	c.cancel()
	_ = c.wait()
}

// merged waits for the kept layers, then applies the merged layers'
// records (records[j] those of merged layer j, layer keep+j of the image)
// on top of them, bottom first, up to the highest that has a hard link.
func (c *checker) merged(records [][]fstree.Record, keep int, name func(j int) string) error {
	if err := c.wait(); err != nil {
		return err
	}
	// Only hard links fail the tree's merge: the layers above the highest
	// that has one need not be merged, nor any when none has.
	top := -1
	for j, recs := range records {
		for k := range recs {
			if recs[k].Type == fstree.TypeHardlink {
				top = j
				break
			}
		}
	}
	for j := top + 1; j < len(records); j++ {
		records[j] = nil
	}
	for j, recs := range records[:top+1] {
		if _, err := c.tree.Apply(keep+j, recs); err != nil {
			return linkError(keep+j, name(j), err)
		}
		records[j] = nil
	}
	c.tree = nil // no longer needed: let it go before the merge's work
	return c.twice
}

// linkError names the layer of fstree's *layer.InvalidEntryError.
func linkError(i int, name string, err error) error {
	var ie *layer.InvalidEntryError
	if errors.As(err, &ie) && ie.Layer == "" {
		ie.Layer = name
	}
	return fmt.Errorf("reading layer %d: %w", i, err)
}

// walkName names a layer in errors as analyze does: its digest, or its
// diff_id when the digest is unknown.
func walkName(digest string, diffID v1.Hash) string {
	if digest != "" {
		return digest
	}
	return diffID.String()
}

// badLink is the error of layer.CheckLink for a hard link at p in range
// layer idx whose target squash's own merge finds missing or a directory
// (the checker refuses such a link first; this keeps the merge from
// writing one should the two ever disagree).
func (m *merger) badLink(idx int, p, target string, kind layer.TargetKind) error {
	err := layer.CheckLink(m.walkNames[idx], p, target, kind)
	return fmt.Errorf("reading layer %d: %w", m.keep+idx, err)
}

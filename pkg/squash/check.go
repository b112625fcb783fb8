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
}

// newChecker starts reading the kept layers, bottom first.
func newChecker(ctx context.Context, kept []v1.Layer, opts func(k int) []layer.Option) *checker {
	ctx, cancel := context.WithCancel(ctx)
	c := &checker{tree: fstree.New(), cancel: cancel, done: make(chan error, 1)}
	go func() {
		c.done <- c.applyKept(ctx, kept, opts)
	}()
	return c
}

func (c *checker) applyKept(ctx context.Context, kept []v1.Layer, opts func(k int) []layer.Option) error {
	for k, l := range kept {
		var recs []fstree.Record
		// The blob's bytes are checked against its digest as the output
		// is written (layer.VerifyBlob); here its content is: its
		// diff_id, its length, its entries.
		o := append(opts(k), layer.WithBlobDigestCheck(false))
		info, err := layer.WalkInfo(ctx, l, func(e *layer.Entry) error {
			recs = append(recs, fstree.RecordOf(e))
			return nil
		}, o...)
		if err != nil {
			return fmt.Errorf("reading layer %d: %w", k, err)
		}
		if _, err := c.tree.Apply(k, recs); err != nil {
			return linkError(k, info.Digest.String(), err)
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
// on top of them, bottom first.
func (c *checker) merged(records [][]fstree.Record, keep int, name func(j int) string) error {
	if err := c.wait(); err != nil {
		return err
	}
	for j, recs := range records {
		if _, err := c.tree.Apply(keep+j, recs); err != nil {
			return linkError(keep+j, name(j), err)
		}
		records[j] = nil
	}
	c.tree = nil // no longer needed: let it go before the merge's work
	return nil
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

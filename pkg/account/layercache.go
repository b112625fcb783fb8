package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/layer"
	"github.com/whittle/whittle/pkg/layercache"
)

// WithLayerCache makes Analyze take what it needs of a layer from c when c
// holds it, reading none of its content, and store in c what it reads of
// the others (see docs/cache.md). The account is the same with or without
// a cache.
//
// A layer is taken from the cache when c holds its diff_id (from the image
// config) with the same blob (digest and length, as the manifest declares
// them) read in full under limits at least as strict as this analysis's,
// and with what this analysis keeps of a layer (content hashes for the
// duplicate search, the files WithCapture asks for). Nothing of its blob
// is read then, unless WithBlobDigests asks for the blobs' sha256: the
// blob is then read and hashed, without being decompressed.
func WithLayerCache(c *layercache.Cache) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("nil layer cache")
		}
		o.cache = c
		return nil
	}
}

// key names what the capture specification keeps, for the cache.
func (c *captureSpec) key() string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%s\x00%d\x00%d", strings.Join(c.patterns, "\x00"), c.maxFile, c.maxAll)
}

// layerLimits are the limits layers are read under.
func (o *options) layerLimits() layer.Limits {
	if o.limits != nil {
		return *o.limits
	}
	return layer.DefaultLimits()
}

// cachedScan returns the scan of layer l, whose diff_id the config gives:
// from the cache when it holds the layer as spec needs it, else read with
// wopts (and stored).
func cachedScan(ctx context.Context, o *options, l v1.Layer, diffID v1.Hash, spec scanSpec, wopts []layer.Option) (layerScan, error) {
	c := o.cache
	old, found := c.Get(diffID)
	if found {
		s, ok, err := scanFromEntry(ctx, o, old, l, diffID, spec)
		if err != nil || ok {
			return s, err
		}
	}
	// The entry keeps every record's owner, whatever this analysis needs.
	rs := spec
	rs.owners = true
	s, err := scanLayerWith(ctx, l, rs, wopts...)
	if err != nil {
		return s, err
	}
	e := entryOf(&s, diffID, spec, o.layerLimits())
	_ = c.Put(layercache.Merge(e, old)) // a cache that cannot be written is only slower: Stats counts it
	if !spec.owners {
		s.owners = nil
	}
	return s, nil
}

// blobKey is the digest and length of l's blob as the image declares
// them; for a plain tar layer (layer.NativelyUncompressed) its diff_id
// and the tar's length, which only the entry knows.
func blobKey(l v1.Layer, diffID v1.Hash, e *layercache.Entry) (v1.Hash, int64, error) {
	if layer.NativelyUncompressed(l) {
		return diffID, e.UncompressedSize, nil
	}
	d, err := l.Digest()
	if err != nil {
		return d, 0, err
	}
	size, err := l.Size()
	return d, size, err
}

// scanFromEntry makes the scan of l from its cache entry e; ok is false
// when e does not hold what spec needs, or not for l's blob.
func scanFromEntry(ctx context.Context, o *options, e *layercache.Entry, l v1.Layer, diffID v1.Hash, spec scanSpec) (layerScan, bool, error) {
	digest, size, err := blobKey(l, diffID, e)
	if err != nil {
		return layerScan{}, false, nil // read it: the walk reports what is wrong
	}
	blob, ok := e.Blob(digest, size, o.layerLimits())
	if !ok || (spec.hash && !e.Hashed) || len(e.Owners) != len(e.Records) {
		return layerScan{}, false, nil
	}
	var caps layercache.CaptureSet
	if spec.capt != nil {
		if caps, ok = e.CaptureSet(spec.capt.key()); !ok {
			return layerScan{}, false, nil
		}
	}
	if o.blobDigest {
		if err := layer.CheckBlob(ctx, l, diffID, ""); err != nil {
			return layerScan{}, false, err
		}
	}
	s := layerScan{info: layer.Info{
		Digest: digest, DiffID: diffID, Compression: blob.Compression, MediaType: layer.MediaType(l),
		CompressedSize: blob.Size, UncompressedSize: e.UncompressedSize, Entries: e.Entries,
	}}
	s.records = e.Records
	if !spec.hash {
		for k := range s.records {
			s.records[k].Hashed, s.records[k].Hash = false, [16]byte{}
		}
	}
	if spec.owners {
		s.owners = make([]owner, len(e.Owners))
		for k, ow := range e.Owners {
			s.owners[k] = owner{uid: int32(ow.UID), gid: int32(ow.GID)}
		}
	}
	for _, f := range caps.Files {
		s.captures = append(s.captures, layerCapture{reg: f.Reg, data: f.Data, skipped: f.Skipped})
	}
	return s, true, nil
}

// entryOf makes the cache entry of a layer just read as spec says, under
// limits lim.
func entryOf(s *layerScan, diffID v1.Hash, spec scanSpec, lim layer.Limits) *layercache.Entry {
	e := &layercache.Entry{
		DiffID: diffID, UncompressedSize: s.info.UncompressedSize, Entries: s.info.Entries,
		Hashed: spec.hash, Records: s.records, Owners: make([]layercache.Owner, len(s.owners)),
		Blobs: []layercache.Blob{{Digest: s.info.Digest, Size: s.info.CompressedSize, Compression: s.info.Compression, Limits: lim}},
	}
	for k, ow := range s.owners {
		e.Owners[k] = layercache.Owner{UID: int64(ow.uid), GID: int64(ow.gid)}
	}
	if spec.capt != nil {
		cs := layercache.CaptureSet{Spec: spec.capt.key(), Files: make([]layercache.Capture, len(s.captures))}
		for k, lc := range s.captures {
			cs.Files[k] = layercache.Capture{Reg: lc.reg, Data: lc.data, Skipped: lc.skipped}
		}
		e.Captures = []layercache.CaptureSet{cs}
	}
	return e
}

package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/fstree"
	"github.com/whittle/whittle/pkg/layer"
	"github.com/whittle/whittle/pkg/layercache"
)

// SchemaVersion names the shape of Report.
const SchemaVersion = "whittle.fleet/v1"

// Image is one image of the fleet.
type Image struct {
	// Reference names the image in the report, as the user gave it.
	Reference string
	Image     v1.Image
}

// Report is the account of a fleet: every figure is plain data.
type Report struct {
	SchemaVersion string `json:"schema_version"`
	// Images, in the order given.
	Images []ImageFigures `json:"images"`
	// Layers are the distinct layers (distinct chain IDs), in the order
	// first met (image by image, bottom up).
	Layers []LayerFigures `json:"layers"`
	// SizeBytes is the sum of the images' SizeBytes, each image counted
	// alone; CompressedBytes likewise for the blobs.
	SizeBytes       int64 `json:"size_bytes"`
	CompressedBytes int64 `json:"compressed_bytes"`
	// FootprintBytes is the content of the distinct layers, each counted
	// once: what a host holding every image stores (disk).
	// FootprintCompressedBytes is the same for the blobs: what it pulls.
	FootprintBytes           int64 `json:"footprint_bytes"`
	FootprintCompressedBytes int64 `json:"footprint_compressed_bytes"`
	// SharedSavingBytes is SizeBytes - FootprintBytes: what sharing
	// layers saves on disk (SharedSavingCompressedBytes: on pulls).
	SharedSavingBytes           int64 `json:"shared_saving_bytes"`
	SharedSavingCompressedBytes int64 `json:"shared_saving_compressed_bytes"`
	// Bases are the layer stacks two images or more share, deepest first
	// for each set of images (see Base).
	Bases []Base `json:"bases"`
	// BasesInUse are the base images the images are built on, as their
	// histories tell, with what moving every image onto each would save
	// (see BaseInUse), the biggest saving first.
	BasesInUse []BaseInUse `json:"bases_in_use"`
	// Packages are the images' OS packages, with WithPackages; nil
	// otherwise.
	Packages *Packages `json:"packages,omitempty"`
}

// BaseInUse is a base image that images of the fleet are built on: the
// bottom layers their history attributes to the base (see
// account.BaseLayers), identified by the chain ID of the top one.
type BaseInUse struct {
	ChainID         string `json:"chain_id"`
	Layers          int    `json:"layers"`
	SizeBytes       int64  `json:"size_bytes"`
	CompressedBytes int64  `json:"compressed_bytes"`
	// Images are the references of the images built on it, in input
	// order.
	Images []string `json:"images"`
	// CreatedBy is the instruction that made its top layer.
	CreatedBy string `json:"created_by"`
	// ConsolidationSavingBytes is what moving every image whose base is
	// known onto this base would save on disk: the content of the layers
	// of the other bases in use that this one does not hold, each counted
	// once (the images' own layers assumed to keep their size).
	// ConsolidationSavingCompressedBytes is the same for the blobs.
	ConsolidationSavingBytes           int64 `json:"consolidation_saving_bytes"`
	ConsolidationSavingCompressedBytes int64 `json:"consolidation_saving_compressed_bytes"`
}

// ImageFigures is one image's account within the fleet.
type ImageFigures struct {
	Reference string `json:"reference"`
	// Aliases are the other references given for the same image (the
	// same config digest: Docker's image ID), in the order given; the
	// image is counted once, under Reference, the first given. Empty,
	// never nil, when it was given once.
	Aliases []string `json:"aliases"`
	// Digest is the manifest digest ("" for a docker-save archive of
	// plain tar layers, which has no manifest of its own).
	Digest   string `json:"digest"`
	Platform string `json:"platform"`
	Layers   int    `json:"layers"`
	// SizeBytes is the regular-file content of every layer (analyze's
	// size_bytes); CompressedBytes the layer blobs as stored.
	SizeBytes       int64 `json:"size_bytes"`
	CompressedBytes int64 `json:"compressed_bytes"`
	// UniqueBytes is the content of the layers no other image of the
	// fleet has (UniqueCompressedBytes: their blobs); the rest is shared.
	UniqueBytes           int64 `json:"unique_bytes"`
	UniqueCompressedBytes int64 `json:"unique_compressed_bytes"`
	// BaseLayers is how many of its bottom layers its history attributes
	// to its base image (account.BaseLayers); 0 when the history does not
	// tell.
	BaseLayers int `json:"base_layers"`
}

// LayerFigures is one distinct layer: a diff_id on a given stack below.
type LayerFigures struct {
	// ChainID identifies the layer with everything below it (the OCI
	// image specification's ChainID): two images share a layer on disk
	// when their chain IDs are equal.
	ChainID string `json:"chain_id"`
	DiffID  string `json:"diff_id"`
	// Digest is the blob's digest (the diff_id for a plain tar layer of a
	// docker-save archive), CompressedBytes its length: those of the first
	// image met that holds the layer (another image may store the same
	// content as another blob).
	Digest          string `json:"digest"`
	SizeBytes       int64  `json:"size_bytes"`
	CompressedBytes int64  `json:"compressed_bytes"`
	// Images counts the images that hold this layer.
	Images int `json:"images"`
	// CreatedBy is the instruction that made the layer, from the history
	// of the first image met that holds it.
	CreatedBy string `json:"created_by"`
}

// Base is a stack of bottom layers that several images share: the deepest
// layer (ChainID) that exactly these images hold. A smaller set of the
// same images may share a deeper base, reported on its own.
type Base struct {
	ChainID string `json:"chain_id"`
	// Layers is the number of layers of the stack; SizeBytes and
	// CompressedBytes its content and blobs.
	Layers          int   `json:"layers"`
	SizeBytes       int64 `json:"size_bytes"`
	CompressedBytes int64 `json:"compressed_bytes"`
	// Images are the references of the images built on it, in input
	// order.
	Images []string `json:"images"`
	// SavedBytes is what sharing it saves on disk: SizeBytes for every
	// image but one.
	SavedBytes int64 `json:"saved_bytes"`
	// CreatedBy is the instruction that made the stack's top layer.
	CreatedBy string `json:"created_by"`
}

// Option configures Analyze.
type Option func(*options) error

type options struct {
	jobs        int
	verifyBlobs bool
	progress    func(Progress)
	limits      []layer.Option
	lim         layer.Limits
	cache       *layercache.Cache
	packages    bool
}

// WithJobs sets how many layers are read at the same time (default
// GOMAXPROCS). Must be at least 1.
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("jobs must be at least 1, got %d", n)
		}
		o.jobs = n
		return nil
	}
}

// WithBlobDigests also checks the sha256 of every compressed blob (see
// account.WithBlobDigests); diff_ids are always checked.
func WithBlobDigests(on bool) Option {
	return func(o *options) error {
		o.verifyBlobs = on
		return nil
	}
}

// WithLayerLimits sets what a layer may expand to (default
// layer.DefaultLimits(), see docs/limits.md).
func WithLayerLimits(l layer.Limits) Option {
	return func(o *options) error {
		if err := l.Validate(); err != nil {
			return err
		}
		o.limits = []layer.Option{layer.WithLimits(l)}
		o.lim = l
		return nil
	}
}

// WithLayerCache makes Analyze take the figures of a layer from c when c
// holds it (the same diff_id and blob, read under limits at least as
// strict), reading none of its content, and store in c the entries of
// the layers it reads, for later runs and for whittle analyze (see
// docs/cache.md). The report is the same with or without a cache.
func WithLayerCache(c *layercache.Cache) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("nil layer cache")
		}
		o.cache = c
		return nil
	}
}

// Progress is reported after each distinct layer is read. With
// WithPackages, the images are analyzed one after the other first: Images
// is their number, ImagesDone how many are done, and Layers and
// LayersDone are those of the image being analyzed.
type Progress struct {
	Layers, LayersDone int
	Images, ImagesDone int
}

// WithProgress sets a function called, never concurrently, as layers are
// read.
func WithProgress(fn func(Progress)) Option {
	return func(o *options) error {
		o.progress = fn
		return nil
	}
}

// Analyze accounts for a fleet of images: each distinct layer blob is read
// once, however many images hold it, streamed and checked as analyze reads
// layers. An image given more than once (the same config digest, Docker's
// image ID, under any reference) is counted once, under the first
// reference given, the others being its Aliases; the blobs of every
// reference are still read and checked.
func Analyze(ctx context.Context, images []Image, opts ...Option) (*Report, error) {
	o := options{jobs: runtime.GOMAXPROCS(0), lim: layer.DefaultLimits()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("configuring fleet analysis: %w", err)
		}
	}
	// A blob is read once, however many images hold it: the same
	// content stored as another blob (other compression, or other bytes
	// that claim it) is read and checked on its own.
	type blobKey struct{ diffID, digest v1.Hash }
	type imageLayers struct {
		blobs   []blobKey
		chains  []string
		created []string
	}
	rep := &Report{SchemaVersion: SchemaVersion, Images: []ImageFigures{}, Layers: []LayerFigures{}, Bases: []Base{}, BasesInUse: []BaseInUse{}}
	// all holds the layers of each image counted, in the order of
	// rep.Images; an image given again (the same image ID) is only an
	// alias, though its blobs are read and checked like any other.
	var all []imageLayers
	var counted []v1.Image     // the image of each entry of all
	first := map[v1.Hash]int{} // image ID -> index in rep.Images
	contents := map[blobKey]*content{}
	var order []blobKey
	for _, im := range images {
		fig := &ImageFigures{Reference: im.Reference, Aliases: []string{}}
		ls, cfg, err := layer.Layers(im.Image)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", im.Reference, err)
		}
		id, err := im.Image.ConfigName()
		if err != nil {
			return nil, fmt.Errorf("%s: computing image ID: %w", im.Reference, err)
		}
		native := false
		for _, l := range ls {
			native = native || layer.NativelyUncompressed(l)
		}
		if !native {
			d, err := im.Image.Digest()
			if err != nil {
				return nil, fmt.Errorf("%s: computing image digest: %w", im.Reference, err)
			}
			fig.Digest = d.String()
		}
		fig.Platform = account.Platform(cfg)
		fig.Layers = len(ls)
		if k, _ := account.BaseLayers(cfg, len(ls)); k > 0 {
			fig.BaseLayers = k
		}
		il := imageLayers{}
		for _, h := range account.LayerHistory(cfg, len(ls)) {
			il.created = append(il.created, h.CreatedBy)
		}
		chain := ""
		for j, d := range cfg.RootFS.DiffIDs {
			chain = chainID(chain, d)
			il.chains = append(il.chains, chain)
			key := blobKey{diffID: d, digest: d}
			if !layer.NativelyUncompressed(ls[j]) {
				if key.digest, err = ls[j].Digest(); err != nil {
					return nil, fmt.Errorf("%s: layer %d: reading its digest: %w", im.Reference, j, err)
				}
			}
			il.blobs = append(il.blobs, key)
			if contents[key] == nil {
				contents[key] = &content{layer: ls[j], name: fmt.Sprintf("%s layer %d (%s)", im.Reference, j, key.digest)}
				order = append(order, key)
			}
		}
		if k, again := first[id]; again {
			rep.Images[k].Aliases = append(rep.Images[k].Aliases, im.Reference)
			continue
		}
		first[id] = len(rep.Images)
		rep.Images = append(rep.Images, *fig)
		all = append(all, il)
		counted = append(counted, im.Image)
	}

	// With packages, the images' analyses read their layers (each
	// distinct blob once, through a layer share) and give each layer's
	// figures; only the blobs of references given again that no counted
	// image holds are left to read.
	toRead := order
	if o.packages {
		chains := make([][]string, len(all))
		for i, il := range all {
			chains[i] = il.chains
		}
		pk, layersOf, err := fleetPackages(ctx, &o, rep, counted, chains)
		if err != nil {
			return nil, err
		}
		rep.Packages = pk
		for i, il := range all {
			for j, key := range il.blobs {
				if c := contents[key]; !c.read {
					l := layersOf[i][j]
					c.size, c.compressed, c.digest, c.read = l.SizeBytes, l.CompressedBytes, l.Digest, true
				}
			}
		}
		toRead = nil
		for _, key := range order {
			if !contents[key].read {
				toRead = append(toRead, key)
			}
		}
	}

	// Read each distinct blob once, several at a time.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.jobs)
	var mu sync.Mutex
	done := 0
	for _, key := range toRead {
		c := contents[key]
		g.Go(func() error {
			if err := readContent(gctx, &o, key.diffID, key.digest, c); err != nil {
				return err
			}
			if o.progress != nil {
				mu.Lock()
				done++
				o.progress(Progress{Layers: len(toRead), LayersDone: done})
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Distinct layers by chain ID, and which images hold each.
	byChain := map[string]int{} // chain ID -> index in rep.Layers
	holders := [][]int{}        // per layer: the images holding it
	for i, il := range all {
		for j, ch := range il.chains {
			k, ok := byChain[ch]
			if !ok {
				c := contents[il.blobs[j]]
				k = len(rep.Layers)
				byChain[ch] = k
				rep.Layers = append(rep.Layers, LayerFigures{ChainID: ch, DiffID: il.blobs[j].diffID.String(), Digest: c.digest,
					SizeBytes: c.size, CompressedBytes: c.compressed, CreatedBy: il.created[j]})
				holders = append(holders, nil)
				rep.FootprintBytes += c.size
				rep.FootprintCompressedBytes += c.compressed
			}
			if h := holders[k]; len(h) == 0 || h[len(h)-1] != i {
				holders[k] = append(h, i)
				rep.Layers[k].Images++
			}
		}
	}
	for i, il := range all {
		fig := &rep.Images[i]
		for j, ch := range il.chains {
			c := contents[il.blobs[j]] // this image's own blob
			fig.SizeBytes += c.size
			fig.CompressedBytes += c.compressed
			if rep.Layers[byChain[ch]].Images == 1 {
				fig.UniqueBytes += c.size
				fig.UniqueCompressedBytes += c.compressed
			}
		}
		rep.SizeBytes += fig.SizeBytes
		rep.CompressedBytes += fig.CompressedBytes
	}
	rep.SharedSavingBytes = rep.SizeBytes - rep.FootprintBytes
	rep.SharedSavingCompressedBytes = rep.CompressedBytes - rep.FootprintCompressedBytes

	// Bases: for each layer held by two images or more, it is the base of
	// exactly those images when the layer above it, in each of them, is
	// held by fewer (or there is none).
	for i, il := range all {
		for j, ch := range il.chains {
			k := byChain[ch]
			h := holders[k]
			if len(h) < 2 || h[0] != i {
				continue // reported once, from its first holder
			}
			deepest := true
			for _, x := range h {
				xl := all[x]
				if j+1 < len(xl.chains) && slices.Equal(holders[byChain[xl.chains[j+1]]], h) {
					deepest = false
					break
				}
			}
			if !deepest {
				continue
			}
			b := Base{ChainID: ch, Layers: j + 1, CreatedBy: il.created[j]}
			for _, c := range il.chains[:j+1] {
				b.SizeBytes += rep.Layers[byChain[c]].SizeBytes
				b.CompressedBytes += rep.Layers[byChain[c]].CompressedBytes
			}
			for _, x := range h {
				b.Images = append(b.Images, rep.Images[x].Reference)
			}
			b.SavedBytes = b.SizeBytes * int64(len(h)-1)
			rep.Bases = append(rep.Bases, b)
		}
	}
	chains := make([][]string, len(all))
	for i, il := range all {
		chains[i] = il.chains
	}
	rep.BasesInUse = basesInUse(rep, chains)
	slices.SortStableFunc(rep.Bases, func(a, b Base) int {
		if a.SavedBytes != b.SavedBytes {
			if a.SavedBytes > b.SavedBytes {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ChainID, b.ChainID)
	})
	return rep, nil
}

// content is one distinct blob to read, with the first layer met that
// holds it, and its figures once read.
type content struct {
	layer            v1.Layer
	name             string
	size, compressed int64
	digest           string
	read             bool // the figures are known (with packages: from an analysis)
}

// contentSize is the regular-file content of records.
func contentSize(records []fstree.Record) int64 {
	var n int64
	for _, r := range records {
		if r.Type == fstree.TypeReg {
			n += r.Size
		}
	}
	return n
}

// readContent fills c's figures: from the cache when it holds the layer
// with this blob, else by reading the blob (and storing its entry).
func readContent(ctx context.Context, o *options, diffID, digest v1.Hash, c *content) error {
	native := layer.NativelyUncompressed(c.layer)
	var old *layercache.Entry
	if o.cache != nil {
		var found bool
		if old, found = o.cache.Get(diffID); found {
			size := old.UncompressedSize
			if !native {
				size, _ = c.layer.Size()
			}
			if b, ok := old.Blob(digest, size, o.lim); ok {
				if o.verifyBlobs {
					if err := layer.CheckBlob(ctx, c.layer, diffID, c.name); err != nil {
						return err
					}
				}
				c.size, c.compressed, c.digest = contentSize(old.Records), b.Size, digest.String()
				return nil
			}
		}
	}
	var (
		size    int64
		records []fstree.Record
		owners  []layercache.Owner
	)
	info, err := layer.WalkInfo(ctx, c.layer, func(e *layer.Entry) error {
		r := fstree.RecordOf(e)
		if r.Type == fstree.TypeReg {
			size += r.Size
		}
		if o.cache != nil {
			records = append(records, r)
			owners = append(owners, layercache.Owner{UID: int64(e.Header.Uid), GID: int64(e.Header.Gid)})
		}
		return nil
	}, append([]layer.Option{layer.WithName(c.name), layer.WithDiffID(diffID), layer.WithBlobDigestCheck(o.verifyBlobs)}, o.limits...)...)
	if err != nil {
		return err // the layer's errors name it
	}
	c.size, c.compressed, c.digest = size, info.CompressedSize, info.Digest.String()
	if o.cache != nil {
		e := &layercache.Entry{DiffID: diffID, UncompressedSize: info.UncompressedSize, Entries: info.Entries,
			Records: records, Owners: owners,
			Blobs: []layercache.Blob{{Digest: info.Digest, Size: info.CompressedSize, Compression: info.Compression, Limits: o.lim}}}
		_ = o.cache.Put(layercache.Merge(e, old)) // a cache that cannot be written is only slower
	}
	return nil
}

// chainID is the OCI ChainID of a layer with diff_id d on the stack whose
// chain ID is parent ("" for the bottom layer).
func chainID(parent string, d v1.Hash) string {
	if parent == "" {
		return d.String()
	}
	sum := sha256.Sum256([]byte(parent + " " + d.String()))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// basesInUse groups the images whose base is known by the chain ID of
// their base's top layer, and works out for each base what moving every
// such image onto it would save. chains are the images' chain IDs, bottom
// up.
func basesInUse(rep *Report, chains [][]string) []BaseInUse {
	byChain := map[string]int{}
	for k, l := range rep.Layers {
		byChain[l.ChainID] = k
	}
	var out []BaseInUse
	index := map[string]int{}
	for i, im := range rep.Images {
		if im.BaseLayers == 0 {
			continue
		}
		top := chains[i][im.BaseLayers-1]
		k, ok := index[top]
		if !ok {
			k = len(out)
			index[top] = k
			b := BaseInUse{ChainID: top, Layers: im.BaseLayers, CreatedBy: rep.Layers[byChain[top]].CreatedBy}
			for _, c := range chains[i][:im.BaseLayers] {
				b.SizeBytes += rep.Layers[byChain[c]].SizeBytes
				b.CompressedBytes += rep.Layers[byChain[c]].CompressedBytes
			}
			out = append(out, b)
		}
		out[k].Images = append(out[k].Images, im.Reference)
	}
	// The chains of each base's stack.
	stack := func(b BaseInUse) []string {
		for i, im := range rep.Images {
			if im.BaseLayers > 0 && chains[i][im.BaseLayers-1] == b.ChainID {
				return chains[i][:im.BaseLayers]
			}
		}
		return nil
	}
	stacks := make([][]string, len(out))
	for k := range out {
		stacks[k] = stack(out[k])
	}
	for k := range out {
		held := map[string]bool{}
		for _, c := range stacks[k] {
			held[c] = true
		}
		for o := range out {
			if o == k {
				continue
			}
			for _, c := range stacks[o] {
				if !held[c] {
					held[c] = true // each counted once
					out[k].ConsolidationSavingBytes += rep.Layers[byChain[c]].SizeBytes
					out[k].ConsolidationSavingCompressedBytes += rep.Layers[byChain[c]].CompressedBytes
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b BaseInUse) int {
		if a.ConsolidationSavingBytes != b.ConsolidationSavingBytes {
			if a.ConsolidationSavingBytes > b.ConsolidationSavingBytes {
				return -1
			}
			return 1
		}
		return len(b.Images) - len(a.Images)
	})
	if out == nil {
		out = []BaseInUse{}
	}
	return out
}

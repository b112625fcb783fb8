package account

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/zeebo/xxh3"
	"golang.org/x/sync/errgroup"

	"github.com/whittle/whittle/pkg/fstree"
	"github.com/whittle/whittle/pkg/layer"
)

// layerScan is what reading one layer yields.
type layerScan struct {
	info     layer.Info
	records  []fstree.Record
	captures []layerCapture
	// owners holds the owner of each record, with WithVisiblePaths.
	owners []owner
	// diveFiles holds every entry as dive reads it, with WithDiveExport.
	diveFiles []DiveFileInfo
}

// Analyze computes the exact account of img. Layers are read at most
// WithJobs at a time, each exactly once; the account holds one compact
// record per tar entry, never file content.
func Analyze(ctx context.Context, img v1.Image, opts ...Option) (*Report, error) {
	o := defaults()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("configuring analysis: %w", err)
		}
	}
	if o.diveExport != nil && !o.dive {
		return nil, errors.New("configuring analysis: WithDiveExport needs dive's figures (WithDive(false) was given)")
	}
	layers, cfg, err := layer.Layers(img)
	if err != nil {
		return nil, err
	}
	native := false
	for _, l := range layers {
		if layer.NativelyUncompressed(l) {
			native = true
		}
	}

	rep := &Report{SchemaVersion: SchemaVersion, Waste: []WasteItem{}, Caches: []Cache{}, Docs: []DocBytes{}, Duplicates: []Duplicate{}}
	if len(o.watch) > 0 {
		rep.Watched = []WatchedFile{} // asked for, even if none is found
	}
	var capt *captured
	if spec := newCaptureSpec(&o); spec != nil {
		capt = &captured{spec: spec, byIno: map[int]layerCapture{}}
	}
	rep.Image.Reference = o.reference
	if mt, err := img.MediaType(); err == nil {
		rep.Image.MediaType = string(mt)
	}
	if !native {
		// An archive of uncompressed layers has no manifest of its own:
		// go-containerregistry would gzip every layer to make one up.
		d, err := img.Digest()
		if err != nil {
			return nil, fmt.Errorf("computing image digest: %w", err)
		}
		rep.Image.Digest = d.String()
	}
	rep.Image.Platform = Platform(cfg)
	if o.share != nil {
		if err := o.share.configure(o.scanSpec()); err != nil {
			return nil, fmt.Errorf("configuring analysis: %w", err)
		}
	}
	var meta *pathMeta
	if o.visiblePaths {
		meta = newPathMeta()
	}

	tree := fstree.New()
	// dive's figures are computed beside the merge, in their own
	// goroutine, fed the same records in layer order: the last layers,
	// read together, are then merged on two cores.
	var (
		diveIn  chan []fstree.Record
		diveOut chan Dive
	)
	if o.dive {
		diveIn, diveOut = make(chan []fstree.Record, len(layers)), make(chan Dive, 1)
		go func() {
			acc := newDiveAcc(len(layers))
			for recs := range diveIn {
				acc.add(recs)
			}
			diveOut <- acc.result()
		}()
	}
	closeDive := sync.OnceFunc(func() {
		if diveIn != nil {
			close(diveIn)
		}
	})
	defer closeDive()
	created := LayerHistory(cfg, len(layers))
	rep.Layers = make([]Layer, len(layers))
	var entries int64
	// Layers are read in parallel; each is merged, bottom first, as soon
	// as it and the layers below it are read, and its records dropped.
	err = scanLayers(ctx, layers, cfg, &o, func(i int, s *layerScan) error {
		base := tree.NumInodes()
		// dive reads the records while the tree merges them (neither
		// writes them), so that they are dropped as soon as possible.
		if diveIn != nil {
			diveIn <- s.records // never blocks: room for every layer
		}
		st, err := tree.Apply(i, s.records)
		if err != nil {
			var ie *layer.InvalidEntryError
			if errors.As(err, &ie) && ie.Layer == "" {
				ie.Layer = s.info.Digest.String()
			}
			return fmt.Errorf("reading layer %d: %w", i, err)
		}
		if capt != nil {
			capt.add(tree, base, s.captures)
		}
		if meta != nil {
			meta.add(i, s)
		}
		if o.diveExport != nil {
			dl := DiveLayer{Index: i, Files: DiveLayerFiles(s.diveFiles)}
			for k := range s.diveFiles {
				dl.SizeBytes += s.diveFiles[k].Size
			}
			s.diveFiles = nil
			if err := o.diveExport(&dl); err != nil {
				return err
			}
		}
		L := &rep.Layers[i]
		L.Index = i
		L.Digest = s.info.Digest.String()
		L.DiffID = s.info.DiffID.String()
		L.MediaType = string(s.info.MediaType)
		L.CompressedBytes = s.info.CompressedSize
		L.CreatedBy, L.Comment = created[i].CreatedBy, created[i].Comment
		L.FilesAdded, L.FilesModified, L.FilesDeleted = st.Added, st.Modified, st.Deleted
		for _, r := range s.records {
			if r.Type == fstree.TypeReg {
				L.SizeBytes += r.Size
				if len(o.watch) > 0 && watched(r.Path, o.watch) {
					rep.Watched = append(rep.Watched, WatchedFile{Path: "/" + r.Path, Layer: i, Bytes: r.Size})
				}
			}
		}
		rep.Image.SizeBytes += L.SizeBytes
		rep.Image.CompressedBytes += L.CompressedBytes
		entries += s.info.Entries
		return nil
	})
	if err != nil {
		return nil, err
	}

	// What remains only reads the merged tree: the duplicate search and
	// dive's figures run beside the rest, on cores the layers no longer
	// use.
	var (
		wg   sync.WaitGroup
		dups []Duplicate
	)
	closeDive()
	files := tree.FilesUnordered()
	wg.Go(func() {
		rep.Caches = caches(files, tree)
		rep.Docs = docs(files, tree)
	})
	if capt != nil {
		rep.Captured = capt.result(files, tree)
	}
	rep.Dive = Dive{Inefficiencies: []DiveInefficient{}}
	if diveOut != nil {
		rep.Dive = <-diveOut
	}
	// The duplicate search starts once dive is done with the layers'
	// records (dropped then), so that its candidates never add to them.
	if o.duplicates {
		wg.Go(func() { dups = duplicates(files, tree) })
	}
	if meta != nil {
		rep.VisibleOthers = meta.result(tree)
	}
	for i := 0; i < tree.NumInodes(); i++ {
		in := tree.Inode(i)
		if in.Links > 0 {
			rep.Image.VisibleBytes += in.Size
			rep.Image.Files++
			continue
		}
		rep.Image.WastedBytes += in.Size
		rep.Layers[in.Layer].WastedBytes += in.Size
		rep.Waste = append(rep.Waste, WasteItem{Path: "/" + in.Path, Layer: int(in.Layer), Bytes: in.Size, Reason: in.Reason(), ShadowedBy: int(in.ShadowedBy)})
	}
	wg.Wait()
	// The list of visible files is made once dive is done with the
	// layers' records and the duplicate search with its candidates.
	if o.visibleFiles {
		rep.VisibleFiles = make([]VisibleFile, len(files))
		for k, f := range files {
			in := tree.Inode(f.Inode)
			rep.VisibleFiles[k] = VisibleFile{Path: f.Path, File: f.Inode, Layer: int(in.Layer), Bytes: in.Size, Hash: in.Hash, Hashed: in.Hashed}
			if meta != nil {
				meta.file(&rep.VisibleFiles[k])
			}
		}
	}
	for _, c := range rep.Caches {
		rep.Image.CacheBytes += c.Bytes
	}
	for _, d := range rep.Docs {
		rep.Image.DocBytes += d.Bytes
	}
	if o.duplicates {
		rep.Duplicates = dups
		for _, d := range rep.Duplicates {
			rep.Image.DuplicateBytes += d.Bytes
		}
	}
	if o.progress != nil {
		o.progress(Progress{Layers: len(layers), LayersDone: len(layers), Entries: entries, Done: true})
	}
	return rep, nil
}

// watched reports whether p (relative, cleaned) is one of the paths, or
// under one of them (see PathUnder).
func watched(p string, paths []string) bool {
	for _, w := range paths {
		if PathUnder(p, w) {
			return true
		}
	}
	return false
}

// PathUnder reports whether the cleaned path p is pattern or lies under
// it. pattern's names may hold path.Match patterns ("var/lib/gems/*/doc"
// covers var/lib/gems/3.1.0/doc/x); both are absolute or both relative.
// The empty pattern, or "/", covers everything.
func PathUnder(p, pattern string) bool {
	if pattern == "" || pattern == "/" {
		return true
	}
	if !strings.ContainsAny(pattern, "*?[\\") {
		return p == pattern || (len(p) > len(pattern) && p[len(pattern)] == '/' && strings.HasPrefix(p, pattern))
	}
	pp, qq := strings.Split(p, "/"), strings.Split(pattern, "/")
	if len(pp) < len(qq) {
		return false
	}
	for i, q := range qq {
		if ok, err := path.Match(q, pp[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

// Platform is the image's os/arch[/variant] from its config ("" when the
// config names neither).
func Platform(cfg *v1.ConfigFile) string {
	if cfg.OS == "" && cfg.Architecture == "" {
		return ""
	}
	p := cfg.OS + "/" + cfg.Architecture
	if cfg.Variant != "" {
		p += "/" + cfg.Variant
	}
	return p
}

// LayerHistory pairs the n layers of an image with the history entries
// that made them: entries marked empty_layer are skipped; a layer past the
// end of the history gets an empty entry (the way docker and dive pair
// them).
func LayerHistory(cfg *v1.ConfigFile, n int) []v1.History {
	out := make([]v1.History, n)
	h := 0
	for i := range out {
		for h < len(cfg.History) && cfg.History[h].EmptyLayer {
			h++
		}
		if h < len(cfg.History) {
			out[i] = cfg.History[h]
			h++
		}
	}
	return out
}

// scanLayers reads the layers, at most o.jobs at a time, and calls merge
// for each in index order as soon as it and all layers below it are read.
// merge runs in the caller's goroutine.
func scanLayers(ctx context.Context, layers []v1.Layer, cfg *v1.ConfigFile, o *options, merge func(int, *layerScan) error) error {
	scans := make([]*layerScan, len(layers))
	ready := make([]chan struct{}, len(layers))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	// A merge that fails (an invalid hard link) stops the reading too.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.jobs)
	var (
		mu      sync.Mutex
		done    int
		entries int64
	)
	report := func(n int64) {
		if o.progress != nil {
			mu.Lock()
			done++
			entries += n
			o.progress(Progress{Layers: len(layers), LayersDone: done, Entries: entries})
			mu.Unlock()
		}
	}
	// Layers are launched from their own goroutine, so that the merger
	// is not blocked while the group is full.
	launched := make(chan struct{})
	go func() {
		defer close(launched)
		for i, l := range layers {
			g.Go(func() error {
				// layer.Layers made sure the config has a diff_id for
				// every layer.
				wopts := []layer.Option{layer.WithBlobDigestCheck(o.blobDigest), layer.WithDiffID(cfg.RootFS.DiffIDs[i])}
				if o.limits != nil {
					wopts = append(wopts, layer.WithLimits(*o.limits))
				}
				spec := scanSpec{hash: o.duplicates, capt: newCaptureSpec(o), owners: o.visiblePaths, dive: o.diveExport != nil}
				read := func() (layerScan, error) { return scanLayerWith(gctx, l, spec, wopts...) }
				var (
					s   layerScan
					err error
				)
				if spec.dive {
					// Neither a cache entry nor another image's scan
					// keeps the tar headers dive's export lists.
					s, err = read()
				} else {
					if o.cache != nil {
						read = func() (layerScan, error) { return cachedScan(gctx, o, l, cfg.RootFS.DiffIDs[i], spec, wopts) }
					}
					s, err = sharedScanOf(gctx, o.share, l, cfg, i, len(layers), read)
				}
				if err != nil {
					return fmt.Errorf("reading layer %d: %w", i, err)
				}
				scans[i] = &s
				close(ready[i])
				report(s.info.Entries)
				return nil
			})
		}
	}()
	for i := range layers {
		select {
		case <-ready[i]:
		case <-gctx.Done():
			<-launched
			return waitErr(g, gctx)
		}
		mu.Lock() // progress reports are never concurrent with merging
		err := merge(i, scans[i])
		mu.Unlock()
		scans[i] = nil
		if err != nil {
			cancel(err)
			<-launched
			_ = g.Wait()
			return err
		}
	}
	<-launched
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// waitErr returns the group's error once every goroutine has stopped.
func waitErr(g *errgroup.Group, ctx context.Context) error {
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// scanLayer reads one layer into records, hashing regular files' content
// when hash is set, and keeping the content of the files capt matches
// (capt may be nil).
func scanLayer(ctx context.Context, l v1.Layer, hash bool, capt *captureSpec, opts ...layer.Option) (layerScan, error) {
	return scanLayerWith(ctx, l, scanSpec{hash: hash, capt: capt}, opts...)
}

// scanSpec says what scanLayerWith keeps beside the records: hash
// regular files' content, the captured files' content (capt may be nil),
// and each record's owner.
type scanSpec struct {
	hash   bool
	capt   *captureSpec
	owners bool
	// dive keeps every entry as dive's export lists it.
	dive bool
}

// scanLayerWith reads one layer as spec says.
func scanLayerWith(ctx context.Context, l v1.Layer, spec scanSpec, opts ...layer.Option) (layerScan, error) {
	hash, capt := spec.hash, spec.capt
	var s layerScan
	var fh *fileHasher
	if hash {
		fh = newFileHasher()
	}
	var regs int // regular-file records so far
	var held int64
	info, err := layer.WalkInfo(ctx, l, func(e *layer.Entry) error {
		r := fstree.RecordOf(e)
		if r.Type == fstree.TypeReg {
			regs++
			if capt != nil && capt.match(r.Path) {
				lc := layerCapture{reg: regs - 1}
				switch {
				case e.Sparse():
					lc.skipped = SkippedSparse
				case r.Size > capt.maxFile || held+r.Size > capt.maxAll:
					lc.skipped = SkippedTooLarge
				default:
					data := make([]byte, r.Size)
					n, err := io.ReadFull(e.Reader, data)
					if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
						return err
					}
					// A short read (a truncated stream) is reported by
					// the walk.
					lc.data = data[:n]
					held += r.Size
					if fh != nil && r.Size > 0 {
						r.Hash, r.Hashed = xxh3.Hash128(lc.data).Bytes(), true
					}
				}
				s.captures = append(s.captures, lc)
			}
		}
		// Sparse files are not hashed: their holes read as zeros, and a
		// few kB of tar can declare a terabyte.
		if fh != nil && r.Type == fstree.TypeReg && r.Size > 0 && !r.Hashed && !e.Sparse() {
			h, err := fh.sum(e.Reader, r.Size)
			if err != nil {
				return err
			}
			r.Hash, r.Hashed = h, true
		}
		s.records = append(s.records, r)
		if spec.owners {
			s.owners = append(s.owners, owner{uid: int32(e.Header.Uid), gid: int32(e.Header.Gid)})
		}
		if spec.dive {
			s.diveFiles = append(s.diveFiles, diveFileInfo(e.Header))
		}
		return nil
	}, opts...)
	if err != nil {
		return s, err
	}
	s.info = info
	return s, nil
}

// fileHasher hashes regular files' content with XXH3-128: the duplicate
// search needs equality of content, not a cryptographic name, and XXH3 is
// about ten times faster than sha256. (The layer's digests are still
// sha256 and verified.)
type fileHasher struct {
	buf []byte
	h   *xxh3.Hasher
}

func newFileHasher() *fileHasher {
	return &fileHasher{buf: make([]byte, 64<<10), h: xxh3.New()}
}

// sum reads r to its end and returns the XXH3-128 of what it read (big
// endian). A file that fits the buffer is hashed in one call; a larger
// one is streamed.
func (fh *fileHasher) sum(r io.Reader, size int64) ([16]byte, error) {
	if size <= int64(len(fh.buf)) {
		n, err := io.ReadFull(r, fh.buf[:size])
		if err != nil && err != io.ErrUnexpectedEOF {
			return [16]byte{}, err
		}
		// A short read (a truncated stream) is reported by the walk.
		return xxh3.Hash128(fh.buf[:n]).Bytes(), nil
	}
	fh.h.Reset()
	if _, err := io.CopyBuffer(fh.h, r, fh.buf); err != nil {
		return [16]byte{}, err
	}
	return fh.h.Sum128().Bytes(), nil
}

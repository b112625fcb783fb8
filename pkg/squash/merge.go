package squash

import (
	"archive/tar"
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/fstree"
	"github.com/whittle/whittle/pkg/layer"
	"github.com/whittle/whittle/pkg/spool"
)

// decision is what the topmost layer that touched a path made of it.
type decision uint8

const (
	undecided decision = iota
	decidedDir
	decidedNonDir
	decidedTomb // whited out
)

// pathState is what the layers above the one being read decided about one
// path. Only headers are kept, never content.
type pathState struct {
	decided decision
	// hides: entries of lower layers strictly under this path are hidden
	// (a whiteout, an opaque marker or a non-directory was here above).
	hides bool
	// lowWR is the lowest range layer with a visible whiteout of, or
	// non-directory at, this path; lowOp the lowest with a visible opaque
	// marker in it; -1 for none. They decide which markers the merged
	// layer needs (see markers).
	lowWR, lowOp int32
	// rec indexes merger.recs: the entry emitted for this path, or -1.
	rec int32
}

// record is one entry of the merged layer.
type record struct {
	path  string
	hdr   *entryHeader
	layer int   // range-relative index of the layer it came from
	off   int64 // offset of a regular file's content in the spool
	link  string
	// dead: a later entry of the same layer replaced it.
	dead bool
	// pruned names the cache category that dropped it, "" if kept.
	pruned string
	// marker is "wh" or "opq" for a synthesised whiteout or opaque marker,
	// "dir" for a directory made again implicitly after a whiteout.
	marker string
	// inode, for a hard link whose target a higher layer replaced, names
	// the file it was resolved to ("layer:path"); hdr and off are then
	// that file's.
	inode string
}

// linkRef is a hard link entry and the layer it came from.
type linkRef struct {
	rec    int32
	target string
	layer  int
}

type opKind uint8

const (
	opWhiteout opKind = iota // .wh.PATH: PATH and what is under it
	opOpaque                 // PATH/.wh..wh..opq: what is under PATH
	opSeal                   // a non-directory at PATH
)

type op struct {
	kind opKind
	path string
}

// merger merges a range of layers read top-down.
type merger struct {
	state map[string]*pathState
	recs  []record
	links []linkRef
	// names interns the user and group names of the headers kept.
	names nameTable
	// stale: hard links whose target a higher layer replaced, so that the
	// link keeps content no longer visible at the target's path.
	stale []linkRef

	spool    *spoolWriter // nil in a dry run
	spoolOff int64
	prune    *pruner

	// hardlinks records every hard link entry of each range layer (path to
	// target), visible or not: few images have many, and resolving a link
	// whose target a higher layer replaced needs them.
	hardlinks []map[string]string
	// reread walks range layer idx again, rereadKept kept layer idx (see
	// resolveStale); keptNames name the kept layers in errors.
	reread     func(ctx context.Context, idx int, fn func(e *layer.Entry) error) error
	rereadKept func(ctx context.Context, idx int, fn func(e *layer.Entry) error) error
	keptNames  []string

	// records: every entry of each range layer, as fstree applies them
	// (for the checker; dropped once it has).
	records [][]fstree.Record

	// inBytes: regular-file content bytes of every entry of the range.
	inBytes int64
	// layerNames name the range's layers in errors (image index, digest);
	// walkNames as layer.Walk does (digest), keep is the index of the
	// range's lowest layer in the image.
	layerNames []string
	walkNames  []string
	keep       int
}

func newMerger(spool *spoolWriter, pr *pruner, names []string) *merger {
	return &merger{
		state:      make(map[string]*pathState),
		names:      make(nameTable),
		spool:      spool,
		prune:      pr,
		layerNames: names,
		hardlinks:  make([]map[string]string, len(names)),
		records:    make([][]fstree.Record, len(names)),
	}
}

func (m *merger) get(p string) *pathState {
	st := m.state[p]
	if st == nil {
		st = &pathState{lowWR: -1, lowOp: -1, rec: -1}
		m.state[p] = st
	}
	return st
}

// ancestors calls fn for "" (the root) and every strict ancestor of p, top
// first, until fn returns true; it reports whether fn did.
func ancestors(p string, fn func(a string) bool) bool {
	if fn("") {
		return true
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && fn(p[:i]) {
			return true
		}
	}
	return false
}

// hiddenByParent reports whether a higher layer hid the parents of p.
func (m *merger) hiddenByParent(p string) bool {
	return ancestors(p, func(a string) bool {
		st := m.state[a]
		return st != nil && st.hides
	})
}

// toSpool copies size bytes of r (an entry's content) to the spool, read
// straight into the spool writer's buffer. The copy stops within a read
// once ctx is done, however large the entry.
func (m *merger) toSpool(ctx context.Context, r io.Reader, size int64) (int64, error) {
	n, err := m.spool.ReadFrom(spool.Reader(ctx, io.LimitReader(r, size)))
	m.spoolOff += n
	return n, err
}

// readLayer reads range layer idx (0 is the lowest of the range) once.
func (m *merger) readLayer(ctx context.Context, idx int, l v1.Layer, opts ...layer.Option) error {
	var pend []op
	local := make(map[string]int32)
	name := m.layerNames[idx]
	err := layer.Walk(ctx, l, func(e *layer.Entry) error {
		hdr := e.Header
		// Every entry, as analyze's tree applies it: the hard links are
		// checked there (see checker).
		m.records[idx] = append(m.records[idx], fstree.RecordOf(e))
		kind, target := layer.Classify(e.Path, hdr.Typeflag)
		switch kind {
		case layer.KindFile:
			m.inBytes += hdr.Size
		case layer.KindHardlink:
			if m.hardlinks[idx] == nil {
				m.hardlinks[idx] = map[string]string{}
			}
			m.hardlinks[idx][e.Path] = e.Link
		}
		if kind == layer.KindMeta || m.hiddenByParent(e.Path) {
			return nil
		}
		switch kind {
		case layer.KindWhiteout:
			pend = append(pend, op{opWhiteout, target})
			return nil
		case layer.KindOpaque:
			pend = append(pend, op{opOpaque, target})
			return nil
		}
		isDir := kind == layer.KindDir
		if !isDir {
			pend = append(pend, op{opSeal, e.Path})
		}
		if st := m.state[e.Path]; st != nil && st.decided != undecided {
			return nil // a higher layer decided this path
		}
		if e.Sparse() && m.prune.match(e.Path) == "" {
			// layer.Walk refuses every type the OCI rules do not define;
			// a sparse file they do, stored in a way squash does not write.
			return sparseError(name, e)
		}
		r := record{path: e.Path, hdr: compactHeader(hdr, m.names), layer: idx, link: e.Link}
		if !isDir {
			r.pruned = m.prune.match(e.Path)
		}
		if hdr.Typeflag == tar.TypeReg && r.pruned == "" && m.spool != nil {
			r.off = m.spoolOff
			n, err := m.toSpool(ctx, e.Reader, hdr.Size)
			if err != nil {
				return fmt.Errorf("copying %s of layer %s: %w", e.Path, name, err)
			}
			if n != hdr.Size {
				return &EntryError{Layer: name, Path: e.Path, Reason: fmt.Sprintf("is truncated (%d of %d bytes)", n, hdr.Size)}
			}
		}
		if i, ok := local[e.Path]; ok {
			m.recs[i].dead = true
		}
		ri := int32(len(m.recs))
		local[e.Path] = ri
		m.recs = append(m.recs, r)
		if hdr.Typeflag == tar.TypeLink {
			lr := linkRef{rec: ri, target: e.Link, layer: idx}
			if st := m.state[e.Link]; st != nil && st.decided != undecided || m.hiddenByParent(e.Link) {
				m.stale = append(m.stale, lr)
			} else {
				m.links = append(m.links, lr)
			}
		}
		return nil
	}, opts...)
	if err != nil {
		return err
	}
	// What this layer decided takes effect for the layers below it only.
	for p, ri := range local {
		st := m.get(p)
		st.rec = ri
		st.decided = decidedNonDir
		if m.recs[ri].hdr.Typeflag == tar.TypeDir {
			st.decided = decidedDir
		}
	}
	for _, o := range pend {
		st := m.get(o.path)
		st.hides = true
		switch o.kind {
		case opWhiteout:
			st.lowWR = int32(idx)
			if st.decided == undecided {
				st.decided = decidedTomb
			}
		case opSeal:
			st.lowWR = int32(idx)
		case opOpaque:
			st.lowOp = int32(idx)
		}
	}
	return nil
}

// sealedBelow reports whether a layer of the range lower than at hid p's
// parents (any marker or non-directory at a strict ancestor).
func (m *merger) sealedBelow(p string, at int32) bool {
	return ancestors(p, func(a string) bool {
		st := m.state[a]
		return st != nil && (st.lowWR >= 0 && st.lowWR < at || st.lowOp >= 0 && st.lowOp < at)
	})
}

// markers returns the whiteouts and opaque markers the merged layer needs
// to hide what the kept layers may hold: for every path that a layer of
// the range whited out, made opaque or replaced by a non-directory, the
// marker its final state calls for (none for a non-directory, which
// replaces what is below by itself), unless a lower layer of the range
// already hid the path's parents from the kept layers. With no kept layer
// (the image flattened) nothing lies below to hide, so there is no marker,
// only the directories made again implicitly.
func (m *merger) markers(hasChildren map[string]bool) []record {
	flat := len(m.keptNames) == 0
	var out []record
	for p, st := range m.state {
		if st.lowWR < 0 && st.lowOp < 0 {
			continue
		}
		fate := st.decided
		if fate == decidedNonDir && st.rec >= 0 && m.recs[st.rec].pruned != "" {
			fate = decidedTomb
		}
		if fate == decidedTomb && hasChildren[p] {
			// Deleted, then made again implicitly by entries under it: a
			// directory with the metadata extractors give such one, which
			// also replaces whatever the kept layers have there.
			fate = decidedDir
			if p != "" {
				out = append(out, record{path: p, marker: "dir", layer: int(st.lowWR)})
			}
		}
		if flat {
			continue
		}
		var kind string
		var at int32
		switch fate {
		case decidedNonDir:
			continue
		case decidedTomb:
			kind, at = "wh", st.lowWR
		default:
			kind, at = "opq", st.lowWR
			if at < 0 || st.lowOp >= 0 && st.lowOp < at {
				at = st.lowOp
			}
		}
		if at < 0 || m.sealedBelow(p, at) {
			continue
		}
		if kind == "opq" {
			out = append(out, record{path: layer.OpaquePath(p), marker: kind, layer: int(at)})
			continue
		}
		out = append(out, record{path: layer.WhiteoutPath(p), marker: kind, layer: int(at)})
	}
	return out
}

const opaqueMarker = layer.OpaqueMarker

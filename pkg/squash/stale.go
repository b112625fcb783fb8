package squash

import (
	"archive/tar"
	"context"
	"fmt"

	"github.com/whittle/whittle/pkg/layer"
)

// found is the last entry at a wanted path in one layer.
type found struct {
	hdr *entryHeader
	off int64
}

// resolveStale handles hard links whose target a higher layer replaced or
// deleted: such a link keeps the file its target named when the link was
// made, which is no longer visible at the target's path. That file is found
// by reading again, top-down, the layers from the link's own down to the one
// that holds the file (only the entries at the wanted paths are looked at,
// and only their content is copied to the spool), the kept layers too when
// the file is in one of them; the link then becomes that file, and links
// resolved to one file stay linked to one another. Few images have such
// links, so the common path reads each layer once.
func (m *merger) resolveStale(ctx context.Context) error {
	byLayer := map[int][]int32{}
	top := -1
	for _, l := range m.stale {
		r := &m.recs[l.rec]
		if r.dead || r.pruned != "" {
			continue
		}
		byLayer[l.layer] = append(byLayer[l.layer], l.rec)
		if l.layer > top {
			top = l.layer
		}
	}
	// active: target path as of the layer being read -> links wanting it.
	active := map[string][]int32{}
	for j := top; j >= 0; j-- {
		for _, ri := range byLayer[j] {
			t := m.recs[ri].link
			active[t] = append(active[t], ri)
		}
		if len(active) == 0 {
			continue
		}
		read := func(ctx context.Context, fn func(e *layer.Entry) error) error { return m.reread(ctx, j, fn) }
		var err error
		if active, err = m.resolveIn(ctx, m.layerNames[j], fmt.Sprint(j), read, m.hardlinks[j], active); err != nil {
			return err
		}
	}
	for k := len(m.keptNames) - 1; k >= 0 && len(active) > 0; k-- {
		read := func(ctx context.Context, fn func(e *layer.Entry) error) error { return m.rereadKept(ctx, k, fn) }
		var err error
		if active, err = m.resolveIn(ctx, m.keptNames[k], fmt.Sprintf("kept%d", k), read, nil, active); err != nil {
			return err
		}
	}
	for p, recs := range active {
		r := &m.recs[recs[0]]
		return m.badLink(r.layer, r.path, p, layer.TargetMissing)
	}
	return nil
}

// resolveIn reads one layer for the paths in active (each wanted by hard
// links, as of that layer) and returns the paths still wanted below it.
// hl is the layer's hard links (path to target) when known; when nil, they
// are learnt while reading, and the layer is read again if a wanted path
// turns out to be a hard link to an entry earlier in the same layer.
func (m *merger) resolveIn(ctx context.Context, name, key string, read func(context.Context, func(*layer.Entry) error) error, hl map[string]string, active map[string][]int32) (map[string][]int32, error) {
	learn := hl == nil
	if learn {
		hl = map[string]string{}
	}
	seen := map[string]found{}
	sealed := map[string]bool{}
	prev := 0
	for pass := 0; ; pass++ {
		wanted := map[string]bool{}
		for p := range active {
			for q := p; !wanted[q]; {
				wanted[q] = true
				t, ok := hl[q]
				if !ok {
					break
				}
				q = t
			}
		}
		// Read again only when hard links learnt on the last pass lead
		// to paths not wanted then (their entries came earlier in the tar).
		if pass > 0 && len(wanted) == prev || pass > 8 {
			break
		}
		prev = len(wanted)
		sealed = map[string]bool{}
		if err := m.readWanted(ctx, name, read, wanted, seen, sealed, hl, learn); err != nil {
			return nil, err
		}
		if !learn {
			break
		}
	}
	next := map[string][]int32{}
	for p, recs := range active {
		q := p
		for hops := 0; ; hops++ {
			f, ok := seen[q]
			if !ok || hops > len(hl) {
				if sealed[q] || hops > len(hl) {
					r := &m.recs[recs[0]]
					return nil, m.badLink(r.layer, r.path, r.link, layer.TargetMissing)
				}
				next[q] = append(next[q], recs...)
				break
			}
			if f.hdr.Typeflag == tar.TypeLink {
				q = hl[q]
				continue
			}
			if f.hdr.Typeflag == tar.TypeDir {
				r := &m.recs[recs[0]]
				return nil, m.badLink(r.layer, r.path, q, layer.TargetDir)
			}
			inode := key + ":" + q
			for _, ri := range recs {
				h := *f.hdr
				r := &m.recs[ri]
				r.hdr, r.off, r.inode = &h, f.off, inode
			}
			break
		}
	}
	return next, nil
}

// readWanted reads one layer, copying to the spool the content of the
// regular files at wanted paths not seen yet, and noting which wanted paths
// the layer hides from the layers below it.
func (m *merger) readWanted(ctx context.Context, name string, read func(context.Context, func(*layer.Entry) error) error, wanted map[string]bool, seen map[string]found, sealed map[string]bool, hl map[string]string, learn bool) error {
	anc := map[string]bool{}
	for p := range wanted {
		ancestors(p, func(a string) bool { anc[a] = true; return false })
	}
	sealUnder := func(dir string, self bool) {
		for p := range wanted {
			if self && p == dir || dir == "" || len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/' {
				sealed[p] = true
			}
		}
	}
	err := read(ctx, func(e *layer.Entry) error {
		if learn && e.Header.Typeflag == tar.TypeLink {
			hl[e.Path] = e.Link
		}
		if t, ok := e.Whiteout(); ok {
			if wanted[t] || anc[t] {
				sealUnder(t, true)
			}
			return nil
		}
		if d, ok := e.Opaque(); ok {
			if anc[d] {
				sealUnder(d, false)
			}
			return nil
		}
		if e.Meta() {
			return nil
		}
		if anc[e.Path] && e.Header.Typeflag != tar.TypeDir {
			sealUnder(e.Path, false)
		}
		if !wanted[e.Path] {
			return nil
		}
		if f, ok := seen[e.Path]; ok && f.off >= 0 && e.Header.Typeflag == tar.TypeReg {
			return nil // content copied on an earlier pass
		}
		if e.Sparse() {
			return sparseError(name, e)
		}
		h := compactHeader(e.Header, m.names)
		f := found{hdr: h, off: -1}
		if h.Typeflag == tar.TypeReg && m.spool != nil {
			f.off = m.spoolOff
			n, err := m.toSpool(ctx, e.Reader, h.Size)
			if err != nil {
				return fmt.Errorf("copying %s of %s: %w", e.Path, name, err)
			}
			if n != h.Size {
				return &EntryError{Layer: name, Path: e.Path, Reason: fmt.Sprintf("is truncated (%d of %d bytes)", n, h.Size)}
			}
		}
		seen[e.Path] = f
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading %s again: %w", name, err)
	}
	return nil
}

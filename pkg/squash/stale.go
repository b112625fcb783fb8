package squash

import (
	"archive/tar"
	"context"
	"fmt"
	"io"

	"github.com/whittle/whittle/pkg/layer"
)

// found is the last entry at a wanted path in one layer.
type found struct {
	hdr *tar.Header
	off int64
}

// resolveStale handles hard links whose target a higher layer replaced or
// deleted: such a link keeps the file its target named when the link was
// made, which is no longer visible at the target's path. That file is found
// by reading again, top-down, the layers from the link's own down to the one
// that holds the file (only the entries at the wanted paths are looked at,
// and only their content is copied to the spool); the link then becomes
// that file, and links resolved to one file stay linked to one another.
// Few images have such links, so the common path reads each layer once.
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
		hl := m.hardlinks[j]
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
		anc := map[string]bool{}
		for p := range wanted {
			ancestors(p, func(a string) bool { anc[a] = true; return false })
		}
		seen := map[string]found{}
		sealed := map[string]bool{}
		sealUnder := func(dir string, self bool) {
			for p := range wanted {
				if self && p == dir || dir == "" || len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/' {
					sealed[p] = true
				}
			}
		}
		err := m.reread(ctx, j, func(e *layer.Entry) error {
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
			h := *e.Header
			f := found{hdr: &h, off: -1}
			if h.Typeflag == tar.TypeReg && m.spool != nil {
				f.off = m.spoolOff
				n, err := io.CopyBuffer(m.spool, io.LimitReader(e.Reader, h.Size), m.buf)
				m.spoolOff += n
				if err != nil {
					return fmt.Errorf("copying %s of %s: %w", e.Path, m.layerNames[j], err)
				}
				if n != h.Size {
					return &EntryError{Layer: m.layerNames[j], Path: e.Path, Reason: fmt.Sprintf("is truncated (%d of %d bytes)", n, h.Size)}
				}
			}
			seen[e.Path] = f
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading %s again: %w", m.layerNames[j], err)
		}
		next := map[string][]int32{}
		for p, recs := range active {
			q := p
			for hops := 0; ; hops++ {
				f, ok := seen[q]
				if !ok || hops > len(hl) {
					if sealed[q] || hops > len(hl) {
						r := &m.recs[recs[0]]
						return &EntryError{Layer: m.layerNames[r.layer], Path: r.path, Reason: fmt.Sprintf("is a hard link to %q, which does not exist", r.link)}
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
					return &EntryError{Layer: m.layerNames[r.layer], Path: r.path, Reason: fmt.Sprintf("is a hard link to the directory %q", q)}
				}
				key := fmt.Sprintf("%d:%s", j, q)
				for _, ri := range recs {
					h := *f.hdr
					r := &m.recs[ri]
					r.hdr, r.off, r.inode = &h, f.off, key
				}
				break
			}
		}
		active = next
	}
	for p, recs := range active {
		r := &m.recs[recs[0]]
		return &EntryError{Layer: m.layerNames[r.layer], Path: r.path,
			Reason: fmt.Sprintf("is a hard link to %q of a kept layer, which a merged layer replaced; squash cannot keep that file without reading the kept layers: keep fewer layers (--keep-layers) or merge all (--all)", p)}
	}
	return nil
}

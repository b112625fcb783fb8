package squash

import (
	"archive/tar"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/whittle/whittle/pkg/layer"
)

// finish resolves hard links, adds the markers the kept layers need, checks
// that no entry lies under a non-directory, and returns the merged layer's
// entries in write order.
func (m *merger) finish(ctx context.Context) ([]*record, error) {
	if len(m.stale) > 0 {
		if err := m.resolveStale(ctx); err != nil {
			return nil, err
		}
	}
	if err := m.linkGroups(); err != nil {
		return nil, err
	}
	var out []*record
	hasChildren := map[string]bool{}
	for i := range m.recs {
		r := &m.recs[i]
		if r.dead || r.pruned != "" {
			continue
		}
		out = append(out, r)
		ancestors(r.path, func(a string) bool {
			hasChildren[a] = true
			return false
		})
	}
	marks := m.markers(hasChildren)
	// Whatever is not a directory at the end: no entry may lie under it.
	nonDir := map[string]*record{}
	for _, r := range out {
		if r.hdr.Typeflag != tar.TypeDir {
			nonDir[r.path] = r
		}
	}
	for i := range marks {
		if marks[i].marker == "wh" {
			nonDir[whitedOut(marks[i].path)] = &marks[i]
		}
	}
	for _, r := range out {
		var under *record
		ancestors(r.path, func(a string) bool {
			under = nonDir[a]
			return under != nil
		})
		if under == nil {
			continue
		}
		reason := fmt.Sprintf("lies under %q, which is not a directory", under.path)
		switch {
		case under.marker != "":
			reason = fmt.Sprintf("lies under %q, which a layer of the range deleted", whitedOut(under.path))
		case under.hdr.Typeflag == tar.TypeSymlink:
			reason = fmt.Sprintf("would be written through the symlink %q (-> %s)", under.path, under.hdr.Linkname)
		}
		return nil, &EntryError{Layer: m.layerNames[r.layer], Path: r.path, Reason: reason}
	}
	for i := range marks {
		mk := &marks[i]
		under := ancestors(mk.path, func(a string) bool { return nonDir[a] != nil })
		if !under {
			out = append(out, mk)
		}
	}
	sort.Slice(out, func(i, j int) bool { return lessPath(out[i].path, out[j].path) })
	return out, nil
}

// whitedOut returns the path a whiteout marker path hides.
func whitedOut(marker string) string {
	_, p := layer.Classify(marker, tar.TypeReg)
	return p
}

// lessPath orders paths component by component (so that a directory comes
// before everything under it), with the opaque marker first among its
// siblings: extractors that apply an opaque marker when they meet it then
// never remove entries of the same layer.
func lessPath(a, b string) bool {
	for {
		ai, bi := strings.IndexByte(a, '/'), strings.IndexByte(b, '/')
		ac, bc := a, b
		if ai >= 0 {
			ac = a[:ai]
		}
		if bi >= 0 {
			bc = b[:bi]
		}
		if ac != bc {
			if ac == opaqueMarker {
				return true
			}
			if bc == opaqueMarker {
				return false
			}
			return ac < bc
		}
		switch {
		case ai < 0:
			return bi >= 0
		case bi < 0:
			return false
		}
		a, b = a[ai+1:], b[bi+1:]
	}
}

// emitted returns the index of the live record at p, or -1.
func (m *merger) emitted(p string) int32 {
	st := m.state[p]
	if st == nil || st.rec < 0 || m.recs[st.rec].dead {
		return -1
	}
	return st.rec
}

// linkGroups turns every set of paths that name one file into one regular
// entry (the first path in write order, so that it is written before the
// links) and hard links to it, or, when the file is in a kept layer, into
// hard links to its path there.
func (m *merger) linkGroups() error {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	for _, l := range m.links {
		r := &m.recs[l.rec]
		if r.dead || r.pruned != "" {
			continue
		}
		parent[find(r.path)] = find(l.target)
	}
	// Links resolved to one file of a lower layer name one file.
	byInode := map[string]string{}
	for _, l := range m.stale {
		r := &m.recs[l.rec]
		if r.dead || r.pruned != "" {
			continue
		}
		if first, ok := byInode[r.inode]; ok {
			parent[find(r.path)] = find(first)
		} else {
			byInode[r.inode] = r.path
			find(r.path)
		}
	}
	groups := map[string][]string{}
	for x := range parent {
		root := find(x)
		groups[root] = append(groups[root], x)
	}
	// Check every link to a path that is not in the merged layer: it must
	// name a file the kept layers may hold.
	for _, l := range m.links {
		r := &m.recs[l.rec]
		if r.dead || r.pruned != "" {
			continue
		}
		if ti := m.emitted(l.target); ti >= 0 {
			t := &m.recs[ti]
			if t.pruned != "" {
				return &EntryError{Layer: m.layerNames[l.layer], Path: r.path,
					Reason: fmt.Sprintf("is a hard link to %q, which --prune would drop (%s); leave %s out of --prune", l.target, t.pruned, t.pruned)}
			}
			if t.hdr.Typeflag == tar.TypeDir {
				return m.badLink(l.layer, r.path, l.target, layer.TargetDir)
			}
			continue
		}
		st := m.state[l.target]
		if st != nil && st.decided != undecided || m.sealedBelow(l.target, int32(l.layer)+1) {
			return m.badLink(l.layer, r.path, l.target, layer.TargetMissing)
		}
	}
	for _, members := range groups {
		if len(members) < 2 {
			continue
		}
		sort.Slice(members, func(i, j int) bool { return lessPath(members[i], members[j]) })
		var live []*record
		var src *record
		external := ""
		for _, p := range members {
			ri := m.emitted(p)
			if ri < 0 {
				external = p
				continue
			}
			r := &m.recs[ri]
			if r.pruned != "" {
				continue
			}
			live = append(live, r)
			if r.hdr.Typeflag != tar.TypeLink {
				src = r
			}
		}
		if src == nil && external == "" {
			if len(live) > 0 {
				return &EntryError{Layer: m.layerNames[live[0].layer], Path: live[0].path, Reason: "is a hard link that leads to no file"}
			}
			continue
		}
		if src == nil {
			for _, r := range live {
				r.hdr.Typeflag, r.hdr.Linkname, r.hdr.Size = tar.TypeLink, external, 0
			}
			continue
		}
		holder := live[0]
		if holder != src {
			h := *src.hdr
			holder.hdr, holder.off = &h, src.off
		}
		for _, r := range live[1:] {
			h := *holder.hdr
			h.Typeflag, h.Linkname, h.Size = tar.TypeLink, holder.path, 0
			r.hdr = &h
		}
	}
	return nil
}

// header returns the tar header to write for r.
func (r *record) header() *tar.Header {
	switch r.marker {
	case "dir":
		return &tar.Header{Typeflag: tar.TypeDir, Name: r.path + "/", Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
	case "wh", "opq":
		return &tar.Header{Typeflag: tar.TypeReg, Name: r.path, Mode: 0, ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
	}
	name := r.path
	if r.hdr.Typeflag == tar.TypeDir {
		name += "/"
	}
	h := r.hdr.tarHeader(name)
	if h.Typeflag != tar.TypeReg {
		h.Size = 0
	}
	return h
}

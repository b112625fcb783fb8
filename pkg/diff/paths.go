package diff

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/account"
)

// side is one image's final filesystem, in path order: its regular files
// and its other paths, each sorted, read together by a cursor.
type side struct {
	files  []account.VisibleFile
	others []account.VisibleOther
	// first is, per file (VisibleFile.File), the index in files of its
	// first name in path order.
	first  []int32
	fi, oi int
}

// newSide sorts the report's lists of visible paths in place.
func newSide(r *account.Report) *side {
	s := &side{files: r.VisibleFiles, others: r.VisibleOthers}
	slices.SortFunc(s.files, func(a, b account.VisibleFile) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(s.others, func(a, b account.VisibleOther) int { return strings.Compare(a.Path, b.Path) })
	n := 0
	for i := range s.files {
		n = max(n, s.files[i].File+1)
	}
	s.first = make([]int32, n)
	for i := range s.first {
		s.first[i] = -1
	}
	for i := range s.files {
		if f := s.files[i].File; s.first[f] < 0 {
			s.first[f] = int32(i)
		}
	}
	return s
}

// peek returns the next path, "" with ok false at the end.
func (s *side) peek() (string, bool) {
	switch {
	case s.fi < len(s.files) && s.oi < len(s.others):
		return min(s.files[s.fi].Path, s.others[s.oi].Path), true
	case s.fi < len(s.files):
		return s.files[s.fi].Path, true
	case s.oi < len(s.others):
		return s.others[s.oi].Path, true
	}
	return "", false
}

// state is what a side holds at a path, before it is made a PathState
// (only changed paths are).
type state struct {
	file  *account.VisibleFile
	other *account.VisibleOther
	// bytes is what the path counts; linkOf a hard-linked file's first
	// name in path order when this is another (else "").
	bytes  int64
	linkOf string
}

// take returns the state at path p (the next path) and moves past it. A
// path is listed once in a final filesystem; should both lists name it,
// the regular file wins and the other is skipped.
func (s *side) take(p string) (st state, ok bool) {
	if s.fi < len(s.files) && s.files[s.fi].Path == p {
		f := &s.files[s.fi]
		st.file, st.bytes, ok = f, f.Bytes, true
		if first := s.first[f.File]; first != int32(s.fi) {
			st.bytes, st.linkOf = 0, s.files[first].Path
		}
		s.fi++
	}
	if s.oi < len(s.others) && s.others[s.oi].Path == p {
		if !ok {
			st.other, ok = &s.others[s.oi], true
		}
		s.oi++
	}
	return st, ok
}

// pathState makes the state reported.
func (s *side) pathState(st state) *PathState {
	if f := st.file; f != nil {
		ps := &PathState{Type: TypeFile, Size: f.Bytes, Bytes: st.bytes, Mode: mode(f.Mode), UID: f.UID, GID: f.GID, Layer: f.Layer}
		if st.linkOf != "" {
			ps.HardLinkOf = "/" + st.linkOf
		}
		if f.Hashed {
			ps.Digest = account.DuplicateDigestPrefix + hex.EncodeToString(f.Hash[:])
		}
		return ps
	}
	o := st.other
	ps := &PathState{Type: o.Type, Mode: mode(o.Mode), UID: o.UID, GID: o.GID, Target: o.Target, Layer: o.Layer}
	if o.Implicit {
		ps.Mode, ps.UID, ps.GID = "", 0, 0
	}
	return ps
}

// mode formats permission bits in octal.
func mode(m int64) string { return fmt.Sprintf("%04o", m) }

// meta is the type, mode and owner of a state; known is false for a
// directory no entry names.
func (st state) meta() (typ string, mode int64, uid, gid int, known bool) {
	if f := st.file; f != nil {
		return TypeFile, f.Mode, f.UID, f.GID, true
	}
	o := st.other
	return o.Type, o.Mode, o.UID, o.GID, !o.Implicit
}

// what lists what differs between two states of a path: the type; a
// regular file's content (its size, or its hash at equal size when both
// are hashed); which name of a hard-linked file it is; the mode (of two
// paths of one type) and the owner, unless a side is a directory no entry
// names; a symbolic link's target.
func what(a, b state) []string {
	out := []string{}
	at, am, au, ag, ak := a.meta()
	bt, bm, bu, bg, bk := b.meta()
	if at != bt {
		out = append(out, WhatType)
	}
	if fa, fb := a.file, b.file; fa != nil && fb != nil &&
		(fa.Bytes != fb.Bytes || fa.Hashed && fb.Hashed && fa.Hash != fb.Hash) {
		out = append(out, WhatContent)
	}
	if a.file != nil && b.file != nil && a.linkOf != b.linkOf {
		out = append(out, WhatLink)
	}
	if ak && bk && am != bm && at == bt {
		out = append(out, WhatMode)
	}
	if ak && bk && (au != bu || ag != bg) {
		out = append(out, WhatOwner)
	}
	if oa, ob := a.other, b.other; oa != nil && ob != nil && oa.Type == TypeSymlink && ob.Type == TypeSymlink && oa.Target != ob.Target {
		out = append(out, WhatTarget)
	}
	return out
}

// dirAcc sums the paths under one rolled-up directory.
type dirAcc struct {
	DirChange
	changed bool
}

// comparePaths walks both final filesystems in path order.
func comparePaths(old, new *account.Report, depth int) (PathChanges, DirChanges) {
	a, b := newSide(old), newSide(new)
	pc := PathChanges{Items: []PathChange{}}
	dirs := map[string]*dirAcc{}
	dirOf := func(p string) *dirAcc {
		d := rollUp(p, depth)
		acc := dirs[d]
		if acc == nil {
			acc = &dirAcc{DirChange: DirChange{Dir: d}}
			dirs[d] = acc
		}
		return acc
	}
	// The directory of the previous path, whose accumulator is reused:
	// neighbours in path order mostly share it.
	var lastDir string
	var last *dirAcc
	for {
		pa, oka := a.peek()
		pb, okb := b.peek()
		if !oka && !okb {
			break
		}
		p := pa
		switch {
		case !oka:
			p = pb
		case okb && pb < pa:
			p = pb
		}
		var sa, sb state
		var oka2, okb2 bool
		if oka && pa == p {
			sa, oka2 = a.take(p)
		}
		if okb && pb == p {
			sb, okb2 = b.take(p)
		}
		if dir := parent(p); last == nil || dir != lastDir {
			lastDir, last = dir, dirOf(p)
		}
		d := last
		ch := PathChange{Path: "/" + p, What: []string{}, DeltaBytes: sb.bytes - sa.bytes}
		d.OldBytes += sa.bytes
		d.NewBytes += sb.bytes
		switch {
		case !oka2:
			ch.Change = Added
			pc.Added++
			pc.AddedBytes += sb.bytes
			d.Added++
			d.AddedBytes += sb.bytes
		case !okb2:
			ch.Change = Removed
			pc.Removed++
			pc.RemovedBytes += sa.bytes
			d.Removed++
			d.RemovedBytes += sa.bytes
		default:
			ch.What = what(sa, sb)
			if len(ch.What) == 0 {
				pc.Unchanged++
				pc.UnchangedBytes += sb.bytes
				continue
			}
			ch.Change = Changed
			pc.Changed++
			pc.ChangedOldBytes += sa.bytes
			pc.ChangedNewBytes += sb.bytes
			d.Changed++
		}
		if oka2 {
			ch.Old = a.pathState(sa)
		}
		if okb2 {
			ch.New = b.pathState(sb)
		}
		d.changed = true
		pc.Items = append(pc.Items, ch)
	}
	slices.SortStableFunc(pc.Items, func(x, y PathChange) int {
		return cmp.Compare(abs(y.DeltaBytes), abs(x.DeltaBytes)) // stable: path order within
	})
	dc := DirChanges{Depth: depth, Items: []DirChange{}}
	for _, d := range dirs {
		if d.changed {
			d.DeltaBytes = d.NewBytes - d.OldBytes
			dc.Items = append(dc.Items, d.DirChange)
		}
	}
	slices.SortFunc(dc.Items, func(x, y DirChange) int {
		return cmp.Or(cmp.Compare(abs(y.DeltaBytes), abs(x.DeltaBytes)),
			cmp.Compare(y.AddedBytes+y.RemovedBytes, x.AddedBytes+x.RemovedBytes),
			strings.Compare(x.Dir, y.Dir))
	})
	return pc, dc
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// parent is the directory of a relative path ("" at the root).
func parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// rollUp is the absolute directory of the relative path p cut to depth
// names: "usr/lib/x/y.so" at depth 2 is "/usr/lib", "etc/passwd" is
// "/etc", "x" is "/".
func rollUp(p string, depth int) string {
	dir := parent(p)
	if dir == "" {
		return "/"
	}
	n := 0
	for i := 0; i < len(dir); i++ {
		if dir[i] == '/' {
			if n++; n == depth {
				return "/" + dir[:i]
			}
		}
	}
	return "/" + dir
}

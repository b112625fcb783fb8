package edit

import (
	"fmt"
	"sort"
)

// Edit replaces the bytes [Start, End) of the original source with Text.
// Start == End makes an insertion; an empty Text a deletion.
type Edit struct {
	Start int
	End   int
	Text  string
}

// Insert returns an edit inserting text at offset at.
func Insert(at int, text string) Edit { return Edit{Start: at, End: at, Text: text} }

// Replace returns an edit replacing [start, end) with text.
func Replace(start, end int, text string) Edit { return Edit{Start: start, End: end, Text: text} }

// Delete returns an edit removing [start, end).
func Delete(start, end int) Edit { return Edit{Start: start, End: end} }

// IsInsert reports whether e removes nothing.
func (e Edit) IsInsert() bool { return e.Start == e.End }

// String formats the edit for messages: "[12,20)->\"text\"".
func (e Edit) String() string { return fmt.Sprintf("[%d,%d)->%q", e.Start, e.End, e.Text) }

// overlaps reports whether a and b cannot both apply. Two non-empty ranges
// conflict when they share a byte; an insertion conflicts with a range that
// strictly contains its offset. Insertions at the same offset, and an
// insertion at either end of a range, compose.
func overlaps(a, b Edit) bool {
	switch {
	case a.IsInsert() && b.IsInsert():
		return false
	case a.IsInsert():
		return b.Start < a.Start && a.Start < b.End
	case b.IsInsert():
		return a.Start < b.Start && b.Start < a.End
	}
	return a.Start < b.End && b.Start < a.End
}

// RangeError reports an edit outside the source or with End before Start.
type RangeError struct {
	Edit Edit
	Len  int // length of the source
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("edit %v out of range for %d bytes", e.Edit, e.Len)
}

// ConflictError reports an edit overlapping one already accepted.
type ConflictError struct {
	Edit     Edit // the edit refused
	Existing Edit // the edit it overlaps
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("edit %v overlaps %v", e.Edit, e.Existing)
}

// Set is a group of non-overlapping edits against one source. The zero
// value is not usable; call NewSet.
type Set struct {
	src   []byte
	edits []Edit
}

// NewSet returns an empty set of edits against src. The set keeps src and
// never modifies it.
func NewSet(src []byte) *Set { return &Set{src: src} }

// Add accepts edits as one group: all of them, or none when any is out of
// range or overlaps another edit (in the set or in the group). The error is
// a *RangeError or a *ConflictError.
func (s *Set) Add(edits ...Edit) error {
	for i, e := range edits {
		if e.Start < 0 || e.End < e.Start || e.End > len(s.src) {
			return &RangeError{Edit: e, Len: len(s.src)}
		}
		for _, x := range s.edits {
			if overlaps(e, x) {
				return &ConflictError{Edit: e, Existing: x}
			}
		}
		for _, x := range edits[:i] {
			if overlaps(e, x) {
				return &ConflictError{Edit: e, Existing: x}
			}
		}
	}
	s.edits = append(s.edits, edits...)
	return nil
}

// Len returns the number of edits accepted.
func (s *Set) Len() int { return len(s.edits) }

// Edits returns the accepted edits in the order they apply.
func (s *Set) Edits() []Edit {
	out := append([]Edit(nil), s.edits...)
	sortEdits(out)
	return out
}

// Apply returns a new slice holding the source with every edit applied.
// Insertions at the same offset keep the order in which they were added,
// and come before a range starting at that offset.
func (s *Set) Apply() []byte {
	edits := s.Edits()
	n := len(s.src)
	for _, e := range edits {
		n += len(e.Text) - (e.End - e.Start)
	}
	out := make([]byte, 0, n)
	pos := 0
	for _, e := range edits {
		out = append(out, s.src[pos:e.Start]...)
		out = append(out, e.Text...)
		pos = e.End
	}
	return append(out, s.src[pos:]...)
}

// sortEdits orders edits by offset, insertions before ranges at the same
// offset, keeping the order of addition otherwise.
func sortEdits(edits []Edit) {
	sort.SliceStable(edits, func(i, j int) bool {
		a, b := edits[i], edits[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		return a.IsInsert() && !b.IsInsert()
	})
}

// Apply applies edits to src as one group; see Set.Add and Set.Apply.
func Apply(src []byte, edits ...Edit) ([]byte, error) {
	s := NewSet(src)
	if err := s.Add(edits...); err != nil {
		return nil, err
	}
	return s.Apply(), nil
}

// Origin maps an offset in the output of Apply back to the source: an
// offset inside text an edit wrote maps to the start of that edit, any
// other offset to the source byte it was copied from.
func (s *Set) Origin(off int) int {
	delta := 0
	for _, e := range s.Edits() {
		outStart := e.Start + delta
		if off < outStart {
			break
		}
		if off < outStart+len(e.Text) {
			return e.Start
		}
		delta += len(e.Text) - (e.End - e.Start)
	}
	return clamp(s.src, off-delta)
}

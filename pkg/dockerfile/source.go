package dockerfile

import (
	"bytes"
	"sort"
	"unicode"
)

// indexLines records the offset of the first byte of every line of Src.
// Lines end at '\n', as BuildKit's scanner splits them.
func (f *File) indexLines() {
	f.lines = []int{0}
	for i, c := range f.Src {
		if c == '\n' && i+1 < len(f.Src) {
			f.lines = append(f.lines, i+1)
		}
	}
}

// PosAt returns the position of a byte offset in Src. Offsets past the end
// give the position just after the last byte.
func (f *File) PosAt(offset int) Pos {
	if f == nil || len(f.lines) == 0 {
		return Pos{Offset: offset, Line: 1, Col: offset + 1}
	}
	if offset < 0 {
		offset = 0
	}
	if offset > len(f.Src) {
		offset = len(f.Src)
	}
	i := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > offset }) - 1
	if i < 0 {
		i = 0
	}
	return Pos{Offset: offset, Line: i + 1, Col: offset - f.lines[i] + 1}
}

// RangeOf returns the range of the byte span [start, end) of Src.
func (f *File) RangeOf(start, end int) Range {
	return Range{Start: f.PosAt(start), End: f.PosAt(end)}
}

// LineCount returns the number of lines in Src.
func (f *File) LineCount() int { return len(f.lines) }

// line returns the bytes of 1-based line n without its line ending, and the
// offset of its first byte.
func (f *File) line(n int) ([]byte, int) {
	if n < 1 || n > len(f.lines) {
		return nil, len(f.Src)
	}
	start := f.lines[n-1]
	end := len(f.Src)
	if n < len(f.lines) {
		end = f.lines[n]
	}
	return bytes.TrimRight(f.Src[start:end], "\r\n"), start
}

// lineEnd returns the offset just past line n's content (before "\r\n").
func (f *File) lineEnd(n int) int {
	b, start := f.line(n)
	return start + len(b)
}

// mapped is text rebuilt from Src with the Src offset of each byte.
type mapped struct {
	text []byte
	offs []int
}

func (m *mapped) add(src []byte, at int) {
	m.text = append(m.text, src...)
	for i := range src {
		m.offs = append(m.offs, at+i)
	}
}

func (m *mapped) slice(i, j int) mapped {
	return mapped{text: m.text[i:j], offs: m.offs[i:j]}
}

var bom = []byte{0xEF, 0xBB, 0xBF}

func isSpaceByte(c byte) bool { return unicode.IsSpace(rune(c)) }

func isCommentLine(b []byte) bool {
	b = bytes.TrimLeftFunc(b, unicode.IsSpace)
	return len(b) > 0 && b[0] == '#'
}

// logicalLine rebuilds the instruction text BuildKit sees for the node that
// starts at line start: leading whitespace of the first line trimmed,
// continuation characters removed, comment and empty lines inside the
// continuation dropped. It returns the text and the last line it used.
func (f *File) logicalLine(start int) (mapped, int) {
	var m mapped
	n := start
	b, off := f.line(n)
	if n == 1 {
		if bytes.HasPrefix(b, bom) {
			b, off = b[3:], off+3
		}
	}
	lead := len(b) - len(bytes.TrimLeftFunc(b, unicode.IsSpace))
	b, off = b[lead:], off+lead
	seg, end := cutContinuation(b, f.Escape)
	m.add(seg, off)
	for !end && n < len(f.lines) {
		n++
		b, off = f.line(n)
		if isCommentLine(b) {
			continue
		}
		if len(bytes.TrimLeftFunc(b, unicode.IsSpace)) == 0 {
			continue
		}
		seg, end = cutContinuation(b, f.Escape)
		m.add(seg, off)
	}
	return m, n
}

// cutContinuation removes a trailing continuation character and reports
// whether the logical line ends here. It matches BuildKit's pattern
// ([^E])E[ \t]*$|^E[ \t]*$ for the escape character E, without a regexp:
// the escape must be the last byte before trailing blanks and must not
// itself be escaped.
func cutContinuation(b []byte, escape byte) ([]byte, bool) {
	n := len(b)
	for n > 0 && (b[n-1] == ' ' || b[n-1] == '\t') {
		n--
	}
	if n == 0 || b[n-1] != escape {
		return b, true
	}
	if n == 1 {
		return b[:0], false
	}
	if b[n-2] == escape {
		return b, true
	}
	return b[:n-1], false
}

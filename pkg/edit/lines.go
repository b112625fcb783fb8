package edit

import "bytes"

// LineStart returns the offset of the first byte of the line holding off.
func LineStart(src []byte, off int) int {
	off = clamp(src, off)
	return bytes.LastIndexByte(src[:off], '\n') + 1
}

// LineEnd returns the offset of the newline ending the line holding off
// (before a "\r" of a CRLF), or len(src) on the last line.
func LineEnd(src []byte, off int) int {
	off = clamp(src, off)
	i := bytes.IndexByte(src[off:], '\n')
	if i < 0 {
		return len(src)
	}
	end := off + i
	if end > off && src[end-1] == '\r' {
		end--
	}
	return end
}

// NextLine returns the offset just after the newline ending the line
// holding off, or len(src) on the last line.
func NextLine(src []byte, off int) int {
	off = clamp(src, off)
	i := bytes.IndexByte(src[off:], '\n')
	if i < 0 {
		return len(src)
	}
	return off + i + 1
}

// WholeLines widens [start, end) to whole lines: from the start of the
// line holding start to just after the newline ending the line holding
// end-1. Deleting the result removes those lines and leaves no blank line.
func WholeLines(src []byte, start, end int) (int, int) {
	if end > start {
		end--
	}
	return LineStart(src, start), NextLine(src, end)
}

func clamp(src []byte, off int) int {
	if off < 0 {
		return 0
	}
	if off > len(src) {
		return len(src)
	}
	return off
}

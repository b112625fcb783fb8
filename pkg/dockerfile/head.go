package dockerfile

import (
	"bytes"
	"strings"
	"unicode"
)

// span is a half-open range of indices into a mapped text.
type span struct{ start, end int }

// head locates, in an instruction's logical line, the keyword, each
// builder flag word and the argument text, following BuildKit's
// splitCommand and extractBuilderFlags.
type head struct {
	keyword span
	flags   []span
	args    span
}

func isLineSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'
}

func splitHead(line []byte, escape byte) head {
	var h head
	// strings.TrimSpace, as splitCommand does: Unicode spaces, by rune.
	i := len(line) - len(bytes.TrimLeftFunc(line, unicode.IsSpace))
	n := len(bytes.TrimRightFunc(line, unicode.IsSpace))
	if n < i {
		n = i
	}
	h.keyword.start = i
	for i < n && !isLineSpace(line[i]) {
		i++
	}
	h.keyword.end = i
	for i < n && isLineSpace(line[i]) {
		i++
	}
	// extractBuilderFlags over line[i:n], keeping word positions: the
	// same state machine, building each word's value to apply BuildKit's
	// tests ("--" ends the flags; empty words count only if quoted).
	pos := i
	for {
		for pos < n && isSpaceByte(line[pos]) {
			pos++
		}
		if pos >= n || line[pos] != '-' || pos+1 >= n || line[pos+1] != '-' {
			break
		}
		start := pos
		var word []byte
		var quote byte
		inQuote, blankOK := false, false
		for pos < n {
			c := line[pos]
			if inQuote {
				if c == quote {
					inQuote = false
					pos++
					continue
				}
				if c == escape {
					if pos+1 == n {
						inQuote = false
						pos++
						continue
					}
					pos++
					c = line[pos]
				}
				word = append(word, c)
				pos++
				continue
			}
			if isSpaceByte(c) {
				break
			}
			if c == '\'' || c == '"' {
				quote, inQuote, blankOK = c, true, true
				pos++
				continue
			}
			if c == escape {
				if pos+1 == n {
					pos++
					continue
				}
				pos++
				c = line[pos]
			}
			word = append(word, c)
			pos++
		}
		if string(word) == "--" {
			break // "--" ends the flags
		}
		if blankOK || len(word) > 0 {
			h.flags = append(h.flags, span{start, pos})
		}
	}
	// extractBuilderFlags skips spaces byte by byte, then the rest is
	// trimmed by rune.
	for pos < n && isSpaceByte(line[pos]) {
		pos++
	}
	pos += len(line[pos:n]) - len(bytes.TrimLeftFunc(line[pos:n], unicode.IsSpace))
	h.args = span{pos, n}
	return h
}

// parseFlag splits a BuildKit flag word ("--name=value") into a Flag.
func parseFlag(word string) Flag {
	word = strings.TrimPrefix(word, "--")
	name, value, ok := strings.Cut(word, "=")
	return Flag{Name: name, Value: value, HasValue: ok}
}

package edit

import (
	"bytes"
	"strings"
)

// Style is how a Dockerfile writes shell across lines. New shell written
// with Append follows it, so that repaired instructions look like their
// neighbours.
type Style struct {
	// Escape is the line-continuation character: '\\', or '`' under an
	// "# escape=`" directive.
	Escape byte
	// Newline is "\n", or "\r\n" in files written with CRLF line endings.
	Newline string
	// Indent is the leading whitespace of continuation lines.
	Indent string
	// OperatorFirst puts the operator at the start of continuation lines
	// ("    && cmd") rather than at the end of the previous one ("&& \").
	OperatorFirst bool
}

// DefaultStyle is used where an instruction shows nothing to copy:
// backslash, LF, four spaces, operators at line end.
func DefaultStyle() Style {
	return Style{Escape: '\\', Newline: "\n", Indent: "    "}
}

// DetectStyle reads the style of the bytes of one instruction (or a whole
// file), continued by escape. Comment and blank lines inside continuations
// are ignored. What the text does not show comes from DefaultStyle.
func DetectStyle(text []byte, escape byte) Style {
	st := DefaultStyle()
	if escape != 0 {
		st.Escape = escape
	}
	if bytes.Contains(text, []byte("\r\n")) {
		st.Newline = "\r\n"
	}
	lines := strings.Split(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n")
	// Indents of continuation lines that start a command (after an
	// operator) are preferred to those of argument lines.
	cmdIndents, argIndents := map[string]int{}, map[string]int{}
	var first, last int
	continued, afterOp := false, false
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if i > 0 && continued && trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			opFirst := strings.HasPrefix(trimmed, "&&") || strings.HasPrefix(trimmed, "||")
			if opFirst {
				first++
			}
			if indent != "" {
				if opFirst || afterOp {
					cmdIndents[indent]++
				} else {
					argIndents[indent]++
				}
			}
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			// A comment or blank line inside a continuation keeps it going.
			continue
		}
		body := strings.TrimRight(line, " \t")
		continued = strings.HasSuffix(body, string(st.Escape))
		afterOp = false
		if continued {
			op := strings.TrimRight(strings.TrimSuffix(body, string(st.Escape)), " \t")
			if strings.HasSuffix(op, "&&") || strings.HasSuffix(op, "||") {
				last++
				afterOp = true
			}
			afterOp = afterOp || strings.HasSuffix(op, ";") || strings.HasSuffix(op, "|")
		}
	}
	if best := mostCommon(cmdIndents); best != "" {
		st.Indent = best
	} else if best := mostCommon(argIndents); best != "" {
		st.Indent = best
	}
	st.OperatorFirst = first > last
	return st
}

// Append returns the text that chains cmds after an existing command, each
// joined with op ("&&" or ";"). On one line when multiline is false
// (" && a && b"); otherwise each command on its own continuation line, in
// the style's indentation, escape character and operator placement.
func (s Style) Append(op string, multiline bool, cmds ...string) string {
	var b strings.Builder
	for _, c := range cmds {
		switch {
		case !multiline && op == ";":
			b.WriteString("; " + c)
		case !multiline:
			b.WriteString(" " + op + " " + c)
		case s.OperatorFirst && op != ";":
			b.WriteString(" " + string(s.Escape) + s.Newline + s.Indent + op + " " + c)
		default:
			b.WriteString(spaceOp(op) + " " + string(s.Escape) + s.Newline + s.Indent + c)
		}
	}
	return b.String()
}

func spaceOp(op string) string {
	if op == ";" {
		return ";"
	}
	return " " + op
}

// mostCommon returns the key seen most often, the shortest on ties.
func mostCommon(m map[string]int) string {
	best, n := "", 0
	for k, c := range m {
		if c > n || (c == n && (len(k) < len(best) || len(k) == len(best) && k < best)) {
			best, n = k, c
		}
	}
	return best
}

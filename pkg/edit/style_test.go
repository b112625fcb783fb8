package edit

import "testing"

func TestDetectStyle(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		escape byte
		want   Style
	}{
		{"single line", "RUN a && b", '\\', DefaultStyle()},
		{"op last, two spaces", "RUN a && \\\n  b && \\\n  c", '\\',
			Style{Escape: '\\', Newline: "\n", Indent: "  "}},
		{"op first, tab", "RUN a \\\n\t&& b \\\n\t&& c", '\\',
			Style{Escape: '\\', Newline: "\n", Indent: "\t", OperatorFirst: true}},
		{"comment lines ignored", "RUN a && \\\n# note\n      b && \\\n      c", '\\',
			Style{Escape: '\\', Newline: "\n", Indent: "      "}},
		{"backtick and CRLF", "RUN a; `\r\n    b", '`',
			Style{Escape: '`', Newline: "\r\n", Indent: "    "}},
		{"command lines win over argument lines", "RUN a && \\\n  b \\\n      x \\\n      y \\\n      z", '\\',
			Style{Escape: '\\', Newline: "\n", Indent: "  "}},
		{"most common indent wins", "RUN a && \\\n    b && \\\n    c && \\\n        d", '\\',
			Style{Escape: '\\', Newline: "\n", Indent: "    "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectStyle([]byte(tc.text), tc.escape); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAppend(t *testing.T) {
	opLast := Style{Escape: '\\', Newline: "\n", Indent: "  "}
	opFirst := Style{Escape: '\\', Newline: "\n", Indent: "\t", OperatorFirst: true}
	win := Style{Escape: '`', Newline: "\r\n", Indent: "    "}
	tests := []struct {
		name      string
		st        Style
		op        string
		multiline bool
		cmds      []string
		want      string
	}{
		{"inline", opLast, "&&", false, []string{"a", "b"}, " && a && b"},
		{"inline semicolon", opLast, ";", false, []string{"a"}, "; a"},
		{"op last", opLast, "&&", true, []string{"a", "b"}, " && \\\n  a && \\\n  b"},
		{"op first", opFirst, "&&", true, []string{"a"}, " \\\n\t&& a"},
		{"semicolon ignores op first", opFirst, ";", true, []string{"a"}, "; \\\n\ta"},
		{"windows", win, "&&", true, []string{"a"}, " && `\r\n    a"},
		{"nothing", opLast, "&&", true, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.st.Append(tc.op, tc.multiline, tc.cmds...); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	src := []byte("FROM a\r\nRUN b \\\n  c\nCMD d")
	tests := []struct {
		name             string
		off              int
		start, end, next int
	}{
		{"first line", 2, 0, 6, 8},
		{"continuation", 12, 8, 15, 16},
		{"last line no newline", 22, 20, 25, 25},
		{"clamped", 99, 20, 25, 25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if g := LineStart(src, tc.off); g != tc.start {
				t.Errorf("LineStart = %d, want %d", g, tc.start)
			}
			if g := LineEnd(src, tc.off); g != tc.end {
				t.Errorf("LineEnd = %d, want %d", g, tc.end)
			}
			if g := NextLine(src, tc.off); g != tc.next {
				t.Errorf("NextLine = %d, want %d", g, tc.next)
			}
		})
	}
	// Deleting RUN's two lines leaves FROM and CMD.
	s, e := WholeLines(src, 8, 18)
	if got := string(src[:s]) + string(src[e:]); got != "FROM a\r\nCMD d" {
		t.Errorf("WholeLines delete = %q", got)
	}
}

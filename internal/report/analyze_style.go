package report

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
)

// palette colours text with ANSI escapes when enabled; the zero value
// prints plain text.
type palette struct{ on bool }

func (p palette) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) bold(s string) string   { return p.wrap("1", s) }
func (p palette) dim(s string) string    { return p.wrap("2", s) }
func (p palette) red(s string) string    { return p.wrap("31", s) }
func (p palette) green(s string) string  { return p.wrap("32", s) }
func (p palette) yellow(s string) string { return p.wrap("33", s) }

// cell is one table cell: its plain text (which sets the width) and the
// function that styles it.
type cell struct {
	text  string
	style func(string) string
	right bool // right-aligned
}

func plain(s string) cell { return cell{text: s} }
func num(s string) cell   { return cell{text: s, right: true} }
func styled(s string, f func(string) string) cell {
	return cell{text: s, style: f}
}

// table writes rows with columns padded to the widest plain text, so that
// colour escapes do not upset the alignment. The last column is not padded.
func table(w io.Writer, indent string, rows [][]cell) error {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	for _, r := range rows {
		var sb strings.Builder
		sb.WriteString(indent)
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text))
			text := c.text
			if c.style != nil {
				text = c.style(text)
			}
			switch {
			case c.right:
				sb.WriteString(pad + text)
			case i == len(r)-1:
				sb.WriteString(text)
			default:
				sb.WriteString(text + pad)
			}
			if i < len(r)-1 {
				sb.WriteString("  ")
			}
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(sb.String(), " ")); err != nil {
			return err
		}
	}
	return nil
}

// size formats a byte count for people ("41 kB"), in SI units as docker and
// dive print them.
func size(n int64) string {
	if n < 0 {
		return "-" + humanize.Bytes(uint64(-n))
	}
	return humanize.Bytes(uint64(n))
}

// exact formats a byte count in full ("40,960 bytes").
func exact(n int64) string {
	if n == 1 {
		return "1 byte"
	}
	return humanize.Comma(n) + " bytes"
}

// percent formats a ratio as a percentage with two decimals.
func percent(ratio float64) string { return fmt.Sprintf("%.2f %%", ratio*100) }

// plural returns "1 file" or "3 files".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return humanize.Comma(n) + " " + many
}

var (
	nopPrefix     = regexp.MustCompile(`^/bin/(ba)?sh -c #\(nop\)\s*`)
	shellPrefix   = regexp.MustCompile(`^(RUN )?(\|\d+ .*?)?/bin/(ba)?sh -c\s+`)
	longHex       = regexp.MustCompile(`\b([0-9a-f]{12})[0-9a-f]{20,}\b`)
	spaces        = regexp.MustCompile(`\s+`)
	buildkitTrail = regexp.MustCompile(`\s*# buildkit$`)
)

// ShortCreatedBy shortens a history entry's created_by for a table: the
// shell prefix that builders record becomes the instruction it stands for
// ("/bin/sh -c #(nop)  CMD [...]" is "CMD [...]", "/bin/sh -c apt-get ..." is
// "RUN apt-get ..."), long hex digests are cut to 12 digits, whitespace is
// collapsed, and the result is cut to width runes.
func ShortCreatedBy(s string, width int) string {
	s = strings.TrimSpace(buildkitTrail.ReplaceAllString(strings.TrimSpace(s), ""))
	switch {
	case s == "":
		return "(no history)"
	case nopPrefix.MatchString(s):
		s = nopPrefix.ReplaceAllString(s, "")
	case shellPrefix.MatchString(s):
		s = "RUN " + shellPrefix.ReplaceAllString(s, "")
	}
	s = longHex.ReplaceAllString(s, "${1}…")
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if width > 1 && utf8.RuneCountInString(s) > width {
		r := []rune(s)
		s = string(r[:width-1]) + "…"
	}
	return s
}

package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/whittle/whittle/pkg/edit"
)

// useraddLastlog is WH605: useradd with a large numeric UID and without
// -l (--no-log-init).
type useraddLastlog struct{}

func (useraddLastlog) Meta() Meta {
	return Meta{
		ID:       "WH605",
		Name:     "useradd-lastlog",
		Summary:  "useradd with a large UID and without -l writes a sparse /var/log/lastlog sized by the UID, which the layer stores in full.",
		Hadolint: []string{"DL3046"},
		Severity: Warning,
		Doc:      "docs/rules/WH605.md",
		Repair:   Safe,
		Measure:  MeasurePaths,
		Intent:   []string{"lastlog", "log-init"},
	}
}

// lastlogRecord is the size of one struct lastlog record on Linux (glibc,
// 64-bit): useradd seeks to uid*lastlogRecord and writes one record.
const lastlogRecord = 292

func (useraddLastlog) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		for _, c := range ri.cmds {
			if c.Name != "useradd" || c.hasFlag("no-log-init", "l") {
				continue
			}
			uid, ok := useraddUID(c)
			// hadolint's threshold: a UID of more than 5 digits.
			if !ok || len(uid) <= 5 {
				continue
			}
			n, err := strconv.ParseUint(uid, 10, 32)
			if err != nil {
				continue
			}
			size := humanize.Bytes((n + 1) * lastlogRecord)
			f := p.FindingAt(ri.rangeOf(c),
				fmt.Sprintf("useradd -u %s without -l writes /var/log/lastlog as a sparse file of %s, which the layer stores in full", uid, size),
				"add -l (--no-log-init) to useradd")
			f.Paths = []string{"/var/log/lastlog", "/var/log/faillog"}
			if cl, ok := ri.shell().callOf(c.Command); ok {
				name := cl.ce.Args[0]
				if cl.sudo {
					name = cl.ce.Args[1]
				}
				f.Repair = newRepair(p.File, Safe, "add -l (--no-log-init) to useradd", "", edit.Insert(ri.shell().wordEnd(name), " -l"))
			}
			out = append(out, f)
		}
	}
	return out
}

// useraddUID returns the literal value of useradd's -u/--uid.
func useraddUID(c command) (string, bool) {
	for j, a := range c.Args {
		switch {
		case (a == "-u" || a == "--uid") && j+1 < len(c.Args):
			return c.Args[j+1], isDigits(c.Args[j+1])
		case strings.HasPrefix(a, "--uid="):
			v := strings.TrimPrefix(a, "--uid=")
			return v, isDigits(v)
		case strings.HasPrefix(a, "-u") && len(a) > 2 && isDigits(a[2:]):
			return a[2:], true
		}
	}
	return "", false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

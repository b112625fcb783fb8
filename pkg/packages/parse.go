package packages

import (
	"bytes"
	"path"
	"strings"
)

// DpkgRecord is one package stanza of a dpkg status file (or of a file of
// distroless's status.d, which has no Status field).
type DpkgRecord struct {
	Package, Version, Architecture string
	// Status is the Status field as written ("install ok installed"), ""
	// when absent.
	Status string
}

// installed reports whether the record is a package whose files are on
// disk: any state but not-installed and config-files (removed, only its
// configuration files left). A record without Status (status.d) is
// installed.
func (r DpkgRecord) installed() bool {
	if r.Status == "" {
		return true
	}
	f := strings.Fields(r.Status)
	if len(f) == 0 {
		return false
	}
	switch f[len(f)-1] {
	case "not-installed", "config-files":
		return false
	}
	return true
}

// lines calls fn with each line of b, without its "\n" (and "\r").
func lines(b []byte, fn func(line []byte)) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		var l []byte
		if i < 0 {
			l, b = b, nil
		} else {
			l, b = b[:i], b[i+1:]
		}
		fn(bytes.TrimSuffix(l, []byte("\r")))
	}
}

// ParseDpkgStatus reads the stanzas of a dpkg status file: fields
// "Name: value" (names in any case), continuation lines starting with a
// space or tab, stanzas separated by blank lines. Stanzas without a
// Package field are skipped.
func ParseDpkgStatus(b []byte) []DpkgRecord {
	var out []DpkgRecord
	var cur DpkgRecord
	flush := func() {
		if cur.Package != "" {
			out = append(out, cur)
		}
		cur = DpkgRecord{}
	}
	lines(b, func(l []byte) {
		if len(bytes.TrimSpace(l)) == 0 {
			flush()
			return
		}
		if l[0] == ' ' || l[0] == '\t' {
			return // a continuation of a field we do not read
		}
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			return
		}
		v := string(bytes.TrimSpace(value))
		switch n := string(bytes.TrimSpace(name)); {
		case strings.EqualFold(n, "Package"):
			cur.Package = v
		case strings.EqualFold(n, "Version"):
			cur.Version = v
		case strings.EqualFold(n, "Architecture"):
			cur.Architecture = v
		case strings.EqualFold(n, "Status"):
			cur.Status = v
		}
	})
	flush()
	return out
}

// ParseDpkgFileList reads a dpkg info/NAME.list file: one absolute path a
// line. Paths are returned relative to the root and cleaned; the root
// itself ("/.") and empty lines are skipped.
func ParseDpkgFileList(b []byte) []string {
	var out []string
	lines(b, func(l []byte) {
		if p := cleanRel(string(l)); p != "" {
			out = append(out, p)
		}
	})
	return out
}

// ParseDpkgMd5sums reads a md5sums file ("HASH  path" a line, the path
// relative to the root, "*path" for binary mode) and returns its paths,
// cleaned.
func ParseDpkgMd5sums(b []byte) []string {
	var out []string
	lines(b, func(l []byte) {
		i := bytes.IndexAny(l, " \t")
		if i <= 0 {
			return
		}
		rest := bytes.TrimLeft(l[i:], " \t")
		rest = bytes.TrimPrefix(rest, []byte("*"))
		if p := cleanRel(string(rest)); p != "" {
			out = append(out, p)
		}
	})
	return out
}

// Diversion is one dpkg diversion: the file that packages other than By
// ship at From is installed at To instead. By is ":" for a local
// diversion (made by the administrator: every package's file moves).
type Diversion struct {
	From, To, By string
}

// ParseDpkgDiversions reads /var/lib/dpkg/diversions: groups of three
// lines (from, to, diverting package). Paths are returned relative to the
// root, cleaned; an incomplete last group, or one with an empty path, is
// skipped.
func ParseDpkgDiversions(b []byte) []Diversion {
	var out []Diversion
	var group []string
	lines(b, func(l []byte) {
		group = append(group, string(l))
		if len(group) < 3 {
			return
		}
		d := Diversion{From: cleanRel(group[0]), To: cleanRel(group[1]), By: strings.TrimSpace(group[2])}
		if d.From != "" && d.To != "" && d.By != "" {
			out = append(out, d)
		}
		group = group[:0]
	})
	return out
}

// ApkRecord is one package of apk's installed database.
type ApkRecord struct {
	Name, Version, Architecture string
	// Files are the package's files (R: lines, under the directory of
	// the F: line before them), relative to the root, cleaned.
	Files []string
}

// ParseApkInstalled reads apk's /lib/apk/db/installed: stanzas of
// "X:value" lines separated by blank lines; P: name, V: version,
// A: architecture, F: a directory, R: a file in the last F: directory
// (the root before any F:). Other lines (a:, Z:, M: and the rest) are
// ignored; stanzas without P: are skipped.
func ParseApkInstalled(b []byte) []ApkRecord {
	var out []ApkRecord
	var cur ApkRecord
	dir := ""
	flush := func() {
		if cur.Name != "" {
			out = append(out, cur)
		}
		cur, dir = ApkRecord{}, ""
	}
	lines(b, func(l []byte) {
		if len(bytes.TrimSpace(l)) == 0 {
			flush()
			return
		}
		if len(l) < 2 || l[1] != ':' {
			return
		}
		v := string(l[2:])
		switch l[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Architecture = v
		case 'F':
			dir = cleanRel(v)
		case 'R':
			if p := cleanRel(dir + "/" + v); v != "" && p != "" {
				cur.Files = append(cur.Files, p)
			}
		}
	})
	flush()
	return out
}

// cleanRel makes p relative to the root and clean: "/usr//bin/" is
// "usr/bin"; the root is "". A path that leaves the root ("../x") stays
// under it ("x"), as a tar extractor would put it.
func cleanRel(p string) string {
	p = path.Clean("/" + p)
	return p[1:]
}

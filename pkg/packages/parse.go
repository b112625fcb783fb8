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
	// Depends are the names the package needs (Depends and Pre-Depends)
	// or recommends (Recommends), every alternative of an "a | b", without
	// version constraints or architecture qualifiers, in field order; they
	// may name a virtual package (see Provides). Nil when there are none.
	Depends []string
	// Provides are the virtual package names the package provides.
	Provides []string
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
		case strings.EqualFold(n, "Depends"), strings.EqualFold(n, "Pre-Depends"), strings.EqualFold(n, "Recommends"):
			cur.Depends = append(cur.Depends, dpkgRelations(v)...)
		case strings.EqualFold(n, "Provides"):
			cur.Provides = append(cur.Provides, dpkgRelations(v)...)
		}
	})
	flush()
	return out
}

// dpkgRelations reads a relationship field ("libc6 (>= 2.34), gcc-12 |
// clang:any, awk"): the package names of every alternative, without
// version constraints ("(>= 2.34)"), architecture qualifiers (":any") or
// architecture restrictions ("[amd64]") and build profiles ("<!nocheck>").
func dpkgRelations(v string) []string {
	var out []string
	for _, group := range strings.Split(v, ",") {
		for _, alt := range strings.Split(group, "|") {
			name := strings.TrimSpace(alt)
			if i := strings.IndexAny(name, " \t([<"); i >= 0 {
				name = name[:i]
			}
			name, _, _ = strings.Cut(name, ":")
			if name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// ParseAptExtendedStates reads apt's /var/lib/apt/extended_states: stanzas
// of Package, Architecture and Auto-Installed. It returns the packages
// marked installed automatically ("Auto-Installed: 1"), as "NAME:ARCH"
// ("NAME" when the stanza has no Architecture).
func ParseAptExtendedStates(b []byte) []string {
	var out []string
	var name, arch string
	auto := false
	flush := func() {
		if name != "" && auto {
			if arch != "" {
				out = append(out, name+":"+arch)
			} else {
				out = append(out, name)
			}
		}
		name, arch, auto = "", "", false
	}
	lines(b, func(l []byte) {
		if len(bytes.TrimSpace(l)) == 0 {
			flush()
			return
		}
		if l[0] == ' ' || l[0] == '\t' {
			return
		}
		n, value, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			return
		}
		v := string(bytes.TrimSpace(value))
		switch n := string(bytes.TrimSpace(n)); {
		case strings.EqualFold(n, "Package"):
			name = v
		case strings.EqualFold(n, "Architecture"):
			arch = v
		case strings.EqualFold(n, "Auto-Installed"):
			auto = v == "1"
		}
	})
	flush()
	return out
}

// ParseApkWorld reads apk's /etc/apk/world: the names the administrator
// asked for (whitespace-separated constraints such as "curl",
// "python3>=3.11", "so:libz.so.1", ".build-deps", "name@testing"),
// without their version or repository tag. Conflicts ("!name") are
// skipped.
func ParseApkWorld(b []byte) []string {
	var out []string
	for _, w := range strings.Fields(string(b)) {
		if strings.HasPrefix(w, "!") {
			continue
		}
		if n := apkName(w); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// apkName is the name of an apk dependency or provide ("gcc>=13",
// "cmd:cc=13.2", "name@tag", "name~1.2"): the text before its version
// or tag.
func apkName(w string) string {
	if i := strings.IndexAny(w, "<>=~@"); i >= 0 {
		w = w[:i]
	}
	return w
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
	// Depends are the names of its D: line without versions (conflicts,
	// "!name", skipped); they may name what another package provides
	// ("so:libc.musl-x86_64.so.1", "cmd:cc"). Provides are the names of
	// its p: line, without versions.
	Depends, Provides []string
}

// ParseApkInstalled reads apk's /lib/apk/db/installed: stanzas of
// "X:value" lines separated by blank lines; P: name, V: version,
// A: architecture, F: a directory, R: a file in the last F: directory
// (the root before any F:), D: dependencies, p: provides. Other lines
// (a:, Z:, M: and the rest) are ignored; stanzas without P: are skipped.
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
		case 'D':
			for _, w := range strings.Fields(v) {
				if n := apkName(w); n != "" && !strings.HasPrefix(w, "!") {
					cur.Depends = append(cur.Depends, n)
				}
			}
		case 'p':
			for _, w := range strings.Fields(v) {
				if n := apkName(w); n != "" {
					cur.Provides = append(cur.Provides, n)
				}
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

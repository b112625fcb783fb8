package rules

import (
	"path"
	"regexp"
	"strings"

	"github.com/whittle/whittle/pkg/shellfacts"
)

// File facts of one RUN, shared by WH601 (files left in /tmp) and WH602
// (downloaded archives left after extraction). What each command writes
// comes from pkg/shellfacts (downloads, extractions, copies, redirections,
// with the working directory resolved); git clone and mktemp, which it does
// not model, are read here from their words.

// made is a file or directory a command of the RUN creates.
type made struct {
	path     string // absolute when known, else as written
	at       int    // index of the creating command
	download bool   // fetched by curl, wget or git clone
}

// archiveExts are the file name endings of archives, compound endings
// before their last part (".tar.gz" before ".gz").
var archiveExts = []string{".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.lzma", ".tar.lz", ".jar.zip",
	".tgz", ".tbz2", ".tbz", ".tb2", ".txz", ".tzst", ".tlz", ".tar",
	".gz", ".bz2", ".xz", ".zst", ".lzma", ".lz", ".z", ".zip", ".7z"}

// isArchiveName reports whether a file name ends like an archive.
func isArchiveName(name string) bool {
	l := strings.ToLower(baseName(unquote(name)))
	for _, e := range archiveExts {
		if strings.HasSuffix(l, e) && len(l) > len(e) {
			return true
		}
	}
	return false
}

// urlBase returns the file name a URL's last segment gives.
func urlBase(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return baseName(u)
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "ftp://")
}

// resolve makes p absolute against cwd when p is relative and cwd known
// (see shellfacts.Rooted for paths that start with a variable).
func resolve(cwd, p string) string {
	if p == "" || shellfacts.Rooted(p) || strings.HasPrefix(p, "~") {
		return p
	}
	if cwd == "" {
		return p
	}
	return path.Join(cwd, p)
}

// fileFacts lists what the commands of a RUN create.
func fileFacts(ri *runInfo) []made {
	var out []made
	add := func(p string, at int, dl bool) {
		p = ri.cmds[at].at(p)
		if p != "" && p != "-" && p != "/dev/null" && !strings.HasPrefix(p, "/dev/") && !strings.HasPrefix(p, "/proc/") {
			out = append(out, made{path: p, at: at, download: dl})
		}
	}
	for i, c := range ri.cmds {
		for _, r := range c.Redirs {
			add(r, i, false)
		}
		switch {
		case c.Download != nil:
			for _, o := range c.Download.Outputs {
				add(o, i, true)
			}
		case c.Extract != nil:
			// An explicit destination (-C, -d, -o) other than the working
			// directory.
			if e := c.Extract; !e.Create && e.Dest != "" && e.Dest != c.Dir {
				add(e.Dest, i, false)
			}
		case c.File != nil && (c.File.Op == "cp" || c.File.Op == "mv") && len(c.File.Paths) > 0:
			add(c.File.Dest, i, false)
		case c.Name == "git":
			if dir := gitCloneDir(c); dir != "" {
				add(dir, i, true)
			}
		case c.Name == "mktemp":
			dir := "/tmp"
			for j, a := range c.Args {
				if (a == "-p" || a == "--tmpdir") && j+1 < len(c.Args) {
					dir = c.Args[j+1]
				}
			}
			add(path.Join(dir, "tmp.*"), i, false)
		}
	}
	return out
}

// gitCloneDir returns the directory `git clone URL [DIR]` writes, or "".
func gitCloneDir(c command) string {
	if c.verb("-C", "-c") != "clone" {
		return ""
	}
	ops := c.operands("-C", "-c", "-b", "--branch", "--depth", "-o", "--origin", "--reference", "--filter", "-j", "--jobs", "--config")
	switch {
	case len(ops) >= 3:
		return ops[2]
	case len(ops) == 2:
		return strings.TrimSuffix(urlBase(ops[1]), ".git")
	}
	return ""
}

// extracts reports whether command c extracts (or installs from) the
// archive at p, a path made by the same RUN.
func extracts(c command, p string) bool {
	match := func(op string) bool { return sameFile(c.cwd(), op, p) }
	if e := c.Extract; e != nil {
		switch e.Tool {
		case "tar", "bsdtar", "unzip", "7z", "7za", "unrar":
			return !e.Create && e.Archive != "" && match(e.Archive)
		}
		return false
	}
	switch c.Name {
	case "dpkg", "rpm", "jar", "bsdcpio":
		if c.Name == "dpkg" && !c.hasFlag("i", "install") {
			return false
		}
		if c.Name == "rpm" && !c.hasFlag("i", "U", "install", "upgrade") {
			return false
		}
		for _, a := range c.Args {
			if match(a) {
				return true
			}
		}
	}
	if aptVerb(c) == "install" {
		for _, a := range c.Pkg.Packages {
			if strings.HasSuffix(a, ".deb") && match(a) {
				return true
			}
		}
	}
	return false
}

// sameFile reports whether operand op, run in cwd, names the made file p:
// the same path, the same base name, or a glob (tar xzf ruby-*.tar.gz)
// matching it. Expansions in p ("ruby-${V}.tar.gz", "$(...).tar.gz") match
// anything.
func sameFile(cwd, op, p string) bool {
	compared(1)
	op = unquote(op)
	if op == "" || strings.HasPrefix(op, "-") {
		return false
	}
	if resolve(cwd, op) == p {
		return true
	}
	ob, pb := baseName(op), baseName(p)
	if ob == pb {
		return true
	}
	if ok, _ := path.Match(ob, pb); ok && strings.ContainsAny(ob, "*?[") {
		return true
	}
	if strings.Contains(pb, "$") {
		pat := expansion.ReplaceAllString(pb, "*")
		if ok, _ := path.Match(pat, ob); ok {
			return true
		}
	}
	return false
}

// expansion matches the expansions shellfacts keeps as written when it
// cannot expand them: ${V}, $V, $(...), $((...)).
var expansion = regexp.MustCompile(`\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\(\(.*?\)\)|\$\([^)]*\)`)

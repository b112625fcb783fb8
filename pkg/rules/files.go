package rules

import (
	"path"
	"regexp"
	"strings"
)

// File facts of one RUN, shared by WH601 (files left in /tmp) and WH602
// (downloaded archives left after extraction).

// made is a file or directory a command of the RUN creates.
type made struct {
	path     string // absolute when known, else as written
	at       int    // index of the creating command
	download bool   // fetched by curl or wget
}

// archiveExts are the file name endings of archives.
var archiveExts = []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tb2", ".tar.xz", ".txz",
	".tar.zst", ".tzst", ".tar.lz", ".tlz", ".tar.lzma", ".gz", ".bz2", ".xz", ".zst", ".lz", ".lzma", ".z", ".zip", ".7z", ".jar.zip"}

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

// urlBase returns the file name curl -O or wget would give a URL.
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

// downloadable reports whether a curl or wget operand names something to
// fetch: a URL, or a word built from variables ("$mirror/$file").
func downloadable(u string) bool {
	return isURL(u) || (strings.HasPrefix(u, "$") && strings.Contains(u, "/"))
}

// resolve makes p absolute against cwd when p is relative and cwd known.
func resolve(cwd, p string) string {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "$") || strings.HasPrefix(p, "~") {
		return p
	}
	if cwd == "" {
		return p
	}
	return path.Join(cwd, p)
}

// fileFacts lists what the commands of a RUN create, following `cd` (from
// the WORKDIR in effect) well enough for downloads and temporary files. It
// also returns the working directory before each command.
func fileFacts(ri *runInfo) ([]made, []string) {
	cwd := "/"
	if ri.in.Scope != nil && ri.in.Scope.Workdir != "" {
		cwd = ri.in.Scope.Workdir
	}
	var out []made
	add := func(p string, at int, dl bool) {
		if p != "" && p != "-" && p != "/dev/null" && !strings.HasPrefix(p, "/dev/") && !strings.HasPrefix(p, "/proc/") {
			out = append(out, made{path: resolve(cwd, p), at: at, download: dl})
		}
	}
	cwds := make([]string, len(ri.cmds))
	for i, c := range ri.cmds {
		cwds[i] = cwd
		for _, r := range c.Redirs {
			add(r, i, false)
		}
		switch c.Name {
		case "cd":
			if ops := c.operands(); len(ops) > 0 && ops[0] != "-" {
				cwd = resolve(cwd, ops[0]) // "${tempDir}" stays symbolic
			}
		case "curl":
			outs, outDir, remote := curlOutputs(c)
			for _, o := range outs {
				add(o, i, true)
			}
			if remote {
				dir := cwd
				if outDir != "" {
					dir = resolve(cwd, outDir)
				}
				for _, u := range c.operands(curlValued...) {
					if downloadable(u) {
						add(path.Join(dir, urlBase(u)), i, true)
					}
				}
			}
		case "wget":
			doc, prefix := wgetOutputs(c)
			if doc != "" {
				add(doc, i, true)
				break
			}
			dir := cwd
			if prefix != "" {
				dir = resolve(cwd, prefix)
			}
			for _, u := range c.operands(wgetValued...) {
				if downloadable(u) {
					add(path.Join(dir, urlBase(u)), i, true)
				}
			}
		case "tar", "unzip":
			if c.Name == "tar" && !tarExtracts(c) {
				break
			}
			for j, a := range c.Args {
				if (a == "-C" || a == "--directory" || (c.Name == "unzip" && a == "-d")) && j+1 < len(c.Args) {
					add(c.Args[j+1], i, false)
				}
			}
		case "git":
			if c.verb("-C", "-c") == "clone" {
				ops := c.operands("-C", "-c", "-b", "--branch", "--depth", "-o", "--origin", "--reference", "--filter", "-j", "--jobs", "--config")
				if len(ops) >= 3 {
					add(ops[2], i, true)
				} else if len(ops) == 2 {
					add(strings.TrimSuffix(urlBase(ops[1]), ".git"), i, true)
				}
			}
		case "mktemp":
			dir := "/tmp"
			for j, a := range c.Args {
				if (a == "-p" || a == "--tmpdir") && j+1 < len(c.Args) {
					dir = c.Args[j+1]
				}
			}
			add(path.Join(dir, "tmp.*"), i, false)
		case "cp", "mv":
			ops := c.operands("-t", "--target-directory", "-S", "--suffix")
			if len(ops) >= 2 {
				add(ops[len(ops)-1], i, false)
			}
		}
	}
	return out, cwds
}

var curlValued = []string{"-o", "--output", "-H", "--header", "-u", "--user", "-d", "--data", "-X", "--request",
	"-A", "--user-agent", "-e", "--referer", "--retry", "--retry-delay", "--retry-max-time", "-m", "--max-time",
	"--connect-timeout", "--output-dir", "-w", "--write-out", "-x", "--proxy", "-T", "--upload-file", "-b", "--cookie",
	"-c", "--cookie-jar", "--cacert", "--cert", "--key", "-r", "--range", "-F", "--form", "-z", "--time-cond",
	"--data-binary", "--data-raw", "--data-urlencode", "--limit-rate", "-K", "--config", "--proto", "--proto-redir", "--tlsv1.2"}

// curlOutputs returns curl's -o files, its --output-dir, and whether -O
// (remote name) is on.
func curlOutputs(c command) (outs []string, dir string, remote bool) {
	for j := 0; j < len(c.Args); j++ {
		a := c.Args[j]
		switch {
		case a == "-o" || a == "--output":
			if j+1 < len(c.Args) {
				outs = append(outs, c.Args[j+1])
				j++
			}
		case strings.HasPrefix(a, "--output="):
			outs = append(outs, strings.TrimPrefix(a, "--output="))
		case a == "--output-dir":
			if j+1 < len(c.Args) {
				dir = c.Args[j+1]
				j++
			}
		case a == "--remote-name" || a == "--remote-name-all":
			remote = true
		case len(a) > 1 && a[0] == '-' && a[1] != '-':
			// a group of one-letter flags: -fsSLO, -fsSLo file, -ofile
			for k := 1; k < len(a); k++ {
				if a[k] == 'O' {
					remote = true
				}
				if a[k] == 'o' {
					if k+1 < len(a) {
						outs = append(outs, a[k+1:])
					} else if j+1 < len(c.Args) {
						outs = append(outs, c.Args[j+1])
						j++
					}
					break
				}
				if strings.IndexByte("HudXAemwxTbcrFzK", a[k]) >= 0 { // flags taking a value
					if k == len(a)-1 {
						j++
					}
					break
				}
			}
		}
	}
	return outs, dir, remote
}

var wgetValued = []string{"-O", "--output-document", "-P", "--directory-prefix", "-o", "--output-file", "-a",
	"--append-output", "-t", "--tries", "-T", "--timeout", "-U", "--user-agent", "--header", "-e", "--execute",
	"--user", "--password", "-i", "--input-file", "-w", "--wait", "--ca-certificate", "--post-data"}

// wgetOutputs returns wget's -O document and -P prefix.
func wgetOutputs(c command) (doc, prefix string) {
	for j := 0; j < len(c.Args); j++ {
		a := c.Args[j]
		switch {
		case (a == "-O" || a == "--output-document") && j+1 < len(c.Args):
			doc = c.Args[j+1]
			j++
		case strings.HasPrefix(a, "--output-document="):
			doc = strings.TrimPrefix(a, "--output-document=")
		case strings.HasPrefix(a, "-O") && len(a) > 2 && a[2] != '-':
			doc = a[2:]
		case (a == "-P" || a == "--directory-prefix") && j+1 < len(c.Args):
			prefix = c.Args[j+1]
			j++
		case strings.HasPrefix(a, "--directory-prefix="):
			prefix = strings.TrimPrefix(a, "--directory-prefix=")
		case strings.HasPrefix(a, "-P") && len(a) > 2:
			prefix = a[2:]
		case len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.HasSuffix(a, "O") && j+1 < len(c.Args):
			doc = c.Args[j+1] // -qO file
			j++
		}
	}
	return doc, prefix
}

// goneAfter reports whether a made path is removed or moved away by a
// command after index i; relative operands are resolved against the
// working directory of their command (cwds).
func goneAfter(cmds []command, cwds []string, i int, p string) bool {
	for j := i + 1; j < len(cmds); j++ {
		c := cmds[j]
		switch c.Name {
		case "rm":
			for _, op := range c.operands() {
				if covers(resolve(cwds[j], op), p) {
					return true
				}
			}
		case "mv":
			ops := c.operands("-t", "--target-directory", "-S", "--suffix")
			for _, src := range ops[:max(len(ops)-1, 0)] {
				if covers(resolve(cwds[j], src), p) {
					return true
				}
			}
		}
		if removes(c, p) {
			return true
		}
		// rm of a variable: assume it is the temporary path (mktemp).
		if c.Name == "rm" && strings.Contains(p, "tmp.*") {
			for _, op := range c.operands() {
				if strings.HasPrefix(op, "$") {
					return true
				}
			}
		}
	}
	return false
}

// extracts reports whether command c extracts (or installs from) the
// archive at p, a path made by the same RUN.
func extracts(c command, cwd, p string) bool {
	match := func(op string) bool { return sameFile(cwd, op, p) }
	switch c.Name {
	case "tar", "bsdtar":
		if !tarExtracts(c) {
			return false
		}
		for _, a := range c.Args {
			if match(a) {
				return true
			}
			if strings.HasPrefix(a, "--file=") && match(strings.TrimPrefix(a, "--file=")) {
				return true
			}
			if len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.Contains(a, "f") && match(a[strings.Index(a, "f")+1:]) {
				return true // -xf/path/x.tar
			}
		}
	case "unzip", "7z", "7za", "dpkg", "rpm", "jar", "bsdcpio", "unrar":
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
	case "apt-get", "apt":
		if aptVerb(c) == "install" {
			for _, a := range c.Args {
				if strings.HasSuffix(a, ".deb") && match(a) {
					return true
				}
			}
		}
	}
	return false
}

// tarExtracts reports whether a tar command extracts (-x, --extract,
// --get, or an old-style first word such as "xzf").
func tarExtracts(c command) bool {
	if c.hasFlag("x", "extract", "get") {
		return true
	}
	if len(c.Args) > 0 && !strings.HasPrefix(c.Args[0], "-") && strings.Contains(c.Args[0], "x") && len(c.Args[0]) <= 6 &&
		strings.Trim(c.Args[0], "xzjJvfopaC") == "" {
		return true
	}
	return false
}

// sameFile reports whether operand op, run in cwd, names the made file p:
// the same path, the same base name, or a glob (tar xzf ruby-*.tar.gz)
// matching it. Expansions in p ("ruby-${V}.tar.gz", "$(...).tar.gz") match
// anything.
func sameFile(cwd, op, p string) bool {
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

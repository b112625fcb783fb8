package fix

import (
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// WH602: a RUN downloads an archive, extracts it and keeps it. The repair
// chains `rm -f PATH` at the end of the RUN, with PATH written as the
// download wrote it (variables unexpanded, so a --build-arg still applies).

var (
	pathText   = regexp.MustCompile(`^[A-Za-z0-9_./${}:+@%,=-]+$`)
	unsafeText = regexp.MustCompile(`\$\(|\$\{[^}]*[^A-Za-z0-9_}][^}]*\}`)
)

func archiveLeft(p *pass) []repair {
	var out []repair
	for _, rc := range p.runs {
		if rc.appendAt < 0 || !p.g.known["WH602"] || !p.g.allows("WH602", rc.in) {
			continue
		}
		fs := rc.facts()
		if fs == nil || len(fs.Commands) == 0 {
			continue
		}
		final := fs.Commands[len(fs.Commands)-1].Dir
		var rms []string
		for _, c := range fs.Commands {
			d := c.Download
			if d == nil || d.Output == "" || !extractedLater(fs, c, d.Output) || removedLater(fs, c, d.Output) {
				continue
			}
			text, ok := outputText(c)
			if !ok {
				continue
			}
			if !strings.HasPrefix(text, "/") && c.Dir != final {
				// Relative to a directory the RUN has left (or a variable
				// that may hold an absolute path): write it out in full.
				if c.Dir == "" || !pathText.MatchString(c.Dir) || strings.HasPrefix(text, "$") {
					continue
				}
				text = strings.TrimSuffix(c.Dir, "/") + "/" + text
			}
			rms = append(rms, text)
		}
		if len(rms) == 0 {
			continue
		}
		out = append(out, repair{
			rule:  "WH602",
			at:    rc.in.Range.Start.Offset,
			msg:   "removed the extracted archive " + strings.Join(rms, " ") + " at the end of the RUN",
			edits: []edit.Edit{rc.appendCmds(rc.sudoFor("curl", "wget") + "rm -f " + strings.Join(rms, " "))},
			insts: []int{rc.in.Index},
		})
	}
	return out
}

// extractedLater reports whether a command after c extracts (or installs)
// path.
func extractedLater(fs *shellfacts.Facts, c *shellfacts.Command, path string) bool {
	after := false
	for _, x := range fs.Commands {
		if x == c {
			after = true
			continue
		}
		if !after {
			continue
		}
		if x.Extract != nil && !x.Extract.Create && x.Extract.Archive == path {
			return true
		}
		if x.Pkg != nil && x.Pkg.Verb == shellfacts.Install {
			for _, p := range x.Pkg.Packages {
				if p == path {
					return true
				}
			}
		}
	}
	return false
}

// removedLater reports whether a command after c removes or moves path.
func removedLater(fs *shellfacts.Facts, c *shellfacts.Command, path string) bool {
	after := false
	for _, x := range fs.Commands {
		if x == c {
			after = true
			continue
		}
		if after && x.File != nil && (x.File.Op == "rm" || x.File.Op == "mv") {
			for _, p := range x.File.Paths {
				if pathHits(p, path) {
					return true
				}
			}
		}
	}
	return false
}

// outputText returns the path a curl or wget command writes, as written in
// the script (relative paths stay relative).
func outputText(c *shellfacts.Command) (string, bool) {
	if c.Call == nil || len(c.Call.Args) < 2 {
		return "", false
	}
	words := c.Call.Args[1:]
	if n, _ := wordLit(c.Call.Args[0]); n == "sudo" {
		words = words[1:]
	}
	var output, dir string
	var urls []string
	remoteName := false
	for i := 0; i < len(words); i++ {
		v, lit := wordLit(words[i])
		if lit && strings.HasPrefix(v, "-") && !strings.HasPrefix(v, "--") && len(v) > 2 {
			v = "-" + v[len(v)-1:] // a cluster such as -fsSLo: its last letter may take a value
		}
		next := func() (string, bool) {
			if i+1 >= len(words) {
				return "", false
			}
			i++
			return wordText(words[i])
		}
		var ok bool
		switch {
		case !lit && !strings.HasPrefix(printWord(words[i]), "-"):
			t, ok := wordText(words[i])
			if !ok {
				return "", false
			}
			urls = append(urls, t)
		case c.Download.Tool == "curl" && (v == "-o" || v == "--output"):
			if output, ok = next(); !ok {
				return "", false
			}
		case c.Download.Tool == "curl" && (v == "-O" || v == "--remote-name"):
			remoteName = true
		case c.Download.Tool == "curl" && v == "--output-dir":
			return "", false
		case c.Download.Tool == "wget" && (v == "-O" || v == "--output-document"):
			if output, ok = next(); !ok {
				return "", false
			}
		case c.Download.Tool == "wget" && (v == "-P" || v == "--directory-prefix"):
			if dir, ok = next(); !ok {
				return "", false
			}
		case strings.HasPrefix(v, "-"):
			if curlValued[v] || wgetValued[v] {
				i++
			}
		default:
			urls = append(urls, v)
		}
	}
	if output == "" {
		if c.Download.Tool == "curl" && !remoteName || len(urls) == 0 {
			return "", false
		}
		u := urls[0]
		if strings.ContainsAny(u, "?#&") {
			return "", false
		}
		output = u[strings.LastIndex(u, "/")+1:]
		if dir != "" {
			output = strings.TrimSuffix(dir, "/") + "/" + output
		}
	}
	if output == "" || !pathText.MatchString(output) || unsafeText.MatchString(output) {
		return "", false
	}
	return output, true
}

// wordText returns a word as shell text, without a pair of double quotes
// around it.
func wordText(w *syntax.Word) (string, bool) {
	t := printWord(w)
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		t = t[1 : len(t)-1]
	}
	if strings.ContainsAny(t, "\"'`\\ ") {
		return "", false
	}
	return t, true
}

// Options of curl and wget that take a value (the common ones).
var (
	curlValued = map[string]bool{"-H": true, "--header": true, "-u": true, "--user": true, "-A": true, "--user-agent": true,
		"-e": true, "--referer": true, "-x": true, "--proxy": true, "-d": true, "--data": true, "-X": true, "--request": true,
		"--retry": true, "--connect-timeout": true, "-m": true, "--max-time": true, "-w": true, "--write-out": true,
		"--cacert": true, "-C": true, "--continue-at": true, "-r": true, "--range": true, "--url": true}
	wgetValued = map[string]bool{"-t": true, "--tries": true, "-T": true, "--timeout": true, "--header": true,
		"-U": true, "--user-agent": true, "--user": true, "--password": true, "-a": true, "-o": true, "-e": true}
)

package rules

import (
	"path"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

// Repairs of the file rules: an extracted archive removed (WH602), ADD of
// plain files made COPY (WH603).

// archiveRepair removes a downloaded archive at the end of the RUN that
// extracted it. The path is written as the download wrote it (variables
// unexpanded, so a --build-arg still applies); a relative one is made
// absolute when the script has changed directory since. No repair when a
// later instruction names the archive (it could read it).
func (p *Pass) archiveRepair(ri *runInfo, m made) *Repair {
	c := ri.cmds[m.at]
	if c.Download == nil || c.Call == nil {
		return nil
	}
	if p.mentionedLater(ri.in, baseName(m.path)) != nil {
		return nil
	}
	text, ok := outputText(ri.shell(), c)
	if !ok {
		return nil
	}
	final := ri.cmds[len(ri.cmds)-1].Dir
	if !strings.HasPrefix(text, "/") && c.Dir != final {
		// Relative to a directory the RUN has left (or a variable that
		// may hold an absolute path): write it out in full.
		if c.Dir == "" || !pathText.MatchString(c.Dir) || strings.HasPrefix(text, "$") {
			return nil
		}
		text = strings.TrimSuffix(c.Dir, "/") + "/" + text
	}
	return p.appendRepair(ri, "remove the extracted archive "+text+" at the end of the RUN",
		ri.shell().sudoFor("curl", "wget")+"rm -f "+text)
}

// outputText returns the path a curl or wget command writes, as written in
// the script (relative paths stay relative).
func outputText(se *shellEdit, c command) (string, bool) {
	cl, ok := se.callOf(c.Command)
	if !ok {
		return "", false
	}
	words := cl.words
	var output, dir string
	var urls []string
	remoteName := false
	tool := c.Download.Tool
	for i := 0; i < len(words); i++ {
		v, lit := cl.args[i], cl.lit[i]
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
		case tool == "curl" && (v == "-o" || v == "--output"):
			if output, ok = next(); !ok {
				return "", false
			}
		case tool == "curl" && (v == "-O" || v == "--remote-name"):
			remoteName = true
		case tool == "curl" && v == "--output-dir":
			return "", false
		case tool == "wget" && (v == "-O" || v == "--output-document"):
			if output, ok = next(); !ok {
				return "", false
			}
		case tool == "wget" && (v == "-P" || v == "--directory-prefix"):
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
		if tool == "curl" && !remoteName || len(urls) == 0 {
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

// tarExt matches the local archives ADD extracts.
var tarExt = regexp.MustCompile(`\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tbz|tar\.xz|txz)$`)

// archiveLike matches names ADD may extract (and zip, which it does not,
// but which a user may have meant to).
var archiveLike = regexp.MustCompile(`(?i)\.(tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst|lz|lzma|z|zip|7z)$`)

// addToCopyRepair makes an ADD of plain local files a COPY. ADD decides by
// content, not name, whether a local file is an archive; like lint,
// whittle takes a name without an archive extension for a plain file or a
// directory. A glob must end in an extension no archive has ("*.sh"): "*"
// could match an archive that ADD extracts. Flags only ADD has
// (--checksum, --keep-git-dir, --unpack) keep it an ADD.
func (p *Pass) addToCopyRepair(in *dockerfile.Instruction) *Repair {
	if in.Copy == nil || len(in.Heredocs) > 0 || in.Err != nil || !strings.EqualFold(in.Keyword, "ADD") {
		return nil
	}
	for _, f := range in.Flags {
		if f.Name != "chown" && f.Name != "chmod" && f.Name != "link" {
			return nil
		}
	}
	if len(in.Copy.Sources) == 0 {
		return nil
	}
	for _, s := range in.Copy.Sources {
		if !plainSource(s) {
			return nil
		}
	}
	at := in.Range.Start.Offset
	kw := "COPY"
	if in.Keyword == "add" {
		kw = "copy"
	}
	return newRepair(p.File, Safe, "replace ADD of plain files with COPY", "", edit.Replace(at, at+len(in.Keyword), kw))
}

func plainSource(s string) bool {
	if strings.Contains(s, "://") || strings.HasPrefix(s, "git@") || strings.HasSuffix(s, ".git") ||
		strings.HasPrefix(s, "<<") || strings.Contains(s, "$") {
		return false
	}
	base := path.Base(strings.TrimSuffix(s, "/"))
	// ADD never extracts zip or 7z files: those are plain files to it.
	lower := strings.ToLower(base)
	if tarExt.MatchString(base) || archiveLike.MatchString(base) && !strings.HasSuffix(lower, ".zip") && !strings.HasSuffix(lower, ".7z") {
		return false
	}
	if strings.ContainsAny(s, "*?[") {
		dot := strings.LastIndex(base, ".")
		return dot > 0 && !strings.ContainsAny(base[dot:], "*?[") && !archiveLike.MatchString(base) &&
			!strings.ContainsAny(path.Dir(s), "*?[")
	}
	return true
}

package shellfacts

import (
	"fmt"
	"path"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"mvdan.cc/sh/v3/syntax"
)

var (
	curlSpec = spec{short: "oHudXAebcwxmrTFKECzYyQt", long: longs("--output", "--header", "--user", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--request", "--user-agent", "--referer", "--cookie", "--cookie-jar", "--write-out", "--proxy", "--max-time", "--connect-timeout", "--retry", "--retry-delay", "--retry-max-time", "--range", "--upload-file", "--form", "--config", "--cert", "--cacert", "--capath", "--output-dir", "--continue-at", "--time-cond", "--limit-rate", "--proto", "--proto-redir", "--resolve", "--ciphers", "--netrc-file", "--max-redirs", "--speed-limit", "--speed-time", "--interface", "--dns-servers", "--url", "--key", "--pass", "--oauth2-bearer", "--compressed-ssh", "--proxy-user", "--quote", "--telnet-option", "--expect100-timeout", "--stderr", "--trace", "--trace-ascii", "--variable", "--json", "--max-filesize", "--tlsv1.2", "--hsts", "--etag-save", "--etag-compare", "--aws-sigv4", "--service-name", "--unix-socket", "--abstract-unix-socket", "--connect-to", "--happy-eyeballs-timeout-ms", "--retry-all-errors-x")}
	wgetSpec = spec{short: "OoaPtTUeiBwQlDAR", long: longs("--output-document", "--output-file", "--append-output", "--directory-prefix", "--tries", "--timeout", "--user-agent", "--header", "--execute", "--user", "--password", "--http-user", "--http-password", "--input-file", "--base", "--wait", "--quota", "--level", "--domains", "--accept", "--reject", "--post-data", "--post-file", "--ca-certificate", "--certificate", "--private-key", "--progress", "--limit-rate", "--dns-timeout", "--connect-timeout", "--read-timeout", "--referer", "--load-cookies", "--save-cookies", "--method", "--body-data", "--body-file")}
	tarSpec  = spec{short: "fCTXbHIKNVLg", long: longs("--file", "--directory", "--files-from", "--exclude-from", "--blocking-factor", "--format", "--use-compress-program", "--starting-file", "--newer", "--label", "--tape-length", "--listed-incremental", "--owner", "--group", "--mode", "--transform", "--xform", "--exclude")}
)

func (w *walker) download(tool string, args []string, fl flow) *Download {
	var d *Download
	if tool == "curl" {
		ops, rest := scan(args, curlSpec)
		d = &Download{Tool: tool, URLs: append(rest, values(ops, "--url")...)}
		dir := w.dir
		if v, ok := last(ops, "--output-dir"); ok {
			dir = w.absIn(dir, v)
		}
		if v, ok := last(ops, "-o", "--output"); ok {
			if v == "-" {
				d.Stdout = true
			} else {
				d.Output = w.absIn(dir, v)
			}
		} else if has(ops, "-O", "--remote-name", "--remote-name-all") && len(d.URLs) > 0 {
			if b := urlBase(d.URLs[0]); b != "" && !has(ops, "-J", "--remote-header-name") {
				d.Output = w.absIn(dir, b)
			}
		} else {
			d.Stdout = true
		}
		// curl pairs its output options with the URLs in order; -O and
		// --remote-name name the file after the URL,
		// --remote-name-all does so for every URL.
		outs := values(ops, "-o", "--output")
		for _, o := range outs {
			if o != "-" {
				d.Outputs = append(d.Outputs, w.absIn(dir, o))
			}
		}
		remote := count(ops, "-O") + count(ops, "--remote-name")
		if has(ops, "--remote-name-all") {
			remote = len(d.URLs)
		}
		if !has(ops, "-J", "--remote-header-name") {
			for _, u := range d.URLs[min(len(outs), len(d.URLs)):min(len(outs)+remote, len(d.URLs))] {
				if b := urlBase(u); b != "" {
					d.Outputs = append(d.Outputs, w.absIn(dir, b))
				}
			}
		}
	} else {
		ops, rest := scan(args, wgetSpec)
		d = &Download{Tool: tool, URLs: rest}
		dir := w.dir
		if v, ok := last(ops, "-P", "--directory-prefix"); ok {
			dir = w.absIn(dir, v)
		}
		if v, ok := last(ops, "-O", "--output-document"); ok {
			if v == "-" {
				d.Stdout = true
			} else {
				d.Output = w.absIn(w.dir, v)
			}
		} else if len(d.URLs) > 0 && !strings.Contains(d.URLs[0], "$(") && !strings.Contains(d.URLs[0], "`") {
			b := urlBase(d.URLs[0])
			if b == "" {
				b = "index.html"
			}
			d.Output = w.absIn(dir, b)
			// wget saves every URL under its own name.
			for _, u := range d.URLs {
				if strings.Contains(u, "$(") || strings.Contains(u, "`") {
					continue
				}
				if b := urlBase(u); b != "" {
					d.Outputs = append(d.Outputs, w.absIn(dir, b))
				} else {
					d.Outputs = append(d.Outputs, w.absIn(dir, "index.html"))
				}
			}
		}
		if d.Output != "" && len(d.Outputs) == 0 {
			d.Outputs = []string{d.Output}
		}
	}
	d.Piped = d.Stdout && fl.pipeOut
	return d
}

// absIn resolves p against dir ("" = unknown).
func (w *walker) absIn(dir, p string) string {
	saved := w.dir
	w.dir = dir
	defer func() { w.dir = saved }()
	return w.abs(p)
}

func (w *walker) extract(tool string, args []string, fl flow) *Extract {
	e := &Extract{Tool: tool, Dest: w.dir}
	switch tool {
	case "tar", "bsdtar":
		// Old-style bundled options ("tar xzf file", "tar xvfz file"):
		// each letter that takes a value takes the next word, in order.
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") && strings.Trim(args[0], "xzjJvfcCtpaoOkmUWrSBu") == "" {
			args = oldStyleTar(args)
		}
		ops, rest := scan(args, tarSpec)
		if has(ops, "-c", "--create") {
			e.Create = true
		} else if !has(ops, "-x", "--extract", "--get") {
			return nil
		}
		if v, ok := last(ops, "-f", "--file"); ok && v != "-" {
			e.Archive = w.abs(v)
		}
		if v, ok := last(ops, "-C", "--directory"); ok {
			e.Dest = w.abs(v)
		}
		_ = rest
	case "unzip":
		ops, rest := scan(args, spec{short: "dx"})
		if len(rest) > 0 {
			e.Archive = w.abs(rest[0])
		}
		if v, ok := last(ops, "-d"); ok {
			e.Dest = w.abs(v)
		}
	case "7z", "7za", "unrar":
		_, rest := scan(args, spec{})
		if len(rest) < 2 || (rest[0] != "x" && rest[0] != "e") {
			return nil
		}
		e.Archive = w.abs(rest[1])
		for _, a := range args {
			if strings.HasPrefix(a, "-o") && len(a) > 2 {
				e.Dest = w.abs(a[2:])
			}
		}
	default: // gunzip and friends
		_, rest := scan(args, spec{short: "S", long: longs("--suffix")})
		if len(rest) > 0 {
			e.Archive = w.abs(rest[0])
		}
	}
	e.FromPipe = e.Archive == "" && fl.pipeIn
	return e
}

func (w *walker) fileOp(name string, args []string) *FileOp {
	abs := func(ps []string) []string {
		out := make([]string, 0, len(ps))
		for _, p := range ps {
			out = append(out, w.abs(p))
		}
		return out
	}
	op := &FileOp{Op: name}
	switch name {
	case "rm", "rmdir", "unlink":
		ops, rest := scan(args, spec{})
		op.Paths = abs(rest)
		op.Recursive = has(ops, "-r", "-R", "--recursive")
		op.Force = has(ops, "-f", "--force")
	case "mv", "cp", "ln", "install":
		sp := spec{short: "tSmogb", long: longs("--target-directory", "--suffix", "--mode", "--owner", "--group", "--backup")}
		ops, rest := scan(args, sp)
		op.Recursive = has(ops, "-r", "-R", "-a", "--recursive", "--archive")
		op.Force = has(ops, "-f", "--force")
		if v, ok := last(ops, "-m", "--mode"); ok {
			op.Mode = v
		}
		if name == "install" && has(ops, "-d", "--directory") {
			op.Op = "mkdir"
			op.Paths = abs(rest)
			return op
		}
		if v, ok := last(ops, "-t", "--target-directory"); ok {
			op.Dest = w.abs(v)
			op.Paths = abs(rest)
		} else if len(rest) > 0 {
			op.Dest = w.abs(rest[len(rest)-1])
			op.Paths = abs(rest[:len(rest)-1])
		}
		if name == "ln" && len(rest) == 1 {
			op.Paths, op.Dest = abs(rest), w.abs(path.Base(rest[0]))
		}
	case "chmod", "chown", "chgrp":
		var mode string
		var paths []string
		recursive := false
		force := false
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "-R" || a == "--recursive":
				recursive = true
			case a == "-f" || a == "--silent" || a == "--quiet":
				force = true
			case strings.HasPrefix(a, "--reference="):
				mode = a
			case strings.HasPrefix(a, "--"):
			case mode == "" && name == "chmod" && isModeArg(a):
				mode = a
			case strings.HasPrefix(a, "-") && len(a) > 1 && strings.Trim(a[1:], "RvcfhHLP") == "":
				recursive = recursive || strings.Contains(a, "R")
				force = force || strings.Contains(a, "f")
			case mode == "":
				mode = a
			default:
				paths = append(paths, a)
			}
		}
		op.Mode, op.Paths, op.Recursive, op.Force = mode, abs(paths), recursive, force
	case "mkdir", "touch":
		ops, rest := scan(args, spec{short: "mdrt", long: longs("--mode", "--date", "--reference")})
		_ = ops
		op.Paths = abs(rest)
		op.Recursive = has(ops, "-p", "--parents")
	default:
		return nil
	}
	return op
}

// isModeArg reports whether a chmod word is a mode ("755", "u+x", "-x").
func isModeArg(a string) bool {
	if a == "" {
		return false
	}
	if strings.Trim(a, "01234567") == "" {
		return true
	}
	return strings.Trim(a, "ugoa+-=rwxXstugo,0123456789") == "" && strings.ContainsAny(a, "+-=")
}

// ofArgv reads an exec-form RUN: its argv is one command (or a shell
// running a literal script with -c).
func ofArgv(in *dockerfile.Instruction, opts []Option) (*Facts, error) {
	var b strings.Builder
	for i, a := range in.Run.Exec {
		q, err := syntax.Quote(a, syntax.LangBash)
		if err != nil {
			return &Facts{Unparsed: true}, nil
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(q)
	}
	file, err := syntax.NewParser().Parse(strings.NewReader(b.String()), "")
	if err != nil {
		return nil, fmt.Errorf("reading exec-form RUN at line %d: %w", in.Range.Start.Line, err)
	}
	f, err := Analyze(file, opts...)
	if err != nil {
		return nil, err
	}
	for _, c := range f.Commands {
		c.Range = in.Range
	}
	return f, nil
}

// oldStyleTar spells tar's old-style bundle (the first word, without a
// dash) as separate options: "xvfz a.tgz -C /x" is "-x -v -f a.tgz -z -C
// /x". A letter that takes a value takes the next word after the bundle.
func oldStyleTar(args []string) []string {
	out := []string{}
	next := 1
	for _, c := range args[0] {
		out = append(out, "-"+string(c))
		if strings.ContainsRune("fbCgKLNTVX", c) && next < len(args) {
			out = append(out, args[next])
			next++
		}
	}
	return append(out, args[next:]...)
}

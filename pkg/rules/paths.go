package rules

import (
	"path"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// homeDirs are the spellings of the home directory that cleanups use; whittle
// takes them as /root, the home of the default build user.
var homeDirs = []string{"~", "$HOME", "${HOME}", "${HOME:-/root}"}

// normPath cleans a path operand of rm and friends: the home directory is
// spelled /root, trailing slashes and "/*"-style globs that empty a
// directory are dropped ("/var/lib/apt/lists/*" names the lists directory).
func normPath(p string) string {
	for _, h := range homeDirs {
		if p == h || strings.HasPrefix(p, h+"/") {
			p = "/root" + strings.TrimPrefix(p, h)
			break
		}
	}
	for {
		q := strings.TrimSuffix(p, "/")
		for _, g := range []string{"/*", "/.*", "/*.*", "/**"} {
			q = strings.TrimSuffix(q, g)
		}
		if q == p || q == "" {
			break
		}
		p = q
	}
	if strings.HasPrefix(p, "/") {
		p = path.Clean(p)
	}
	return p
}

// covers reports whether removing (or mounting) dir takes away target:
// dir is target or one of its ancestors, or a glob matching one of them.
func covers(dir, target string) bool {
	compared(1)
	dir, target = normPath(dir), normPath(target)
	if dir == "" || target == "" {
		return false
	}
	for t := target; ; t = path.Dir(t) {
		if t == dir {
			return true
		}
		if strings.ContainsAny(dir, "*?[") {
			if ok, _ := path.Match(dir, t); ok {
				return true
			}
		}
		if t == "/" || t == "." || !strings.Contains(t, "/") {
			return false
		}
	}
}

// mountCovers reports whether the RUN has a cache or tmpfs mount that keeps
// target out of the image: its target is target or an ancestor of it.
func mountCovers(ri *runInfo, targets ...string) bool {
	for _, m := range ri.mounts {
		if m.Type != "cache" && m.Type != "tmpfs" {
			continue
		}
		for _, t := range targets {
			if covers(m.Target, t) {
				return true
			}
		}
	}
	return false
}

// mountContains reports whether a cache or tmpfs mount target contains frag
// (hadolint's test, used where it is also right: home-relative caches such
// as ".cache/pip" whose home whittle does not know).
func mountContains(ri *runInfo, frag string) bool {
	for _, m := range ri.mounts {
		if (m.Type == "cache" || m.Type == "tmpfs") && strings.Contains(m.Target, frag) {
			return true
		}
	}
	return false
}

// removes reports whether one command removes target: rm with an operand
// (resolved against the command's working directory) covering it, or
// find DIR ... -delete.
func removes(c command, target string) bool {
	switch c.Name {
	case "rm":
		if c.File == nil {
			return false
		}
		for _, op := range c.File.Paths {
			if covers(c.at(op), target) {
				return true
			}
		}
	case "find":
		ops := c.Args
		if len(ops) > 0 && (containsWord(ops, "-delete") || containsWord(ops, "rm")) {
			if covers(ops[0], target) {
				return true
			}
		}
	}
	return false
}

func containsWord(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// baseName returns the last element of a path written with / or \.
func baseName(p string) string {
	p = strings.TrimRight(p, `/\`)
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// unquote strips one pair of matching quotes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// mounts returns the RUN's mounts, reading type and target from the flag's
// text where the model left them unset (or gave none, as for instructions
// outside any stage).
func mounts(in *dockerfile.Instruction) []dockerfile.Mount {
	ms := in.Run.Mounts
	if len(ms) == 0 {
		for _, fl := range in.Flags {
			if fl.Name == "mount" {
				ms = append(ms, dockerfile.Mount{Type: "bind", Raw: fl.Value})
			}
		}
	}
	out := make([]dockerfile.Mount, 0, len(ms))
	for _, m := range ms {
		if m.Target == "" && m.Raw != "" {
			for _, kv := range strings.Split(m.Raw, ",") {
				k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
				switch strings.ToLower(k) {
				case "type":
					m.Type = strings.ToLower(v)
				case "target", "dst", "destination":
					m.Target = path.Clean(unquote(v))
				}
			}
		}
		out = append(out, m)
	}
	return out
}

// copyWords returns the sources and destination of a COPY or ADD from
// BuildKit's argument words, quotes removed.
func copyWords(in *dockerfile.Instruction) (srcs []string, dest string) {
	args := in.Args
	if len(args) < 2 {
		if in.Copy != nil {
			return in.Copy.Sources, in.Copy.Dest
		}
		return nil, ""
	}
	// BuildKit splits the shell form at blanks, quotes or not; quotes
	// left at either end of a word are dropped.
	for _, a := range args[:len(args)-1] {
		srcs = append(srcs, strings.Trim(a, `"'`))
	}
	return srcs, strings.Trim(args[len(args)-1], `"'`)
}

// envLookup returns the value of a variable visible to in: from its scope,
// or, for instructions outside any stage, from the ENV instructions before
// it.
func envLookup(f *dockerfile.File, in *dockerfile.Instruction, name string) (string, bool) {
	if v, ok := in.Scope.Lookup(name); ok {
		return v, true
	}
	if in.Stage != nil {
		return "", false
	}
	val, found := "", false
	for _, x := range f.Instructions {
		if x.Range.Start.Offset >= in.Range.Start.Offset {
			break
		}
		if x.Kind == dockerfile.KindEnv {
			for _, kv := range x.Vars {
				if kv.Name == name {
					val, found = kv.Value, true
				}
			}
		}
	}
	return val, found
}

// removesHomeCache reports whether c is an rm of a per-user cache directory
// whatever the user's home: an operand that ends in one of the suffixes
// ("/.npm", "/.cache/pip") or lies under one ("/home/node/.npm/_cacache").
func removesHomeCache(c command, suffixes ...string) bool {
	if c.Name != "rm" || c.File == nil {
		return false
	}
	for _, op := range c.File.Paths {
		op = normPath(op)
		for _, s := range suffixes {
			if strings.HasSuffix(op, s) || strings.Contains(op, s+"/") {
				return true
			}
		}
	}
	return false
}

// cachePaths is Finding.Paths for a cache rule (MeasureCache) whose cache
// lies at dir: nil where dir is the place its category already finds
// (def, or "" for the default), so that analyze --dockerfile measures the
// category there; dir itself where an option, a variable or the tool's
// version moved the cache, so that it measures the files really there.
// Nil too when dir is not one literal absolute path.
func cachePaths(dir, def string) []string {
	if dir == "" || !strings.HasPrefix(dir, "/") || strings.ContainsAny(dir, "$*?[]{}'\" \t\n`\\") {
		return nil
	}
	dir = path.Clean(dir)
	if dir == path.Clean(def) {
		return nil
	}
	return []string{dir}
}

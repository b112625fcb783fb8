package shellfacts

import (
	"fmt"
	"path"
	"strings"
)

// Option configures Analyze.
type Option func(*options) error

type options struct {
	workdir     string
	env         map[string]string
	cacheMounts []string
	errexit     bool
	pipefail    bool
	braces      bool
}

// WithShell sets the shell that runs the script (the SHELL's argv, or its
// program): bash, zsh and ksh expand braces ("rm x{,.sha256}"), sh, dash
// and ash do not. The default is sh.
func WithShell(argv ...string) Option {
	return func(o *options) error {
		o.braces = len(argv) > 0 && bracesShell(argv[0])
		return nil
	}
}

// WithWorkdir sets the directory the script starts in (default "/").
// It must be absolute.
func WithWorkdir(dir string) Option {
	return func(o *options) error {
		if !path.IsAbs(dir) {
			return fmt.Errorf("workdir %q is not absolute", dir)
		}
		o.workdir = path.Clean(dir)
		return nil
	}
}

// WithEnv sets the variables known at the start (ENV and ARG values).
func WithEnv(env map[string]string) Option {
	return func(o *options) error {
		o.env = make(map[string]string, len(env))
		for k, v := range env {
			o.env[k] = v
		}
		return nil
	}
}

// WithCacheMounts records the RUN's cache mount targets (absolute).
func WithCacheMounts(targets ...string) Option {
	return func(o *options) error {
		for _, t := range targets {
			if !path.IsAbs(t) {
				return fmt.Errorf("cache mount target %q is not absolute", t)
			}
			o.cacheMounts = append(o.cacheMounts, path.Clean(t))
		}
		return nil
	}
}

// WithShellFlags applies the flags of the SHELL that runs the script
// ("-e", "-eux", "-o", "pipefail", ...): errexit and pipefail.
func WithShellFlags(flags ...string) Option {
	return func(o *options) error {
		o.errexit, o.pipefail = shellFlags(flags, o.errexit, o.pipefail)
		return nil
	}
}

// shellFlags reads set/shell flags: -e, -o errexit, -o pipefail, +e.
func shellFlags(args []string, errexit, pipefail bool) (bool, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" || a == "+o":
			if i+1 < len(args) {
				on := a == "-o"
				switch args[i+1] {
				case "errexit":
					errexit = on
				case "pipefail":
					pipefail = on
				}
				i++
			}
		case strings.HasPrefix(a, "--"):
		case strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+"):
			on := a[0] == '-'
			for _, c := range a[1:] {
				switch c {
				case 'e':
					errexit = on
				case 'o':
					if i+1 < len(args) && args[i+1] == "pipefail" {
						pipefail = on
						i++
					} else if i+1 < len(args) && args[i+1] == "errexit" {
						errexit = on
						i++
					}
				}
			}
		}
	}
	return errexit, pipefail
}

// CacheCovers reports whether p (absolute) lies under one of the cache
// mounts, and which.
func (f *Facts) CacheCovers(p string) (string, bool) {
	if f == nil {
		return "", false
	}
	for _, t := range f.CacheMounts {
		if Under(p, t) {
			return t, true
		}
	}
	return "", false
}

// Under reports whether path p equals dir or lies below it. A trailing
// glob such as "/var/lib/apt/lists/*" counts as below its directory.
func Under(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	if dir == "/" {
		return true
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// PipNoCacheValue reports whether PIP_NO_CACHE_DIR set to v turns pip's
// cache off. pip reads the variable as a boolean and, for compatibility
// with its old behaviour, disables the cache for every value it reads as
// one, false ones included ("0", "off", "no"); only an empty value or one
// that is not a boolean leaves it on (pip then fails on the latter).
func PipNoCacheValue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0":
		return true
	}
	return false
}

// Truthy reports whether an environment value turns a boolean setting on,
// as pip reads PIP_NO_CACHE_DIR ("1", "true", "yes", "on", ...).
func Truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on", "y", "t":
		return true
	}
	return false
}

// Pkgs returns the package-manager operations of manager m ("" for all),
// in order.
func (f *Facts) Pkgs(m Manager) []*Command {
	var out []*Command
	if f == nil {
		return nil
	}
	for _, c := range f.Commands {
		if c.Pkg != nil && (m == "" || c.Pkg.Manager == m) {
			out = append(out, c)
		}
	}
	return out
}

// Rooted reports whether a path operand is not relative to the working
// directory: it is absolute, or it starts with an expansion left
// unexpanded that stands for a directory ("$HOME/.cache", "$tmp",
// "$(go env GOCACHE)"), which may well be absolute. An expansion followed
// by more of a name ("${V}.tar.gz", "$name-src") is a relative name.
func Rooted(p string) bool {
	if path.IsAbs(p) {
		return true
	}
	if !strings.HasPrefix(p, "$") || len(p) < 2 {
		return false
	}
	end := -1
	switch p[1] {
	case '{', '(':
		open, closer := p[1], byte('}')
		if open == '(' {
			closer = ')'
		}
		depth := 0
		for i := 1; i < len(p) && end < 0; i++ {
			switch p[i] {
			case open:
				depth++
			case closer:
				depth--
			}
			if depth == 0 {
				end = i + 1
			}
		}
	default:
		end = 1
		for end < len(p) && (p[end] == '_' || p[end] >= 'a' && p[end] <= 'z' || p[end] >= 'A' && p[end] <= 'Z' || p[end] >= '0' && p[end] <= '9') {
			end++
		}
		if end == 1 {
			return false
		}
	}
	return end > 0 && (end == len(p) || p[end] == '/')
}

package rules

import (
	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// command is one simple command of a RUN, as pkg/shellfacts reads it
// (wrappers such as sudo, env and `sh -c` looked through, quotes removed,
// known variables expanded), with the argument helpers the rules share.
type command struct {
	*shellfacts.Command
}

// commandsOf wraps the commands of a RUN's facts.
func commandsOf(f *shellfacts.Facts) []command {
	if f == nil {
		return nil
	}
	out := make([]command, len(f.Commands))
	for i, c := range f.Commands {
		out[i] = command{c}
	}
	return out
}

// cwd returns the command's working directory: absolute when known, else
// as written after a cd to an unknown place ("$(mktemp -d)"), else "".
func (c command) cwd() string {
	if c.Dir != "" {
		return c.Dir
	}
	return c.DirAs
}

// at resolves a path operand against the command's working directory.
func (c command) at(p string) string { return resolve(c.cwd(), p) }

// pkg returns the command's package-manager operation when it is one of
// the managers ms, or nil.
func (c command) pkg(ms ...shellfacts.Manager) *shellfacts.PkgOp {
	if c.Command == nil || c.Pkg == nil {
		return nil
	}
	for _, m := range ms {
		if c.Pkg.Manager == m {
			return c.Pkg
		}
	}
	return nil
}

// aptVerb returns the subcommand of an apt-get, apt or aptitude command as
// written ("update", "install", ...), or "" for other commands.
func aptVerb(c command) string {
	if pk := c.pkg(shellfacts.Apt); pk != nil {
		return pk.RawVerb
	}
	return ""
}

// verb returns the command's subcommand: the first argument that is not
// an option, skipping the values of the options in valued (for example
// "-o" for apt-get), or "".
func (c command) verb(valued ...string) string {
	v, _ := shellfacts.Subcommand(c.Args, valued...)
	return v
}

// hasFlag reports whether the command has one of the options: a long name
// ("no-cache" matches --no-cache and --no-cache=x) or a one-letter name
// ("y" matches -y and -qy).
func (c command) hasFlag(names ...string) bool { return shellfacts.HasFlag(c.Args, names...) }

// hasArg reports whether some argument equals one of the values.
func (c command) hasArg(values ...string) bool {
	for _, a := range c.Args {
		for _, v := range values {
			if a == v {
				return true
			}
		}
	}
	return false
}

// operands returns the arguments that are not options (nor values of the
// options in valued).
func (c command) operands(valued ...string) []string { return shellfacts.Operands(c.Args, valued...) }

// rangeOf returns the range of a command in the Dockerfile, or the RUN's
// range when the command has no position of its own.
func (ri *runInfo) rangeOf(c command) dockerfile.Range {
	if c.Command != nil && c.Range.Start.Line > 0 {
		return c.Range
	}
	return ri.in.Range
}

package rules

import (
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// pipCache is WH501: pip install without --no-cache-dir.
type pipCache struct{}

func (pipCache) Meta() Meta {
	return Meta{
		ID:       "WH501",
		Name:     "pip-no-cache-dir",
		Summary:  "pip install without --no-cache-dir keeps every downloaded wheel and sdist in ~/.cache/pip.",
		Hadolint: []string{"DL3042"},
		Severity: Warning,
		Doc:      "docs/rules/WH501.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "pip-cache",
		Intent:   []string{"cache"},
	}
}

// pipValued are pip's options that take a value (before and after the
// subcommand).
var pipValued = []string{"-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
	"-f", "--find-links", "-t", "--target", "--prefix", "--root", "--cache-dir", "--log", "--proxy", "--timeout",
	"--retries", "--python", "-e", "--editable", "--src", "--upgrade-strategy", "--platform", "--python-version",
	"--implementation", "--abi", "--trusted-host", "--progress-bar", "--root-user-action", "--config-settings",
	"--global-option", "--install-option", "--only-binary", "--no-binary", "--exists-action", "--cert", "--client-cert",
	"--report", "--use-feature", "--use-deprecated"}

func (pipCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		for i, c := range ri.cmds {
			// pip download and pip wheel write where they are told and
			// are not reported; NoCache covers --no-cache-dir (unless a
			// later --cache-dir overrides it) and PIP_NO_CACHE_DIR from
			// ENV, export or a prefix assignment.
			pk := c.Pkg
			if pk == nil || pk.Manager != shellfacts.Pip || pk.RawVerb != "install" || pk.NoCache {
				continue
			}
			cache := "/root/.cache/pip"
			if pk.CacheDir != "" {
				cache = pk.CacheDir
			}
			if mountCovers(ri, cache) || pk.CacheDir == "" && mountContains(ri, ".cache/pip") {
				continue
			}
			if v, ok := envLookup(p.File, ri.in, "PIP_NO_CACHE_DIR"); ok && shellfacts.PipNoCacheValue(v) && !pipCacheFlag(pk) {
				continue
			}
			if pipCacheCleanedAfter(ri, i, cache) {
				continue
			}
			where := "~/.cache/pip"
			if pk.CacheDir != "" {
				where = pk.CacheDir
			}
			mount := cache
			if pk.CacheDir == "" {
				mount, _ = p.underHome(ri, cache)
			}
			f := p.FindingAt(ri.rangeOf(c),
				"pip install keeps the downloaded packages in its cache ("+where+") in this layer",
				"add --no-cache-dir (or set ENV PIP_NO_CACHE_DIR=1, or mount a cache on "+mount+")")
			if pipCacheFlag(pk) {
				f.Message = "pip install --cache-dir keeps the downloaded packages in " + where + " in this layer (a --cache-dir after --no-cache-dir wins)"
			}
			f.Paths = cachePaths(cache, "/root/.cache/pip")
			f.Repair = p.pipCacheRepair(ri, c)
			out = append(out, f)
		}
	}
	return out
}

// pipCacheFlag reports whether the command line itself sets --cache-dir.
func pipCacheFlag(pk *shellfacts.PkgOp) bool {
	for _, f := range pk.Flags {
		if f == "--cache-dir" || strings.HasPrefix(f, "--cache-dir=") {
			return true
		}
	}
	return false
}

// pipCacheCleanedAfter reports whether the pip cache is removed after i:
// `pip cache purge` that sees the same cache (its default, or where the
// same variables move it), or an rm of the cache directory (or, for the
// default, ~/.cache).
func pipCacheCleanedAfter(ri *runInfo, i int, cache string) bool {
	if removedAfter(ri, i, cache) {
		return true
	}
	if ri.lastWhere("pip cache purge:"+cache, func(c command) bool {
		if c.Pkg == nil || c.Pkg.Manager != shellfacts.Pip || c.Pkg.Verb != shellfacts.Clean {
			return false
		}
		sees := "/root/.cache/pip"
		if c.Pkg.CacheDir != "" {
			sees = c.Pkg.CacheDir
		}
		return sees == cache
	}) > i {
		return true
	}
	return cache == "/root/.cache/pip" && ri.lastWhere("rm of a home's pip cache", func(c command) bool {
		return removesHomeCache(c, "/.cache/pip", "/.cache")
	}) > i
}

// pipCacheRepair adds --no-cache-dir after pip's install; where the
// command itself moves the cache with --cache-dir, that option is what
// keeps the cache, so it is the one replaced.
func (p *Pass) pipCacheRepair(ri *runInfo, c command) *Repair {
	se := ri.shell()
	if se == nil {
		return nil
	}
	cl, ok := se.callOf(c.Command)
	if !ok {
		return nil
	}
	if pipCacheFlag(c.Pkg) {
		// The --cache-dir option goes; it becomes --no-cache-dir unless
		// that is already there (then it was what the option overrode).
		hasNo := slices.ContainsFunc(cl.args, func(a string) bool { return shellfacts.PipOption(a) == "--no-cache-dir" })
		var edits []edit.Edit
		for k := 0; k < len(cl.args); k++ {
			a := shellfacts.PipOption(cl.args[k])
			if !cl.lit[k] {
				continue
			}
			start, end := se.sc.Offset(cl.words[k].Pos()), se.wordEnd(cl.words[k])
			switch {
			case strings.HasPrefix(a, "--cache-dir="):
			case a == "--cache-dir" && k+1 < len(cl.args):
				end = se.wordEnd(cl.words[k+1])
				k++
			default:
				continue
			}
			if strings.Contains(string(p.File.Src[start:end]), "\n") {
				return nil
			}
			if hasNo {
				// Take the blanks before it too.
				for start > 0 && (p.File.Src[start-1] == ' ' || p.File.Src[start-1] == '\t') {
					start--
				}
				edits = append(edits, edit.Delete(start, end))
				continue
			}
			edits = append(edits, edit.Replace(start, end, "--no-cache-dir"))
			hasNo = true
		}
		if len(edits) == 0 {
			return nil
		}
		return newRepair(p.File, Safe, "replace pip's --cache-dir (which overrides --no-cache-dir) with --no-cache-dir", "", edits...)
	}
	pc, shift := cl, 0
	if strings.HasPrefix(cl.name, "python") {
		if len(cl.args) < 2 || cl.args[0] != "-m" || cl.args[1] != "pip" {
			return nil
		}
		pc = call{ce: cl.ce, name: "pip", args: cl.args[2:], lit: cl.lit[2:], words: cl.words[2:], nested: cl.nested, sudo: cl.sudo}
		shift = 2
	}
	k, ok := pc.verbAt(c.Pkg, pipValued...)
	if !ok || !cl.lit[k+shift] {
		return nil
	}
	return newRepair(p.File, Safe, "add --no-cache-dir to pip install", "", edit.Insert(se.wordEnd(cl.words[k+shift]), " --no-cache-dir"))
}

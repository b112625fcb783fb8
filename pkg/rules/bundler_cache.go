package rules

import (
	"path"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// nonRoot reports whether the instruction runs as a user other than root
// (a USER in effect that names neither root nor 0).
func nonRoot(in *dockerfile.Instruction) bool {
	if in.Scope == nil {
		return false // an instruction before any FROM
	}
	u := in.Scope.User
	return u != "" && u != "root" && u != "0" && !strings.HasPrefix(u, "root:") && !strings.HasPrefix(u, "0:")
}

// bundlerCache is WH509: bundle install keeps every downloaded .gem
// archive in the gem directory's cache/, next to the installed gems.
type bundlerCache struct{}

func (bundlerCache) Meta() Meta {
	return Meta{
		ID:       "WH509",
		Name:     "bundler-gem-cache",
		Summary:  "bundle install keeps every downloaded .gem archive in the cache/ directory beside the installed gems (BUNDLE_PATH, GEM_HOME), which stays in the layer.",
		Severity: Warning,
		Doc:      "docs/rules/WH509.md",
		Repair:   Safe,
		Measure:  MeasurePaths,
		Intent:   []string{"cache", ".gem"},
	}
}

// bundlerCacheDir is where bundle install leaves the .gem archives:
// BUNDLE_PATH/ruby/VERSION/cache, else the path bundler is configured
// with (bundlerPath), else GEM_HOME/cache, else the official ruby images'
// /usr/local/bundle/cache, else the default gem directory's cache of
// Debian's ruby or a ruby built from source. A "*" stands for the ruby
// version whittle cannot know. system is true for the last: directories
// of the base image that only root may write.
func (p *Pass) bundlerCacheDirs(ri *runInfo, i int) (dirs []string, system bool) {
	c := ri.cmds[i]
	lookup := func(name string) (string, bool) {
		if v, ok := c.Assigns[name]; ok {
			return v, true
		}
		return envLookup(p.File, ri.in, name)
	}
	if v, ok := lookup("BUNDLE_PATH"); ok && v != "" {
		if !path.IsAbs(v) {
			v = path.Join(c.cwd(), v)
		}
		if path.IsAbs(v) && !strings.Contains(v, "$") {
			return []string{path.Join(v, "ruby", "*", "cache")}, false
		}
		return nil, false
	}
	if v, known := p.bundlerPath(ri, i); v != "" || !known {
		if v == "" || !path.IsAbs(v) || strings.ContainsAny(v, "$*?[") {
			return nil, false
		}
		return []string{path.Join(v, "ruby", "*", "cache")}, false
	}
	if v, ok := lookup("GEM_HOME"); ok && path.IsAbs(v) && !strings.Contains(v, "$") {
		return []string{path.Join(v, "cache")}, false
	}
	if ri.in.Stage != nil && officialRepo(p.rootImage(ri.in.Stage)) == "ruby" {
		return []string{"/usr/local/bundle/cache"}, false
	}
	return []string{"/var/lib/gems/*/cache", "/usr/local/lib/ruby/gems/*/cache"}, true
}

// bundlerPath returns the directory that bundle install (command i of the
// RUN) installs into when it is told one: its --path DIR or --deployment
// (vendor/bundle), else the last `bundle config [set] [--local|--global]
// path DIR` (or `deployment true`) before it, in this RUN or an earlier
// one of the stage or the stages it is built on; relative paths are
// resolved against the install's working directory, as bundler resolves
// them against the application's. It returns "" and true when none is
// told, "" and false when one is but whittle cannot tell which.
func (p *Pass) bundlerPath(ri *runInfo, i int) (string, bool) {
	c := ri.cmds[i]
	at := func(v string) (string, bool) {
		if strings.Contains(v, "$") || c.cwd() == "" && !path.IsAbs(v) {
			return "", false
		}
		return resolve(c.cwd(), v), true
	}
	for k, a := range c.Args {
		switch {
		case a == "--path" && k+1 < len(c.Args):
			return at(c.Args[k+1])
		case strings.HasPrefix(a, "--path="):
			return at(strings.TrimPrefix(a, "--path="))
		case a == "--deployment":
			return at("vendor/bundle")
		}
	}
	chain := stageChain(ri.in.Stage)
	value, told := "", false
	for _, o := range p.runs() {
		if o.in.Range.Start.Offset > ri.in.Range.Start.Offset || !slices.Contains(chain, o.in.Stage) {
			continue
		}
		for k, oc := range o.cmds {
			if o == ri && k >= i {
				break
			}
			if oc.Name != "bundle" && oc.Name != "bundler" {
				continue
			}
			key, v, ok := bundleConfig(oc.Args)
			switch {
			case !ok:
			case key == "path":
				value, told = v, true
			case key == "deployment" && (v == "true" || v == "1"):
				value, told = "vendor/bundle", true
			}
		}
	}
	if !told {
		return "", true
	}
	return at(value)
}

// bundleConfig reads `config [set] [--local|--global] KEY VALUE` (a
// setting, not a query or an unset); ok is false for anything else.
func bundleConfig(args []string) (key, value string, ok bool) {
	var words []string
	for _, a := range args {
		switch a {
		case "--local", "--global":
			continue
		}
		words = append(words, a)
	}
	if len(words) > 0 && words[0] == "config" {
		words = words[1:]
	} else {
		return "", "", false
	}
	if len(words) > 0 && words[0] == "set" {
		words = words[1:]
	}
	if len(words) != 2 || strings.HasPrefix(words[0], "-") {
		return "", "", false
	}
	return words[0], words[1], true
}

func (bundlerCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		for i, c := range ri.cmds {
			if c.Name != "bundle" && c.Name != "bundler" {
				continue
			}
			v := c.verb("--gemfile", "--path", "--jobs", "-j", "--retry", "--without", "--with")
			if v != "install" && v != "" || v == "" && c.hasFlag("version", "help", "v", "h") {
				continue
			}
			dirs, system := p.bundlerCacheDirs(ri, i)
			if len(dirs) == 0 || mountCovers(ri, dirs...) || allRemovedAfter(ri, i, dirs) {
				continue
			}
			f := p.FindingAt(ri.rangeOf(c),
				"bundle install keeps the downloaded .gem archives in "+strings.Join(dirs, " or ")+" in this layer",
				"end the same RUN with `rm -rf "+strings.Join(dirs, " ")+"`")
			f.Paths = dirs
			if !system || !nonRoot(ri.in) {
				// As another user than root, rm cannot remove the
				// base image's own archives there, and the RUN would fail.
				f.Repair = p.appendRepair(ri, "remove the .gem archives ("+strings.Join(dirs, " ")+") at the end of the RUN", "rm -rf "+strings.Join(dirs, " "))
			}
			out = append(out, f)
			break
		}
	}
	return out
}

// allRemovedAfter reports whether every one of dirs is removed after i.
func allRemovedAfter(ri *runInfo, i int, dirs []string) bool {
	for _, d := range dirs {
		if !removedAfter(ri, i, d) {
			return false
		}
	}
	return true
}

package rules

import (
	"path"
	"strings"
)

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
// BUNDLE_PATH/ruby/VERSION/cache, else GEM_HOME/cache, else the official
// ruby images' /usr/local/bundle/cache, else the default gem directory's
// cache of Debian's ruby or a ruby built from source. A "*" stands for the
// ruby version whittle cannot know.
func (p *Pass) bundlerCacheDirs(ri *runInfo, c command) []string {
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
			return []string{path.Join(v, "ruby", "*", "cache")}
		}
		return nil
	}
	if v, ok := lookup("GEM_HOME"); ok && path.IsAbs(v) && !strings.Contains(v, "$") {
		return []string{path.Join(v, "cache")}
	}
	if ri.in.Stage != nil && officialRepo(p.rootImage(ri.in.Stage)) == "ruby" {
		return []string{"/usr/local/bundle/cache"}
	}
	return []string{"/var/lib/gems/*/cache", "/usr/local/lib/ruby/gems/*/cache"}
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
			dirs := p.bundlerCacheDirs(ri, c)
			if len(dirs) == 0 || mountCovers(ri, dirs...) || allRemovedAfter(ri, i, dirs) {
				continue
			}
			f := p.FindingAt(ri.rangeOf(c),
				"bundle install keeps the downloaded .gem archives in "+strings.Join(dirs, " or ")+" in this layer",
				"end the same RUN with `rm -rf "+strings.Join(dirs, " ")+"`")
			f.Paths = dirs
			f.Repair = p.appendRepair(ri, "remove the .gem archives ("+strings.Join(dirs, " ")+") at the end of the RUN", "rm -rf "+strings.Join(dirs, " "))
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

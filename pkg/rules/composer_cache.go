package rules

import (
	"path"
	"regexp"
	"strings"

	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// composerCache is WH508: composer install, update, require or
// create-project keep every downloaded package archive in composer's
// cache, which stays in the layer.
type composerCache struct{}

func (composerCache) Meta() Meta {
	return Meta{
		ID:       "WH508",
		Name:     "composer-cache",
		Summary:  "composer install, update, require and create-project keep the downloaded packages in composer's cache (COMPOSER_CACHE_DIR, COMPOSER_HOME/cache, ~/.composer/cache or ~/.cache/composer), which stays in the layer.",
		Severity: Warning,
		Doc:      "docs/rules/WH508.md",
		Repair:   Safe,
		Measure:  MeasurePaths,
		Intent:   []string{"cache"},
	}
}

// composerInstalls are composer's commands that download packages.
var composerInstalls = map[string]bool{"install": true, "i": true, "update": true, "u": true, "upgrade": true,
	"require": true, "r": true, "create-project": true, "reinstall": true}

var toolComposer = tool{name: "composer", pkgs: regexp.MustCompile(`^composer$`), paths: []string{"/usr/local/bin/composer", "/usr/bin/composer"}}

// composerCacheDirs are where composer keeps its cache for root, as it
// chooses: COMPOSER_CACHE_DIR, else COMPOSER_HOME/cache, else
// ~/.composer/cache (composer 1, or 2 where ~/.composer exists) or
// ~/.cache/composer (composer 2). The second result says whether the
// command itself was given the variable (a prefix assignment).
func (p *Pass) composerCacheDirs(ri *runInfo, c command) ([]string, string) {
	lookup := func(name string) (string, string, bool) {
		if v, ok := c.Assigns[name]; ok {
			return v, name + "=" + v + " ", true
		}
		v, ok := envLookup(p.File, ri.in, name)
		return v, "", ok
	}
	if v, pre, ok := lookup("COMPOSER_CACHE_DIR"); ok && path.IsAbs(v) {
		return []string{path.Clean(v)}, pre
	}
	if v, pre, ok := lookup("COMPOSER_HOME"); ok && path.IsAbs(v) {
		return []string{path.Join(v, "cache")}, pre
	}
	return []string{"/root/.composer/cache", "/root/.cache/composer"}, ""
}

func (composerCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		for i, c := range ri.cmds {
			verb := c.verb("-d", "--working-dir")
			if c.Name == "composer" && verb == "global" {
				ops := c.operands("-d", "--working-dir")
				if len(ops) > 1 {
					verb = ops[1]
				}
			}
			if c.Name != "composer" || !composerInstalls[verb] || c.hasFlag("no-cache") {
				continue
			}
			dirs, pre := p.composerCacheDirs(ri, c)
			if mountCovers(ri, dirs...) || composerCleanedAfter(ri, i, dirs) {
				continue
			}
			// The default dirs are root's: another USER's (or a moved
			// HOME's) are under that home.
			shown, paths, note := dirs, dirs, ""
			if len(dirs) == 2 { // root's defaults
				if h := p.homeOf(ri); h.dir == "" {
					shown, paths, note = []string{"$HOME/.composer/cache", "$HOME/.cache/composer"}, nil, h.note()
				} else if h.dir != "/root" {
					shown = []string{path.Join(h.dir, ".composer/cache"), path.Join(h.dir, ".cache/composer")}
					paths = shown
				}
			}
			f := p.FindingAt(ri.rangeOf(c),
				"composer "+verb+" keeps the downloaded packages in composer's cache ("+strings.Join(shown, " or ")+note+") in this layer",
				"end the same RUN with `composer clear-cache`, or run composer with --no-cache, or mount a cache on "+shown[0]+note)
			f.Paths = paths
			if pre == "" || pathText.MatchString(strings.TrimSpace(pre)) {
				f.Repair, _ = p.cleanupRepair(ri, toolComposer, func(c command) bool { return c.Name == "composer" },
					"run composer clear-cache", pre+"composer clear-cache")
			}
			out = append(out, f)
			break
		}
	}
	return out
}

// composerCleanedAfter reports whether composer's cache is emptied after
// index i: composer clear-cache (clearcache, cc), or an rm of every
// possible cache directory.
func composerCleanedAfter(ri *runInfo, i int, dirs []string) bool {
	if ri.lastWhere("composer clear-cache", composerClearsCache) > i {
		return true
	}
	for _, d := range dirs {
		if !removedAfter(ri, i, d) {
			return false
		}
	}
	return true
}

func composerClearsCache(c command) bool {
	if c.Name == "composer" {
		switch c.verb("-d", "--working-dir") {
		case "clear-cache", "clearcache", "cc":
			return true
		}
	}
	return false
}

// composerDev is WH510: composer install (or update) without --no-dev in a
// stage that makes the final image installs the require-dev packages
// (test frameworks, linters, debuggers) into the image.
type composerDev struct{}

func (composerDev) Meta() Meta {
	return Meta{
		ID:       "WH510",
		Name:     "composer-dev-dependencies",
		Summary:  "composer install without --no-dev (require without --update-no-dev, or require --dev) in a stage that makes the final image installs the require-dev packages (test frameworks, linters) into it.",
		Severity: Info,
		Doc:      "docs/rules/WH510.md",
		Repair:   Unsafe,
		Intent:   []string{"dev", "test"},
	}
}

func (composerDev) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if ri.in.Stage != nil && !p.Ships(ri.in.Stage) {
			continue // a builder stage may need them (tests)
		}
		if v, ok := envLookup(p.File, ri.in, "COMPOSER_NO_DEV"); ok && v != "" && v != "0" {
			continue
		}
		for _, c := range ri.cmds {
			verb := c.verb("-d", "--working-dir")
			if c.Name != "composer" {
				continue
			}
			if _, ok := c.Assigns["COMPOSER_NO_DEV"]; ok {
				continue
			}
			if verb == "require" {
				if f, ok := p.composerRequireDev(ri, c); ok {
					out = append(out, f)
				}
				continue
			}
			if (verb != "install" && verb != "i" && verb != "update" && verb != "u") || c.hasFlag("no-dev") {
				continue
			}
			f := p.FindingAt(ri.rangeOf(c),
				"composer "+verb+" without --no-dev installs the require-dev packages into the final image",
				"add --no-dev (and --optimize-autoloader) for the image that ships; keep the dev packages in a stage that runs the tests")
			if se := ri.shell(); se != nil {
				if cl, ok := se.callOf(c.Command); ok {
					if k, ok := composerVerbAt(cl); ok {
						f.Repair = newRepair(p.File, Unsafe, "add --no-dev to composer "+verb,
							"the require-dev packages are no longer installed: code the image runs that uses one of them fails", edit.Insert(se.wordEnd(cl.words[k]), " --no-dev"))
					}
				}
			}
			out = append(out, f)
		}
	}
	return out
}

// composerRequireDev is WH510's finding on a composer require in a stage
// that makes the final image: with --dev it adds a require-dev package to
// the image (no repair: the remedy is not to run it there); without
// --update-no-dev its update installs the require-dev packages too
// (unsafe repair: add --update-no-dev).
func (p *Pass) composerRequireDev(ri *runInfo, c command) (Finding, bool) {
	if c.hasFlag("dev") {
		return p.FindingAt(ri.rangeOf(c),
			"composer require --dev adds a require-dev package, and installs the require-dev packages, into the final image",
			"require development packages in the project's composer.json, not in the image's build; install them in a stage that runs the tests"), true
	}
	if c.hasFlag("update-no-dev") {
		return Finding{}, false
	}
	f := p.FindingAt(ri.rangeOf(c),
		"composer require without --update-no-dev installs the require-dev packages into the final image with its update",
		"add --update-no-dev (and --optimize-autoloader) for the image that ships")
	if se := ri.shell(); se != nil {
		if cl, ok := se.callOf(c.Command); ok {
			if k, ok := composerVerbAt(cl); ok {
				f.Repair = newRepair(p.File, Unsafe, "add --update-no-dev to composer require",
					"the require-dev packages are no longer installed: code the image runs that uses one of them fails", edit.Insert(se.wordEnd(cl.words[k]), " --update-no-dev"))
			}
		}
	}
	return f, true
}

// composerVerbAt returns the index of composer's subcommand word.
func composerVerbAt(cl call) (int, bool) {
	_, i := shellfacts.Subcommand(cl.args, "-d", "--working-dir")
	if i < 0 || !cl.lit[i] {
		return 0, false
	}
	return i, true
}

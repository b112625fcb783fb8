package rules

import (
	"regexp"
	"strings"
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
	}
}

var pipName = regexp.MustCompile(`^pip[0-9.]*$`)
var pythonName = regexp.MustCompile(`^python[0-9.]*$`)

// pipInstallAt reports whether c is a pip install (pip*, or python* -m
// pip), and returns pip's arguments.
func pipInstall(c command) ([]string, bool) {
	if pipName.MatchString(c.Name) {
		return c.Args, c.verb("--cache-dir", "-r", "--requirement", "-c", "--constraint", "--index-url", "-i", "--extra-index-url", "--trusted-host", "--target", "-t", "--prefix", "--root") == "install"
	}
	if pythonName.MatchString(c.Name) {
		for i, a := range c.Args {
			if a == "-m" && i+1 < len(c.Args) && c.Args[i+1] == "pip" {
				inner := command{Name: "pip", Args: c.Args[i+2:]}
				return inner.Args, inner.verb() == "install"
			}
			if strings.HasPrefix(a, "-m") && a != "-m" {
				return nil, false
			}
		}
	}
	return nil, false
}

// truthy is pip's reading of a boolean environment value.
func truthy(v string) bool {
	switch strings.ToLower(strings.Trim(v, `"'`)) {
	case "1", "true", "on", "yes":
		return true
	}
	return false
}

func (pipCache) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountContains(ri, ".cache/pip") || mountCovers(ri, "/root/.cache/pip") {
			continue
		}
		if v, ok := envLookup(p.File, ri.in, "PIP_NO_CACHE_DIR"); ok && truthy(v) {
			continue
		}
		exported := false
		for i, c := range ri.cmds {
			if v, ok := c.Assigns["PIP_NO_CACHE_DIR"]; ok && (c.Name == "" || c.Name == "export" || c.Name == "declare") {
				exported = truthy(v)
			}
			args, ok := pipInstall(c)
			if !ok {
				continue
			}
			if exported || truthy(c.Assigns["PIP_NO_CACHE_DIR"]) {
				continue
			}
			inner := command{Args: args}
			if inner.hasFlag("no-cache-dir") || pipCacheCleanedAfter(ri.cmds, i) {
				continue
			}
			out = append(out, p.FindingAt(ri.rangeOf(c),
				"pip install without --no-cache-dir keeps the downloaded packages in ~/.cache/pip in this layer",
				"add --no-cache-dir (or set ENV PIP_NO_CACHE_DIR=1, or mount a cache on /root/.cache/pip)"))
		}
	}
	return out
}

// pipCacheCleanedAfter reports whether the pip cache is removed after i:
// `pip cache purge` or rm of ~/.cache/pip (or ~/.cache).
func pipCacheCleanedAfter(cmds []command, i int) bool {
	for _, c := range cmds[i+1:] {
		if pipName.MatchString(c.Name) && c.verb() == "cache" && c.hasArg("purge") {
			return true
		}
		if removes(c, "/root/.cache/pip") || removesHomeCache(c, "/.cache/pip", "/.cache") {
			return true
		}
	}
	return false
}

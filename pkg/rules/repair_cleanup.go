package rules

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/whittle/whittle/pkg/shellfacts"
)

// Cleanups chained into the RUN that made a cache: at its end, or, when a
// later command of the RUN removes the tool the cleanup needs, right
// after the tool's last use.

// appendRepair returns a Safe repair chaining cmds at the end of the RUN,
// nil when nothing can be appended there.
func (p *Pass) appendRepair(ri *runInfo, message string, cmds ...string) *Repair {
	e, ok := ri.shell().appendCmds(cmds...)
	if !ok {
		return nil
	}
	return newRepair(p.File, Safe, message, "", e)
}

// tool describes what a cleanup command needs: the program, and the
// packages or paths whose removal takes it away.
type tool struct {
	// name is the program ("npm").
	name string
	// pkgs matches the names of the packages that provide it.
	pkgs *regexp.Regexp
	// paths are where it lives; an rm of one of them (or below) removes it.
	paths []string
}

var (
	toolNpm  = tool{name: "npm", pkgs: regexp.MustCompile(`^(npm|nodejs|node|nodejs-current|nodejs-lts)$`), paths: []string{"/usr/local/bin/npm", "/usr/local/lib/node_modules/npm", "/usr/bin/npm", "/usr/lib/node_modules/npm", "/usr/local/bin/node"}}
	toolYarn = tool{name: "yarn", pkgs: regexp.MustCompile(`^(yarn|yarnpkg|nodejs|node)$`), paths: []string{"/usr/local/bin/yarn", "/usr/local/bin/yarnpkg", "/opt/yarn", "/usr/bin/yarn", "/usr/local/lib/node_modules/yarn"}}
	toolGo   = tool{name: "go", pkgs: regexp.MustCompile(`^(go|golang|golang-go|golang-[0-9.]+(-go)?|go[0-9.]+)$`), paths: []string{"/usr/local/go", "/usr/lib/go", "/usr/bin/go"}}
	toolApt  = tool{name: "apt-get", pkgs: regexp.MustCompile(`^apt$`)}
	toolDnf  = tool{name: "dnf", pkgs: regexp.MustCompile(`^(dnf|dnf5)$`)}
	toolYum  = tool{name: "yum", pkgs: regexp.MustCompile(`^yum$`)}
	toolZyp  = tool{name: "zypper", pkgs: regexp.MustCompile(`^zypper$`)}
	toolMdnf = tool{name: "microdnf", pkgs: regexp.MustCompile(`^microdnf$`)}
)

// removesTool reports whether command c takes tool t away: it removes a
// package that provides it (with any package manager) or deletes where it
// lives.
func removesTool(c *shellfacts.Command, t tool) bool {
	if pk := c.Pkg; pk != nil && (pk.Verb == shellfacts.Remove || pk.Verb == shellfacts.Purge) {
		for _, op := range pk.Packages {
			name := layerPkgName(pk.Manager, op)
			if strings.ContainsAny(name, "*?[") {
				re := strings.ReplaceAll(regexp.QuoteMeta(name), `\*`, ".*")
				for _, cand := range []string{t.name, "nodejs", "golang-go"} {
					if ok, _ := regexp.MatchString("^"+re+"$", cand); ok && t.pkgs.MatchString(cand) {
						return true
					}
				}
				continue
			}
			if t.pkgs.MatchString(name) {
				return true
			}
		}
	}
	if f := c.File; f != nil && f.Op == "rm" {
		for _, q := range f.Paths {
			for _, tp := range t.paths {
				if layerPathOverlaps(tp, q) {
					return true
				}
			}
		}
	}
	return false
}

// cleanupRepair returns the Safe repair running cmd after the last command
// matching uses in the RUN: at its end, or, when a later command removes
// t, right after that last use. Nil, with the reason, when neither place
// can take it.
func (p *Pass) cleanupRepair(ri *runInfo, t tool, uses func(c command) bool, message, cmd string) (*Repair, string) {
	se := ri.shell()
	if se == nil {
		return nil, "the RUN is not a shell script whittle can edit"
	}
	last := -1
	for i, c := range ri.cmds {
		if uses(c) {
			last = i
		}
	}
	gone := -1
	for i := last + 1; i < len(ri.cmds) && last >= 0; i++ {
		if removesTool(ri.cmds[i].Command, t) {
			gone = i
			break
		}
	}
	cmd = se.sudoFor(t.name) + cmd
	if gone < 0 {
		if r := p.appendRepair(ri, message+" at the end of the RUN", cmd); r != nil {
			return r, ""
		}
		return nil, "nothing can be chained at the end of this RUN (exec form, a background job or an exit at its end)"
	}
	use := ri.cmds[last]
	if use.Call == nil {
		return nil, ""
	}
	e, ok := se.insertAfter(use.Call, cmd)
	if !ok {
		return nil, fmt.Sprintf("%s is removed by %s before the RUN ends, and the cleanup cannot be placed between its last use and that removal", t.name, ri.cmds[gone].Name)
	}
	return newRepair(p.File, Safe, message+fmt.Sprintf(", before %s removes %s", ri.cmds[gone].Name, t.name), "", e), ""
}

// pathText matches a path that can be written into a command as is.
var (
	pathText   = regexp.MustCompile(`^[A-Za-z0-9_./${}:+@%,=-]+$`)
	unsafeText = regexp.MustCompile(`\$\(|\$\{[^}]*[^A-Za-z0-9_}][^}]*\}`)
)

// tmpRoot returns "/tmp" or "/var/tmp" when p lies below it.
func tmpRoot(p string) string {
	p = path.Clean(p)
	for _, t := range []string{"/tmp", "/var/tmp"} {
		if strings.HasPrefix(p, t+"/") || p == t {
			return t
		}
	}
	return ""
}

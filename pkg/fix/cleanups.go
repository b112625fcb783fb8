package fix

import (
	"path"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// Repairs inside one RUN: a flag after a package manager's verb, or a
// cleanup chained at the end of the RUN that made the cache.

// What a command is (manager, subcommand, flags that matter) comes from
// its shellfacts.PkgOp, as lint reads it; the flag lists below only find
// the subcommand's word, where a new flag goes.

var aptValued = []string{"-o", "-c", "-t", "--target-release", "--option", "--config-file"}

// aptPkg returns the call's apt operation when it runs apt-get or apt
// (aptitude takes other flags), else nil.
func aptPkg(c call) *shellfacts.PkgOp {
	if pk := c.pkgOf(shellfacts.Apt); pk != nil && pk.Tool != "aptitude" {
		return pk
	}
	return nil
}

// insertFlag returns repairs adding flag after the verb of every call
// matching want.
func insertFlag(p *pass, rule, flag, msg string, want func(c call) (int, bool), skip ...func(*runCtx) bool) []repair {
	var out []repair
runs:
	for _, rc := range p.runs {
		if !p.g.allows(rule, rc.in) {
			continue
		}
		for _, sk := range skip {
			if sk(rc) {
				continue runs
			}
		}
		for _, c := range rc.calls {
			i, ok := want(c)
			if !ok || i < 0 || !c.lit[i] {
				continue
			}
			at := rc.wordEnd(c.words[i])
			out = append(out, repair{
				rule:  rule,
				at:    at,
				msg:   msg,
				edits: []edit.Edit{edit.Insert(at, " "+flag)},
				insts: []int{rc.in.Index},
			})
		}
	}
	return out
}

func aptRecommends(p *pass) []repair {
	return insertFlag(p, "WH202", "--no-install-recommends",
		"added --no-install-recommends to apt-get install",
		func(c call) (int, bool) {
			// NoInstallRecommends covers the flag and
			// -o APT::Install-Recommends=false.
			pk := aptPkg(c)
			if pk == nil || pk.RawVerb != "install" || pk.NoInstallRecommends {
				return 0, false
			}
			return c.verbAt(pk, aptValued...)
		})
}

var apkValued = []string{"-X", "--repository", "-p", "--root", "-t", "--virtual", "--arch", "--keys-dir", "--repositories-file", "--cache-dir"}

func apkNoCache(p *pass) []repair {
	out := insertFlag(p, "WH301", "--no-cache", "added --no-cache to apk add",
		func(c call) (int, bool) {
			pk := c.pkgOf(shellfacts.Apk)
			if pk == nil || pk.RawVerb != "add" || pk.NoCache {
				return 0, false
			}
			return c.verbAt(pk, apkValued...)
		})
	// With --no-cache, a preceding `apk update` only leaves an index
	// behind: drop it where it is a link of an && chain.
	for _, rc := range p.runs {
		if !p.g.allows("WH301", rc.in) {
			continue
		}
		// Only when every other apk command is an add that gets
		// --no-cache: apk upgrade, search or info would need the index.
		adds, others := false, false
		for _, c := range rc.calls {
			pk := c.pkgOf(shellfacts.Apk)
			switch {
			case pk == nil:
			case pk.RawVerb == "add" && !pk.NoCache:
				adds = true
			case pk.RawVerb == "update":
			default:
				others = true
			}
		}
		if !adds || others {
			continue
		}
		for _, c := range rc.calls {
			if pk := c.pkgOf(shellfacts.Apk); pk == nil || pk.RawVerb != "update" || c.nested {
				continue
			}
			if e, ok := rc.dropChainLink(c); ok {
				out = append(out, repair{rule: "WH301", at: e.Start, msg: "removed apk update (apk add --no-cache fetches the index itself)", edits: []edit.Edit{e}, insts: []int{rc.in.Index}})
			}
		}
	}
	return out
}

// dropChainLink returns the edit removing call c and the && after it, when
// c is a link of a top-level && chain followed by another link, or a
// top-level statement followed by another, with no comment in between.
func (rc *runCtx) dropChainLink(c call) (edit.Edit, bool) {
	stmts := rc.sc.File.Stmts
	for i, s := range stmts {
		// A statement of its own ("apk update; apk add x", or a line of a
		// heredoc) goes up to the next statement.
		if s.Cmd == syntax.Command(c.ce) && i+1 < len(stmts) && len(s.Redirs) == 0 && !s.Background && !s.Negated {
			start, end := rc.sc.Offset(s.Pos()), rc.sc.Offset(stmts[i+1].Pos())
			if end <= start || strings.Contains(string(rc.f.Src[start:end]), "#") {
				return edit.Edit{}, false
			}
			return edit.Delete(start, end), true
		}
	}
	for _, s := range stmts {
		links := chainLinks(s)
		for k, l := range links {
			if k+1 >= len(links) || l.Cmd != syntax.Command(c.ce) || len(l.Redirs) > 0 {
				continue
			}
			start := rc.sc.Offset(l.Pos())
			end := rc.sc.Offset(links[k+1].Pos())
			if end <= start || strings.Contains(string(rc.f.Src[start:end]), "#") {
				return edit.Edit{}, false
			}
			return edit.Delete(start, end), true
		}
	}
	return edit.Edit{}, false
}

// chainLinks flattens a top-level && chain into its statements in order;
// a statement that is not an && chain is its only link.
func chainLinks(s *syntax.Stmt) []*syntax.Stmt {
	if s == nil || s.Background || s.Coprocess || s.Negated {
		return nil
	}
	b, ok := s.Cmd.(*syntax.BinaryCmd)
	if !ok || b.Op != syntax.AndStmt || len(s.Redirs) > 0 {
		return []*syntax.Stmt{s}
	}
	return append(chainLinks(b.X), chainLinks(b.Y)...)
}

// pipArgs returns the call's words after the program: for python -m pip
// the call shifted past "-m pip", so that verb indexes stay aligned with
// words; false when the words do not show where pip's start.
func pipArgs(c call) (call, bool) {
	switch {
	case !strings.HasPrefix(c.name, "python"):
		return c, true
	case len(c.args) >= 2 && c.args[0] == "-m" && c.args[1] == "pip":
		return call{ce: c.ce, stmt: c.stmt, name: "pip", args: c.args[2:], lit: c.lit[2:], words: c.words[2:], nested: c.nested, pkg: c.pkg}, true
	}
	return c, false
}

func pipNoCache(p *pass) []repair {
	return insertFlag(p, "WH501", "--no-cache-dir", "added --no-cache-dir to pip install",
		func(c call) (int, bool) {
			pk := c.pkgOf(shellfacts.Pip)
			if pk == nil || pk.RawVerb != "install" || pk.NoCache {
				return 0, false
			}
			pc, ok := pipArgs(c)
			if !ok {
				return 0, false
			}
			i, ok := pc.verbAt(pk, "-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root")
			return i + (len(c.args) - len(pc.args)), ok
		}, pipCacheOff)
}

// pipCacheOff reports whether a RUN's pip cache is already kept out of the
// layer: PIP_NO_CACHE_DIR set, or a cache mount on it.
func pipCacheOff(rc *runCtx) bool {
	if v, ok := rc.in.Scope.Lookup("PIP_NO_CACHE_DIR"); ok && v != "" && v != "0" && !strings.EqualFold(v, "false") {
		return true
	}
	return hasMount(rc.in, "/root/.cache/pip")
}

func gemNoDocument(p *pass) []repair {
	return insertFlag(p, "WH504", "--no-document", "added --no-document to gem install",
		func(c call) (int, bool) {
			pk := c.pkgOf(shellfacts.Gem)
			// A documentation flag of its own (--no-ri, --document=ri) is
			// the author's choice: left alone.
			if pk == nil || pk.RawVerb != "install" || pk.NoDocument || c.hasFlag("no-rdoc", "no-ri", "document") {
				return 0, false
			}
			return c.verbAt(pk, "-v", "--version", "-s", "--source", "-i", "--install-dir", "-n", "--bindir", "--platform")
		})
}

// appendCleanup returns, for each RUN the rule applies to, a repair
// chaining cmds at its end.
func appendCleanup(p *pass, rule, msg string, applies func(rc *runCtx) bool, tools []string, cmds ...string) []repair {
	var out []repair
	for _, rc := range p.runs {
		if rc.appendAt < 0 || !p.g.allows(rule, rc.in) || !applies(rc) {
			continue
		}
		out = append(out, repair{
			rule:  rule,
			at:    rc.in.Range.Start.Offset,
			msg:   msg,
			edits: []edit.Edit{rc.appendCmds(prefixed(rc.sudoFor(tools...), cmds)...)},
			insts: []int{rc.in.Index},
		})
	}
	return out
}

// after reports whether a call matching match comes after one matching
// first in the RUN.
func (rc *runCtx) after(first, match func(c call) bool) bool {
	seen := false
	for _, c := range rc.calls {
		if seen && match(c) {
			return true
		}
		if first(c) {
			seen = true
		}
	}
	return false
}

func (rc *runCtx) has(match func(c call) bool) bool {
	for _, c := range rc.calls {
		if match(c) {
			return true
		}
	}
	return false
}

func aptVerbIs(verbs ...string) func(c call) bool {
	return func(c call) bool {
		pk := aptPkg(c)
		return pk != nil && slices.Contains(verbs, pk.RawVerb)
	}
}

// removesPath matches rm calls removing dir or a glob inside it.
func removesPath(dir string) func(c call) bool {
	return func(c call) bool {
		if c.name != "rm" {
			return false
		}
		for _, a := range c.operands(0) {
			a = strings.TrimRight(a, "/")
			if a == dir || strings.HasPrefix(a, dir+"/") {
				return true
			}
		}
		return false
	}
}

var aptInstallVerbs = []string{"install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "reinstall"}

func aptClean(p *pass) []repair {
	return appendCleanup(p, "WH203", "added apt-get clean at the end of the RUN",
		func(rc *runCtx) bool {
			return rc.has(aptVerbIs(aptInstallVerbs...)) &&
				!rc.after(aptVerbIs(aptInstallVerbs...), aptVerbIs("clean", "distclean", "dist-clean")) &&
				!rc.after(aptVerbIs(aptInstallVerbs...), removesPath("/var/cache/apt")) &&
				!hasMount(rc.in, "/var/cache/apt")
		}, []string{"apt-get", "apt"}, "apt-get clean")
}

func aptLists(p *pass) []repair {
	return appendCleanup(p, "WH201", "removed /var/lib/apt/lists at the end of the RUN",
		func(rc *runCtx) bool {
			return rc.has(aptVerbIs("update")) &&
				!rc.after(aptVerbIs("update"), removesPath("/var/lib/apt/lists")) &&
				!rc.after(aptVerbIs("update"), aptVerbIs("distclean", "dist-clean")) &&
				!hasMount(rc.in, "/var/lib/apt/lists") &&
				!p.listsNeededLater(rc)
		}, []string{"apt-get", "apt"}, "rm -rf /var/lib/apt/lists/*")
}

// listsNeededLater reports whether a later RUN of the stage, or of a stage
// built on it, installs with apt without its own apt-get update: removing
// the lists would break it.
func (p *pass) listsNeededLater(rc *runCtx) bool {
	for _, o := range p.runs {
		if o.in.Index <= rc.in.Index || !descends(o.in.Stage, rc.in.Stage) {
			continue
		}
		update := false
		for _, c := range o.calls {
			if aptVerbIs("update")(c) {
				update = true
			}
			if aptVerbIs("install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep", "source", "download", "reinstall")(c) && !update {
				return true
			}
		}
	}
	return false
}

// descends reports whether stage s is anc or built on it.
func descends(s, anc *dockerfile.Stage) bool {
	for ; s != nil; s = s.BaseStage {
		if s == anc {
			return true
		}
	}
	return false
}

// rpmClean is the shared repair of WH401-WH403. A call counts as the
// tool's when its PkgOp was read from that very program (tdnf is a Dnf
// operation, but dnf's clean command is not tdnf's).
func rpmClean(p *pass, rule string, tools []string, installs map[string]bool, cacheDirs []string, cleanCmd func(tool string) string) []repair {
	var out []repair
	for _, rc := range p.runs {
		if rc.appendAt < 0 || !p.g.allows(rule, rc.in) || hasMount(rc.in, cacheDirs...) {
			continue
		}
		var need string
		for _, tool := range tools {
			isInstall := func(c call) bool {
				return c.pkg != nil && c.pkg.Tool == tool && installs[c.pkg.RawVerb]
			}
			isClean := func(c call) bool {
				if c.pkg != nil && c.pkg.Tool == tool && (c.pkg.RawVerb == "clean" || c.pkg.RawVerb == "cc") {
					return true
				}
				for _, d := range cacheDirs {
					if removesPath(d)(c) {
						return true
					}
				}
				return false
			}
			if rc.has(isInstall) && !rc.after(isInstall, isClean) {
				need = tool
				break
			}
		}
		if need == "" {
			continue
		}
		out = append(out, repair{
			rule:  rule,
			at:    rc.in.Range.Start.Offset,
			msg:   "added " + cleanCmd(need) + " at the end of the RUN",
			edits: []edit.Edit{rc.appendCmds(rc.sudoFor(need) + cleanCmd(need))},
			insts: []int{rc.in.Index},
		})
	}
	return out
}

func yumClean(p *pass) []repair {
	return rpmClean(p, "WH401", []string{"yum"},
		map[string]bool{"install": true, "groupinstall": true, "localinstall": true, "reinstall": true},
		[]string{"/var/cache/yum"},
		func(string) string { return "yum clean all" })
}

func zypperClean(p *pass) []repair {
	return rpmClean(p, "WH402", []string{"zypper"},
		map[string]bool{"install": true, "in": true},
		[]string{"/var/cache/zypp"},
		func(string) string { return "zypper clean --all" })
}

func dnfClean(p *pass) []repair {
	return rpmClean(p, "WH403", []string{"dnf", "microdnf"},
		map[string]bool{"install": true, "in": true, "upgrade": true, "up": true, "update": true,
			"upgrade-minimal": true, "up-min": true, "reinstall": true, "rei": true, "groupinstall": true, "distro-sync": true},
		[]string{"/var/cache/libdnf5", "/var/cache/dnf", "/var/cache/yum"},
		func(tool string) string { return tool + " clean all" })
}

func npmCacheClean(p *pass) []repair {
	installs := func(c call) bool {
		pk := c.pkgOf(shellfacts.Npm)
		return pk != nil && (pk.Verb == shellfacts.Install || pk.RawVerb == "update")
	}
	return appendCleanup(p, "WH502", "added npm cache clean --force at the end of the RUN",
		func(rc *runCtx) bool {
			return rc.has(installs) &&
				!rc.after(installs, func(c call) bool {
					pk := c.pkgOf(shellfacts.Npm)
					return (pk != nil && pk.RawVerb == "cache") || removesPath("/root/.npm")(c) || removesHome(c, ".npm")
				}) &&
				!hasMount(rc.in, "/root/.npm")
		}, []string{"npm"}, "npm cache clean --force")
}

func yarnCacheClean(p *pass) []repair {
	installs := func(c call) bool {
		// "yarn global add" (RawVerb "add", Global) fills the cache too,
		// but is left to the merge repairs, as before.
		pk := c.pkgOf(shellfacts.Yarn)
		return pk != nil && !pk.Global && (pk.RawVerb == "" || pk.RawVerb == "install" || pk.RawVerb == "add")
	}
	return appendCleanup(p, "WH503", "added yarn cache clean at the end of the RUN",
		func(rc *runCtx) bool {
			return rc.has(installs) &&
				!rc.after(installs, func(c call) bool {
					pk := c.pkgOf(shellfacts.Yarn)
					return (pk != nil && pk.RawVerb == "cache") || removesPath("/usr/local/share/.cache/yarn")(c) || removesHome(c, ".cache/yarn") || removesPath("/root/.cache/yarn")(c)
				}) &&
				!hasMount(rc.in, "/usr/local/share/.cache/yarn") && !hasMount(rc.in, "/root/.cache/yarn") && !hasMount(rc.in, "/root/.yarn")
		}, []string{"yarn"}, "yarn cache clean")
}

// removesHome matches rm of ~/rel or $HOME/rel.
func removesHome(c call, rel string) bool {
	if c.name != "rm" {
		return false
	}
	for i, a := range c.args {
		if c.lit[i] && strings.HasPrefix(a, "-") {
			continue
		}
		for _, h := range []string{"~/", "$HOME/", "${HOME}/"} {
			if r, ok := strings.CutPrefix(a, h); ok && (path.Clean(r) == rel || strings.HasPrefix(r, rel+"/")) {
				return true
			}
		}
	}
	return false
}

// useraddNoLog is WH605: `useradd -l` (--no-log-init), so that a large UID
// does not make /var/log/lastlog and faillog huge sparse files.
func useraddNoLog(p *pass) []repair {
	var out []repair
	for _, rc := range p.runs {
		if !p.g.known["WH605"] || !p.g.allows("WH605", rc.in) {
			continue
		}
		for _, c := range rc.calls {
			if c.name != "useradd" || c.hasFlag("l", "no-log-init") {
				continue
			}
			name := c.ce.Args[0]
			if c.sudo {
				name = c.ce.Args[1]
			}
			at := rc.wordEnd(name)
			out = append(out, repair{
				rule:  "WH605",
				at:    at,
				msg:   "added -l (--no-log-init) to useradd",
				edits: []edit.Edit{edit.Insert(at, " -l")},
				insts: []int{rc.in.Index},
			})
		}
	}
	return out
}

package shellfacts

import (
	"path"
	"regexp"
	"strings"
)

var (
	aptSpec    = spec{short: "otcaS", long: longs("--option", "--target-release", "--default-release", "--config-file", "--host-architecture")}
	apkSpec    = spec{short: "tXp", long: longs("--virtual", "--repository", "--root", "--keys-dir", "--arch", "--cache-dir", "--repositories-file", "--progress-fd", "--wait", "--cache-max-age")}
	rpmSpec    = spec{short: "cxRd", long: longs("--setopt", "--enablerepo", "--disablerepo", "--installroot", "--releasever", "--config", "--exclude", "--repo", "--repoid", "--forcearch", "--downloaddir", "--destdir", "--color", "--rpmverbosity", "--debuglevel", "--errorlevel", "--repofrompath", "--setvar")}
	zypSpec    = spec{short: "rRtDc", long: longs("--repo", "--from", "--root", "--type", "--config", "--download", "--dry-run-x")}
	pipSpec    = spec{short: "rcietCf", long: longs("--requirement", "--constraint", "--index-url", "--extra-index-url", "--find-links", "--target", "--prefix", "--root", "--editable", "--src", "--upgrade-strategy", "--platform", "--python-version", "--implementation", "--abi", "--trusted-host", "--cache-dir", "--log", "--proxy", "--timeout", "--retries", "--progress-bar", "--root-user-action", "--config-settings", "--global-option", "--install-option", "--only-binary", "--no-binary", "--exists-action", "--cert", "--client-cert", "--python", "--report", "--use-feature", "--use-deprecated", "--build", "--build-dir")}
	npmSpec    = spec{short: "w", long: longs("--prefix", "--registry", "--cache", "--loglevel", "--omit", "--only", "--workspace", "--userconfig", "--tag", "--scope", "--network-timeout", "--modules-folder", "--cache-folder", "--mutex", "--cwd", "--filter", "--store-dir", "--install-links")}
	gemSpec    = spec{short: "vinsPpb", long: longs("--version", "--install-dir", "--bindir", "--source", "--trust-policy", "--platform", "--document", "--build-root", "--config-file", "--http-proxy")}
	goSpec     = spec{short: "opC", long: longs()}
	cargoSpec  = spec{short: "pjFZ", long: longs("--package", "--jobs", "--features", "--target", "--target-dir", "--root", "--profile", "--manifest-path", "--bin", "--example", "--version", "--git", "--branch", "--tag", "--rev", "--path", "--index", "--registry", "--config", "--color")}
	pipVersion = regexp.MustCompile(`^pip[0-9.]*$`)
	pyVersion  = regexp.MustCompile(`^python[0-9.]*$`)
)

// classify recognizes what the command means.
func (w *walker) classify(c *Command, fl flow) {
	name, args := c.Name, c.Args
	switch {
	case name == "apt-get" || name == "apt" || name == "aptitude":
		c.Pkg = aptOp(name, args)
	case name == "apk":
		c.Pkg = apkOp(args)
	case name == "dnf" || name == "yum" || name == "microdnf" || name == "tdnf":
		c.Pkg = rpmOp(name, args)
	case name == "zypper":
		c.Pkg = zypperOp(args)
	case pipVersion.MatchString(name):
		c.Pkg = w.pipOp(c, name, args)
	case pyVersion.MatchString(name):
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-m" && pipVersion.MatchString(args[i+1]) {
				c.Pkg = w.pipOp(c, name+" -m "+args[i+1], args[i+2:])
				break
			}
			if !strings.HasPrefix(args[i], "-") {
				break
			}
		}
	case name == "npm" || name == "yarn" || name == "pnpm":
		c.Pkg = jsOp(name, args)
	case name == "gem":
		c.Pkg = gemOp(args)
	case name == "go":
		c.Pkg = goOp(args)
	case name == "cargo":
		c.Pkg = cargoOp(args)
	case name == "curl" || name == "wget":
		c.Download = w.download(name, args, fl)
	case name == "tar" || name == "unzip" || name == "gunzip" || name == "bunzip2" || name == "unxz" || name == "7z" || name == "bsdtar",
		name == "7za" || name == "unrar" || name == "unzstd" || name == "unlzma" || name == "uncompress",
		name == "zcat" || name == "xzcat" || name == "bzcat" || name == "zstdcat":
		c.Extract = w.extract(name, args, fl)
	case name == "gzip" || name == "xz" || name == "bzip2" || name == "zstd" || name == "lzma":
		if ops, _ := scan(args, spec{}); has(ops, "-d", "--decompress") {
			c.Extract = w.extract(name, args, fl)
		}
	default:
		c.File = w.fileOp(name, args)
	}
	if c.Pkg != nil {
		c.Pkg.CacheDir = w.cacheDir(c)
	}
}

// cacheDir reads where a tool's cache was moved to.
func (w *walker) cacheDir(c *Command) string {
	var dir string
	env := func(names ...string) {
		for _, n := range names {
			if v, ok := w.env(c, n); ok && v != "" {
				dir = v
			}
		}
	}
	// A HOME other than /root moves the caches kept under it (ENV HOME,
	// export, a prefix); XDG_CACHE_HOME moves those pip and go keep under
	// ~/.cache; their own variables and options come after and win.
	home := func(sub string) {
		if v, ok := w.env(c, "HOME"); ok && path.IsAbs(v) && path.Clean(v) != "/root" {
			dir = path.Join(v, sub)
		}
	}
	xdg := func(sub string) {
		home(".cache/" + sub)
		if v, ok := w.env(c, "XDG_CACHE_HOME"); ok && v != "" {
			dir = strings.TrimSuffix(v, "/") + "/" + sub
		}
	}
	switch c.Pkg.Manager {
	case Go:
		xdg("go-build")
		env("GOCACHE")
	case Pip:
		xdg("pip")
		env("PIP_CACHE_DIR")
		for _, f := range c.Pkg.Flags {
			if v, ok := strings.CutPrefix(f, "--cache-dir="); ok {
				dir = v
			}
		}
	case Npm:
		home(".npm")
		env("npm_config_cache", "NPM_CONFIG_CACHE")
		for _, f := range c.Pkg.Flags {
			if v, ok := strings.CutPrefix(f, "--cache="); ok {
				dir = v
			}
		}
	case Yarn:
		// yarn v1 keeps its cache in $XDG_CACHE_HOME/yarn, else
		// ~/.cache/yarn, where ~ is /usr/local/share for root whatever
		// HOME says: the home part is the caller's, who knows the user
		// (Home).
		if v, ok := w.env(c, "HOME"); ok && path.IsAbs(v) {
			c.Pkg.Home = path.Clean(v)
		}
		if v, ok := w.env(c, "XDG_CACHE_HOME"); ok && v != "" {
			dir = strings.TrimSuffix(v, "/") + "/yarn"
		}
		env("YARN_CACHE_FOLDER")
		for _, f := range c.Pkg.Flags {
			if v, ok := strings.CutPrefix(f, "--cache-folder="); ok {
				dir = v
			}
		}
	}
	if dir == "" {
		return ""
	}
	return w.abs(dir)
}

func aptOp(tool string, args []string) *PkgOp {
	ops, rest := scan(args, aptSpec)
	p := &PkgOp{Manager: Apt, Tool: tool}
	if len(rest) == 0 {
		p.Flags = words(ops)
		return p
	}
	p.RawVerb, p.Packages = rest[0], rest[1:]
	switch p.RawVerb {
	case "update":
		p.Verb = Update
	case "install", "reinstall", "build-dep", "satisfy":
		p.Verb = Install
	case "remove":
		p.Verb = Remove
		if has(ops, "--purge") {
			p.Verb = Purge
		}
	case "purge":
		p.Verb = Purge
	case "autoremove", "auto-remove", "autopurge":
		p.Verb = Autoremove
	case "clean", "autoclean", "auto-clean", "distclean":
		p.Verb = Clean
	case "upgrade", "dist-upgrade", "full-upgrade", "safe-upgrade":
		p.Verb = Upgrade
	}
	p.Yes = has(ops, "-y", "--yes", "--assume-yes", "--force-yes") || count(ops, "-q") >= 2 || has(ops, "--quiet=2")
	if tool == "aptitude" && has(ops, "-R", "--without-recommends") {
		p.NoInstallRecommends = true
	}
	p.NoInstallRecommends = p.NoInstallRecommends || has(ops, "--no-install-recommends")
	p.AutoRemove = has(ops, "--auto-remove", "--autoremove")
	for _, v := range values(ops, "-o", "--option") {
		k, val, _ := strings.Cut(v, "=")
		switch strings.ToLower(k) {
		case "apt::install-recommends":
			if falsy(val) {
				p.NoInstallRecommends = true
			}
		case "apt::get::assume-yes":
			if !falsy(val) {
				p.Yes = true
			}
		case "apt::get::autoremove", "apt::autoremove":
			if !falsy(val) {
				p.AutoRemove = true
			}
		}
	}
	p.Flags = words(ops)
	return p
}

func apkOp(args []string) *PkgOp {
	ops, rest := scan(args, apkSpec)
	p := &PkgOp{Manager: Apk, Tool: "apk", Flags: words(ops)}
	if len(rest) == 0 {
		return p
	}
	p.RawVerb, p.Packages = rest[0], rest[1:]
	switch p.RawVerb {
	case "add", "fix":
		p.Verb = Install
	case "del":
		p.Verb = Remove
	case "update":
		p.Verb = Update
	case "upgrade":
		p.Verb = Upgrade
	case "cache":
		if len(rest) > 1 && (rest[1] == "clean" || rest[1] == "purge") {
			p.Verb, p.Packages = Clean, nil
		}
	}
	p.NoCache = has(ops, "--no-cache")
	p.Update = has(ops, "-U", "--update", "--update-cache")
	if v, ok := last(ops, "-t", "--virtual"); ok {
		p.Virtual = v
	}
	return p
}

func rpmOp(tool string, args []string) *PkgOp {
	ops, rest := scan(args, rpmSpec)
	p := &PkgOp{Manager: Manager(tool), Tool: tool, Flags: words(ops)}
	if tool == "tdnf" {
		p.Manager = Dnf
	}
	if len(rest) == 0 {
		return p
	}
	p.RawVerb, p.Packages = rest[0], rest[1:]
	switch p.RawVerb {
	case "install", "reinstall", "localinstall", "groupinstall", "in", "builddep", "build-dep":
		p.Verb = Install
	case "group", "groups":
		if len(rest) > 1 && rest[1] == "install" {
			p.Verb, p.Packages = Install, rest[2:]
		}
	case "module":
		if len(rest) > 1 && rest[1] == "install" {
			p.Verb, p.Packages = Install, rest[2:]
		}
	case "remove", "erase", "rm", "groupremove":
		p.Verb = Remove
	case "autoremove":
		p.Verb = Autoremove
	case "clean":
		p.Verb = Clean
		for _, a := range p.Packages {
			if a == "all" {
				p.All = true
			}
		}
	case "makecache":
		p.Verb = Update
	case "update", "upgrade", "distro-sync", "update-minimal", "upgrade-minimal":
		p.Verb = Upgrade
	}
	p.Yes = has(ops, "-y", "--assumeyes")
	for _, v := range values(ops, "--setopt") {
		k, val, _ := strings.Cut(v, "=")
		if strings.TrimSpace(k) == "install_weak_deps" && falsy(val) {
			p.NoInstallRecommends = true
		}
	}
	return p
}

func zypperOp(args []string) *PkgOp {
	ops, rest := scan(args, zypSpec)
	p := &PkgOp{Manager: Zypper, Tool: "zypper", Flags: words(ops)}
	if len(rest) == 0 {
		return p
	}
	p.RawVerb, p.Packages = rest[0], rest[1:]
	switch p.RawVerb {
	case "install", "in", "source-install", "si":
		p.Verb = Install
	case "remove", "rm":
		p.Verb = Remove
	case "refresh", "ref":
		p.Verb = Update
	case "update", "up", "dist-upgrade", "dup", "patch":
		p.Verb = Upgrade
	case "clean", "cc":
		p.Verb = Clean
		p.All = has(ops, "-a", "--all")
	}
	p.Yes = has(ops, "-n", "--non-interactive", "-y", "--no-confirm")
	p.NoInstallRecommends = has(ops, "--no-recommends")
	return p
}

// pipAbbrev are pip's long options whose unique prefixes pip accepts
// (optparse), with the shortest prefix no other pip option shares.
var pipAbbrev = []struct{ name, shortest string }{
	{"--no-cache-dir", "--no-ca"},
	{"--cache-dir", "--ca"},
}

// PipOption spells out an abbreviated long option of pip ("--no-cache" is
// --no-cache-dir), keeping a value given with "="; other words come back
// as they are.
func PipOption(a string) string {
	name, val, eq := strings.Cut(a, "=")
	for _, o := range pipAbbrev {
		if name != o.name && strings.HasPrefix(o.name, name) && len(name) >= len(o.shortest) {
			if eq {
				return o.name + "=" + val
			}
			return o.name
		}
	}
	return a
}

func (w *walker) pipOp(c *Command, tool string, args []string) *PkgOp {
	long := make([]string, len(args))
	for i, a := range args {
		long[i] = a
		if strings.HasPrefix(a, "--") {
			long[i] = PipOption(a)
		}
	}
	ops, rest := scan(long, pipSpec)
	p := &PkgOp{Manager: Pip, Tool: tool, Flags: words(ops)}
	if len(rest) > 0 {
		p.RawVerb, p.Packages = rest[0], rest[1:]
	}
	switch p.RawVerb {
	case "install", "download", "wheel":
		p.Verb = Install
	case "uninstall":
		p.Verb = Remove
	case "cache":
		if len(rest) > 1 && (rest[1] == "purge" || rest[1] == "remove") {
			p.Verb, p.Packages = Clean, nil
		}
	}
	p.Packages = append(p.Packages, values(ops, "-e", "--editable")...)
	p.Requirements = values(ops, "-r", "--requirement")
	// The last of --no-cache-dir and --cache-dir on the command line
	// wins; without either, PIP_NO_CACHE_DIR decides.
	set := false
	for _, o := range ops {
		switch o.Name {
		case "--no-cache-dir":
			p.NoCache, set = true, true
		case "--cache-dir":
			p.NoCache, set = false, true
		}
	}
	if v, ok := w.env(c, "PIP_NO_CACHE_DIR"); ok && !set && PipNoCacheValue(v) {
		p.NoCache = true
	}
	return p
}

func jsOp(tool string, args []string) *PkgOp {
	ops, rest := scan(args, npmSpec)
	p := &PkgOp{Manager: Manager(tool), Tool: tool, Flags: words(ops)}
	p.Global = has(ops, "-g", "--global")
	if len(rest) > 0 && rest[0] == "global" && tool == "yarn" {
		p.Global, rest = true, rest[1:]
	}
	if len(rest) == 0 {
		if tool == "yarn" {
			p.Verb = Install
		}
		return p
	}
	p.RawVerb, p.Packages = rest[0], rest[1:]
	switch p.RawVerb {
	case "install", "i", "in", "isntall", "add", "ci", "clean-install", "install-clean", "ic":
		p.Verb = Install
	case "uninstall", "remove", "rm", "r", "un", "unlink":
		p.Verb = Remove
	case "cache":
		if len(rest) > 1 && (rest[1] == "clean" || rest[1] == "clear") {
			p.Verb, p.Packages = Clean, nil
			p.Force = has(ops, "-f", "--force")
		}
	case "store":
		if len(rest) > 1 && rest[1] == "prune" {
			p.Verb, p.Packages = Clean, nil
		}
	}
	return p
}

func gemOp(args []string) *PkgOp {
	ops, rest := scan(args, gemSpec)
	p := &PkgOp{Manager: Gem, Tool: "gem", Flags: words(ops)}
	if len(rest) > 0 {
		p.RawVerb, p.Packages = rest[0], rest[1:]
	}
	switch p.RawVerb {
	case "install", "i", "update":
		p.Verb = Install
	case "uninstall":
		p.Verb = Remove
	case "cleanup":
		p.Verb = Clean
	}
	p.NoDocument = has(ops, "-N", "--no-document") || (has(ops, "--no-ri") && has(ops, "--no-rdoc"))
	if v, ok := last(ops, "--document"); ok && v == "" {
		p.NoDocument = true
	}
	return p
}

func goOp(args []string) *PkgOp {
	ops, rest := scan(args, goSpec)
	p := &PkgOp{Manager: Go, Tool: "go", Flags: words(ops)}
	if len(rest) == 0 {
		return p
	}
	p.RawVerb, p.Packages = rest[0], rest[1:]
	switch p.RawVerb {
	case "build", "test", "vet":
		p.Verb = Build
	case "install", "get":
		p.Verb = Install
	case "mod":
		if len(rest) > 1 && rest[1] == "download" {
			p.Verb, p.RawVerb, p.Packages = Install, "mod download", rest[2:]
		}
	case "clean":
		p.Verb = Clean
		p.All = has(ops, "-cache", "-modcache")
		// go's flags are single-dash words: scan splits them; keep them
		// as written too.
		for _, a := range args {
			if a == "-cache" || a == "-modcache" || a == "-testcache" {
				p.Flags = append(p.Flags, a)
				p.All = true
			}
		}
	}
	return p
}

func cargoOp(args []string) *PkgOp {
	ops, rest := scan(args, cargoSpec)
	p := &PkgOp{Manager: Cargo, Tool: "cargo", Flags: words(ops)}
	if len(rest) == 0 {
		return p
	}
	p.RawVerb, p.Packages = rest[0], rest[1:]
	switch p.RawVerb {
	case "build", "b", "test", "t":
		p.Verb = Build
	case "install", "fetch":
		p.Verb = Install
	case "clean":
		p.Verb = Clean
	}
	return p
}

// urlBase returns the file name curl -O or wget would give a URL.
func urlBase(u string) string {
	if strings.Contains(u, "$(") || strings.Contains(u, "`") {
		return "" // named by a command substitution: unknown
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if !strings.Contains(u, "/") || strings.HasSuffix(u, "/") {
		return "" // no path, or a directory: the server names the file
	}
	b := path.Base(u)
	if b == "/" || b == "." {
		return ""
	}
	return b
}

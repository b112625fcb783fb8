package rules

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// buildPackages is WH107: compilers, build tools and headers installed in
// a stage whose layers make the final image, used by a later build (make,
// pip install, npm install, ...), and never removed. Without a later build
// the tools are what the image offers (a toolchain image): not reported.
type buildPackages struct{}

func (buildPackages) Meta() Meta {
	return Meta{
		ID:       "WH107",
		Name:     "build-packages-kept",
		Summary:  "Compilers, build tools, -dev headers and git installed for a build in a stage that makes the final image, and never removed, ship in it.",
		Severity: Warning,
		Doc:      "docs/rules/WH107.md",
		Measure:  MeasurePackages,
	}
}

// buildTools are packages that only build software: compilers, make and
// its helpers, the meta-packages that bring them.
var buildTools = regexp.MustCompile(`^(build-essential|build-base|alpine-sdk|gcc(-[0-9.]+)?|g\+\+(-[0-9.]+)?|gcc-c\+\+|cpp|clang(-[0-9.]+)?|llvm(-[0-9.]+)?|make|cmake|ninja-build|ninja|meson|autoconf|automake|libtool|pkg-config|pkgconf|pkgconfig|bison|flex|gfortran|musl-dev|libc6-dev|libc-dev|glibc-devel|kernel-headers|linux-headers)$`)

// fetchTools fetch what a build uses (a clone; the git dependencies of
// pip, npm, go or bundler): build packages too when a build follows them.
var fetchTools = regexp.MustCompile(`^(git|git-core|subversion|mercurial)$`)

// headers are development packages: headers and static libraries, whose
// runtime libraries are separate packages.
var headers = regexp.MustCompile(`.-(dev|devel)$`)

func (buildPackages) Check(p *Pass) []Finding {
	var out []Finding
	seen := map[*dockerfile.Instruction]bool{}
	runs := imageCommands(p.File)
	for _, s := range p.File.Stages {
		if !p.Ships(s) {
			continue // a builder stage is where build tools belong
		}
		steps, _ := layerHistory(p, s)
		rm := newRemovals(steps)
		for i, st := range steps {
			if st.facts == nil || seen[st.in] {
				continue
			}
			ri := p.run(st.in)
			if ri == nil {
				continue
			}
			for k, c := range ri.cmds {
				pk := c.Pkg
				if pk == nil || pk.Verb != shellfacts.Install || !osManager(pk.Manager) {
					continue
				}
				fam := layerFamily(pk.Manager)
				var tools, devs []string
				for _, op := range pk.Packages {
					name := layerPkgName(pk.Manager, op)
					if name == "" || strings.ContainsAny(name, "/$*") {
						continue
					}
					// Removed by a later command of the RUN or of a later
					// step: by name, as its --virtual group, or by
					// apt's autoremove.
					if rm.after(i, k, fam, name) || pk.Virtual != "" && rm.after(i, k, fam, pk.Virtual) || rm.autoAfter(i, k, fam) {
						continue
					}
					switch {
					case slices.Contains(tools, name) || slices.Contains(devs, name):
						// named twice
					case buildTools.MatchString(name), fetchTools.MatchString(name):
						tools = append(tools, name)
					case headers.MatchString(name):
						devs = append(devs, name)
					}
				}
				// Without a build after them in the stage, the tools are
				// what the image offers its users (a toolchain image).
				at, ok := p.cmdIndex("uses a build", usesBuild).after(ri, k)
				if len(tools)+len(devs) == 0 || !ok {
					continue
				}
				line := at.line()
				seen[st.in] = true
				// A tool the image's CMD or ENTRYPOINT runs (git for a
				// pull at start) is plausibly needed at run time: it is
				// left out of a finding about other packages, and a
				// finding about it alone is info.
				var runtime []string
				rtLine := 0
				if len(tools) > 0 {
					var kept []string
					for _, t := range tools {
						if l := runs[toolCommand(t)]; l > 0 {
							runtime = append(runtime, t)
							if rtLine == 0 || l < rtLine {
								rtLine = l
							}
							continue
						}
						kept = append(kept, t)
					}
					if len(kept) > 0 || len(devs) > 0 {
						tools = kept
					} else {
						tools, runtime = runtime, nil
					}
				}
				named := append(append([]string{}, tools...), devs...)
				f := p.FindingAt(ri.rangeOf(c),
					fmt.Sprintf("%s installs build packages (%s) that stay in the final image: nothing removes them", c.Name, layerJoin(named)),
					buildPackagesFix(fam, buildName(at.ri.cmds[at.i]), layerJoinAll(named)))
				switch {
				case len(tools) == 0:
					// Headers alone: their runtime libraries are often
					// needed, and a -dev package is the plausible way
					// they came in.
					f.Severity = Info
					f.Message += " (headers only: the image may need their runtime libraries)"
				case allRun(tools, runs):
					f.Severity = Info
					f.Message += fmt.Sprintf(" (the image's command runs %s, line %d: the image may need %s at run time)", layerJoin(tools), firstRun(tools, runs), pronoun(tools))
				}
				f.Message += fmt.Sprintf("; they serve the build at line %d", line)
				if len(runtime) > 0 {
					verb := "is"
					if len(runtime) > 1 {
						verb = "are"
					}
					f.Message += fmt.Sprintf("; %s, which the image's command runs (line %d), %s left out", layerJoin(runtime), rtLine, verb)
				}
				f.Packages = named
				out = append(out, f)
			}
		}
	}
	return out
}

// osManager reports whether m is a distribution's package manager.
func osManager(m shellfacts.Manager) bool {
	switch m {
	case shellfacts.Apt, shellfacts.Apk, shellfacts.Dnf, shellfacts.Yum, shellfacts.Microdnf, shellfacts.Zypper:
		return true
	}
	return false
}

// aptAutoRemoves reports whether d is an apt-get autoremove (which takes
// packages marked automatic, after an apt-mark auto).
func aptAutoRemoves(d *shellfacts.Command, fam string) bool {
	return fam == "apt" && d.Pkg != nil && d.Pkg.Manager == shellfacts.Apt && (d.Pkg.Verb == shellfacts.Autoremove || d.Pkg.AutoRemove)
}

// removals knows, for a stage history, the last command that removes
// each package (by family and name) and the last apt autoremove, so that
// whether a package is removed after a command is answered at once rather
// than by reading every later step again for every package.
type removals struct {
	pkg  map[[2]string]stepCmd
	auto map[string]stepCmd
}

// stepCmd is the command cmd of step step.
type stepCmd struct{ step, cmd int }

func (a stepCmd) after(step, cmd int) bool {
	return a.step > step || a.step == step && a.cmd > cmd
}

func newRemovals(steps []layerStep) *removals {
	r := &removals{pkg: map[[2]string]stepCmd{}, auto: map[string]stepCmd{}}
	for i, st := range steps {
		if st.facts == nil {
			continue
		}
		for k, d := range st.facts.Commands {
			p := d.Pkg
			if p == nil {
				continue
			}
			if p.Verb == shellfacts.Remove || p.Verb == shellfacts.Purge {
				fam := layerFamily(p.Manager)
				for _, op := range p.Packages {
					r.pkg[[2]string{fam, layerPkgName(p.Manager, op)}] = stepCmd{i, k}
				}
			}
			if aptAutoRemoves(d, "apt") {
				r.auto["apt"] = stepCmd{i, k}
			}
		}
	}
	return r
}

// after reports whether a command after command k of step i removes the
// package (layerRemovesPkg).
func (r *removals) after(i, k int, fam, name string) bool {
	last, ok := r.pkg[[2]string{fam, name}]
	return ok && last.after(i, k)
}

// autoAfter reports whether an autoremove of the family runs after
// command k of step i (aptAutoRemoves).
func (r *removals) autoAfter(i, k int, fam string) bool {
	last, ok := r.auto[fam]
	return ok && last.after(i, k)
}

// usesBuild reports whether c builds or installs language packages that
// may compile native code.
func usesBuild(c command) bool {
	if builds(c) {
		return true
	}
	if pk := c.Pkg; pk != nil && pk.Verb == shellfacts.Install {
		switch pk.Manager {
		case shellfacts.Pip, shellfacts.Npm, shellfacts.Yarn, shellfacts.Pnpm, shellfacts.Gem, shellfacts.Cargo:
			return true
		}
	}
	return false
}

// buildPackagesFix is WH107's fix for packages pkgs (as the command line
// names them) of a family, with build the build that uses them.
func buildPackagesFix(fam, build, pkgs string) string {
	oneRun := "install, use and remove them in one RUN"
	switch fam {
	case "apt":
		oneRun = "install, use and remove them in one RUN (`apt-get install -y --no-install-recommends " + pkgs + " && " + build + " ... && apt-get purge -y --auto-remove -o APT::AutoRemove::SuggestsImportant=false " + pkgs + "`: without the option apt keeps what an installed package suggests, and apt itself suggests dpkg-dev, which keeps gcc; `apt-mark manual` the runtime libraries the build needs first)"
	case "apk":
		oneRun = "install, use and remove them in one RUN (`apk add --no-cache --virtual .build-deps " + pkgs + " && " + build + " ... && apk del .build-deps`)"
	}
	return "build in a separate stage and copy only the results, or " + oneRun
}

// buildName is how WH107's fix names the build that uses the packages:
// its command and, for a package manager, its subcommand ("pip install",
// "make").
func buildName(c command) string {
	name := c.Name
	if !strings.HasPrefix(name, "./") {
		name = path.Base(name)
	}
	if name == "configure" {
		name = "./configure"
	}
	if pk := c.Pkg; pk != nil && pk.RawVerb != "" && !strings.HasPrefix(name, "python") {
		return name + " " + pk.RawVerb
	}
	if pk := c.Pkg; pk != nil && pk.RawVerb != "" {
		return "pip " + pk.RawVerb
	}
	return name
}

// layerJoinAll joins package names with blanks for a command line: all of
// them up to six, else the first four and "...".
func layerJoinAll(names []string) string {
	if len(names) > 6 {
		return strings.Join(names[:4], " ") + " ..."
	}
	return strings.Join(names, " ")
}

// toolCommand is the program a build package provides that an image's
// command would run ("git" for git, "gcc" for gcc-12), or "" for
// meta-packages and libraries, which no command names.
func toolCommand(pkg string) string {
	switch pkg {
	case "build-essential", "build-base", "alpine-sdk", "musl-dev", "libc6-dev", "libc-dev", "glibc-devel",
		"kernel-headers", "linux-headers":
		return ""
	case "gcc-c++":
		return "g++"
	case "ninja-build":
		return "ninja"
	case "pkgconf", "pkgconfig":
		return "pkg-config"
	case "git-core":
		return "git"
	case "subversion":
		return "svn"
	case "mercurial":
		return "hg"
	}
	if i := strings.LastIndexByte(pkg, '-'); i > 0 && strings.Trim(pkg[i+1:], "0123456789.") == "" {
		return pkg[:i]
	}
	return pkg
}

// allRun reports whether the image's command runs every one of tools.
func allRun(tools []string, runs map[string]int) bool {
	for _, t := range tools {
		if runs[toolCommand(t)] == 0 {
			return false
		}
	}
	return len(tools) > 0
}

// firstRun is the first line of the image's command that runs one of
// tools.
func firstRun(tools []string, runs map[string]int) int {
	first := 0
	for _, t := range tools {
		if l := runs[toolCommand(t)]; l > 0 && (first == 0 || l < first) {
			first = l
		}
	}
	return first
}

// imageCommands maps the programs that the final image's CMD and
// ENTRYPOINT (the last of each in its stages) name to their line: the
// words of an exec form, of a shell form's command line, and of an
// `sh -c` script, by base name. Words are split at blanks and shell
// operators only: a program whose name appears as a word is taken as run.
func imageCommands(f *dockerfile.File) map[string]int {
	out := map[string]int{}
	var cmd, entry *dockerfile.Instruction
	for s := f.Target; s != nil && (cmd == nil || entry == nil); s = s.BaseStage {
		for k := len(s.Instructions) - 1; k >= 0; k-- {
			in := s.Instructions[k]
			switch {
			case in.Kind == dockerfile.KindCmd && cmd == nil:
				cmd = in
			case in.Kind == dockerfile.KindEntrypoint && entry == nil:
				entry = in
			}
		}
	}
	for _, in := range []*dockerfile.Instruction{entry, cmd} {
		if in == nil {
			continue
		}
		for _, a := range in.Args {
			for _, w := range strings.FieldsFunc(a, func(r rune) bool {
				return r == ' ' || r == '\t' || r == '\n' || r == ';' || r == '&' || r == '|' || r == '(' || r == ')' || r == '`' || r == '"' || r == '\''
			}) {
				w = w[strings.LastIndexByte(w, '/')+1:]
				if w != "" && out[w] == 0 {
					out[w] = in.Range.Start.Line
				}
			}
		}
	}
	return out
}

// pronoun is "it" for one package, "them" for more.
func pronoun(names []string) string {
	if len(names) == 1 {
		return "it"
	}
	return "them"
}

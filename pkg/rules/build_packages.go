package rules

import (
	"fmt"
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
		Summary:  "Compilers, build tools and -dev headers installed for a build in a stage that makes the final image, and never removed, ship in it.",
		Severity: Warning,
		Doc:      "docs/rules/WH107.md",
	}
}

// buildTools are packages that only build software: compilers, make and
// its helpers, the meta-packages that bring them.
var buildTools = regexp.MustCompile(`^(build-essential|build-base|alpine-sdk|gcc(-[0-9.]+)?|g\+\+(-[0-9.]+)?|gcc-c\+\+|cpp|clang(-[0-9.]+)?|llvm(-[0-9.]+)?|make|cmake|ninja-build|ninja|meson|autoconf|automake|libtool|pkg-config|pkgconf|pkgconfig|bison|flex|gfortran|musl-dev|libc6-dev|libc-dev|glibc-devel|kernel-headers|linux-headers)$`)

// headers are development packages: headers and static libraries, whose
// runtime libraries are separate packages.
var headers = regexp.MustCompile(`.-(dev|devel)$`)

func (buildPackages) Check(p *Pass) []Finding {
	var out []Finding
	seen := map[*dockerfile.Instruction]bool{}
	for _, s := range p.File.Stages {
		if !p.Ships(s) {
			continue // a builder stage is where build tools belong
		}
		steps, _ := layerHistory(p, s)
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
					gone := func(d *shellfacts.Command) bool {
						return layerRemovesPkg(d, fam, name) || pk.Virtual != "" && layerRemovesPkg(d, fam, pk.Virtual) || aptAutoRemoves(d, fam)
					}
					if slices.ContainsFunc(ri.cmds[k+1:], func(d command) bool { return gone(d.Command) }) || removedLaterIn(steps[i+1:], gone) {
						continue
					}
					switch {
					case buildTools.MatchString(name):
						tools = append(tools, name)
					case headers.MatchString(name):
						devs = append(devs, name)
					}
				}
				// Without a build after them in the stage, the tools are
				// what the image offers its users (a toolchain image).
				line := p.after(ri, k, usesBuild)
				if len(tools)+len(devs) == 0 || line == 0 {
					continue
				}
				seen[st.in] = true
				f := p.FindingAt(ri.rangeOf(c),
					fmt.Sprintf("%s installs build packages (%s) that stay in the final image: nothing removes them", c.Name, layerJoin(append(tools, devs...))),
					buildPackagesFix(fam))
				if len(tools) == 0 {
					// Headers alone: their runtime libraries are often
					// needed, and a -dev package is the plausible way
					// they came in.
					f.Severity = Info
					f.Message += " (headers only: the image may need their runtime libraries)"
				}
				f.Message += fmt.Sprintf("; they serve the build at line %d", line)
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

// removedLaterIn reports whether a command of the later steps matches gone.
func removedLaterIn(steps []layerStep, gone func(*shellfacts.Command) bool) bool {
	for _, st := range steps {
		if st.facts != nil && slices.ContainsFunc(st.facts.Commands, gone) {
			return true
		}
	}
	return false
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

func buildPackagesFix(fam string) string {
	oneRun := "install, use and remove them in one RUN"
	switch fam {
	case "apt":
		oneRun = "install, use and remove them in one RUN (`apt-get install -y --no-install-recommends gcc ... && pip install ... && apt-get purge -y --auto-remove gcc ...`; `apt-mark manual` the runtime libraries the build needs first)"
	case "apk":
		oneRun = "install, use and remove them in one RUN (`apk add --no-cache --virtual .build-deps gcc musl-dev ... && pip install ... && apk del .build-deps`)"
	}
	return "build in a separate stage and copy only the results, or " + oneRun
}

package rules

import (
	"fmt"
	"regexp"

	"github.com/whittle/whittle/pkg/packages"
)

// buildToolsInImage is WH801: compilers and build tools installed in the
// final image, found by the names of the packages that attribution reads.
// One finding per layer that installed any, with the -dev packages the
// same layer installed (the toolchain's headers).
type buildToolsInImage struct{}

func (buildToolsInImage) Meta() Meta {
	return Meta{
		ID:       "WH801",
		Name:     "build-tools-in-image",
		Summary:  "Compilers and build tools (gcc, clang, binutils, make, cmake, build-essential, build-base, ...) are installed in the final image, with the bytes of their packages and the instruction that installed them.",
		Severity: Warning,
		Doc:      "docs/rules/WH801.md",
	}
}

// imageBuildTools are the installed packages that only build software:
// the build meta-packages, compilers with their versioned and
// per-architecture packages (gcc-12, cpp-12, gcc-14-x86-64-linux-gnu),
// binutils (the assembler and linker), make and the build systems and
// their helpers, and the Go and Rust toolchains. Libraries that a compiler
// pulls in (libisl23, libmpc3, libasan8) are not named here: a name alone
// does not say that nothing else uses them.
var imageBuildTools = regexp.MustCompile(`^(` +
	`build-essential|build-base|alpine-sdk|` +
	`(gcc|g\+\+|cpp|gfortran|gccgo|gdc|gobjc|gobjc\+\+|gnat|gm2)(-[0-9][0-9.]*)?(-[a-z0-9_]+(-[a-z0-9_]+)*-linux-gnu[a-z0-9]*)?|gcc-c\+\+|` +
	`clang(-[0-9][0-9.]*)?|llvm(-[0-9][0-9.]*)?|lld(-[0-9][0-9.]*)?|` +
	`binutils(-common|-[a-z0-9_]+(-[a-z0-9_]+)*-linux-gnu[a-z0-9]*)?|` +
	`make|cmake|cmake-data|ninja-build|ninja|samurai|meson|autoconf|automake|libtool|libtool-bin|` +
	`pkg-config|pkgconf|pkgconf-bin|pkgconfig|bison|flex|dpkg-dev|` +
	`golang-go|golang(-[0-9][0-9.]*)?-(go|src)|go|rustc|rust|cargo` +
	`)$`)

// imageHeaders are development packages: headers, static libraries and
// their helpers, whose runtime libraries are packages of their own.
var imageHeaders = regexp.MustCompile(`.-(dev|devel|dev-bin|headers)$`)

// isBuildTool and isHeaders classify an installed package by its name.
func isBuildTool(p packages.Package) bool { return imageBuildTools.MatchString(p.Name) }
func isHeaders(p packages.Package) bool {
	return imageHeaders.MatchString(p.Name) && !isBuildTool(p) && !isPip(p)
}

func (buildToolsInImage) CheckImage(in *ImageInput) []ImageFinding {
	tools := map[int]bool{}
	for _, g := range groupByLayer(in.Packages, isBuildTool) {
		tools[g.layer] = true
	}
	var out []ImageFinding
	for _, g := range groupByLayer(in.Packages, func(p packages.Package) bool {
		return isBuildTool(p) || isHeaders(p) && tools[groupLayer(p)]
	}) {
		var named []ImagePackage
		for _, p := range g.pkgs {
			if imageBuildTools.MatchString(p.Name) {
				named = append(named, p)
			}
		}
		msg := fmt.Sprintf("build tools in the final image: %s", packageNames(named))
		if n := len(g.pkgs) - len(named); n > 0 {
			msg += fmt.Sprintf(", with %d -dev %s", n, pluralWord(n, "package", "packages"))
		}
		out = append(out, g.finding(Warning, msg, buildToolsFix(g.pkgs)))
	}
	return out
}

// buildToolsFix says how to keep build tools out of the final image, in
// the words of the package manager that installed them.
func buildToolsFix(pkgs []ImagePackage) string {
	oneRun := "install, use and remove them in one RUN"
	switch dpkg, apk := managers(pkgs); {
	case dpkg && !apk:
		oneRun += " (`apt-get install -y --no-install-recommends gcc make ... && make && apt-get purge -y --auto-remove -o APT::AutoRemove::SuggestsImportant=false gcc make ...`)"
	case apk && !dpkg:
		oneRun += " (`apk add --no-cache --virtual .build-deps gcc make ... && make && apk del .build-deps`)"
	}
	return "build in a separate stage and copy only what it makes into the final one (`COPY --from=build`), or " + oneRun +
		"; whittle lint finds where the Dockerfile keeps them (WH107)"
}

// pluralWord returns one or many by n.
func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package packages

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/synth"
)

// dpkgPkg is a package of a synthetic dpkg image: its stanza's fields,
// its one file's size and whether apt installed it automatically.
type dpkgPkg struct {
	name, depends, recommends, provides string
	size                                int64
	auto                                bool
}

// dpkgLayer writes the packages' files and lists, and the status and
// extended_states of all the packages so far (before and these).
func dpkgLayer(createdBy string, before, these []dpkgPkg, extended bool) synth.Layer {
	var status, ext strings.Builder
	var entries []synth.Entry
	for _, p := range append(append([]dpkgPkg{}, before...), these...) {
		arch := "amd64"
		if strings.HasSuffix(p.name, "-perl") {
			arch = "all" // apt's extended_states says amd64 all the same
		}
		fmt.Fprintf(&status, "Package: %s\nStatus: install ok installed\nArchitecture: %s\nVersion: 1\n", p.name, arch)
		for _, f := range [][2]string{{"Depends", p.depends}, {"Recommends", p.recommends}, {"Provides", p.provides}} {
			if f[1] != "" {
				fmt.Fprintf(&status, "%s: %s\n", f[0], f[1])
			}
		}
		status.WriteString("\n")
		fmt.Fprintf(&ext, "Package: %s\nArchitecture: amd64\nAuto-Installed: %d\n\n", p.name, map[bool]int{true: 1}[p.auto])
	}
	for _, p := range these {
		f, lst := "usr/share/"+p.name+"/data", "var/lib/dpkg/info/"+p.name+":amd64.list"
		if strings.HasSuffix(p.name, "-perl") {
			lst = "var/lib/dpkg/info/" + p.name + ".list"
		}
		if p.size > 0 {
			entries = append(entries, file(f, p.size))
			entries = append(entries, synth.File(lst, list(f)))
		} else {
			entries = append(entries, synth.File(lst, "/.\n"))
		}
	}
	entries = append(entries, synth.File("var/lib/dpkg/status", status.String()))
	if extended {
		entries = append(entries, synth.File("var/lib/apt/extended_states", ext.String()))
	}
	return layer(createdBy, entries...)
}

func names(ps []Package) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// The dependencies an install brought in for the build packages alone
// count with them; what stays (needed by a kept package, installed by
// name, installed by an earlier layer) does not. The figures are the
// synthetic files' sizes, added by hand.
func TestRemovalDpkg(t *testing.T) {
	base := []dpkgPkg{
		{name: "libc6", size: 1000},
		{name: "libgmp10", size: 90, auto: true},
	}
	run := []dpkgPkg{
		{name: "build-essential", depends: "gcc (>= 4:12), make, dpkg-dev", size: 10},
		{name: "gcc", depends: "cpp (= 4:12.2), gcc-12 | clang:any, libc6 (>= 2.34), binutils, libssl3", recommends: "libc6-dev | libc-dev", size: 2000, auto: true},
		{name: "cpp", depends: "libgmp10, libisl23", size: 1500, auto: true},
		{name: "libisl23", size: 150, auto: true},
		{name: "libc6-dev", depends: "libc6, libcrypt-dev", provides: "libc-dev", size: 800, auto: true},
		{name: "libcrypt-dev", size: 100, auto: true},
		{name: "make", size: 300, auto: true},
		{name: "binutils", size: 700},                                 // installed by name: stays
		{name: "curl", depends: "libcurl4", size: 400},                // by name
		{name: "libcurl4", depends: "libssl3", size: 500, auto: true}, // curl's
		{name: "libssl3", depends: "libc6", size: 600, auto: true},    // curl's too: stays
		{name: "dpkg-dev", depends: "make, libdpkg-perl", auto: true}, // a package without files
		{name: "libdpkg-perl", recommends: "libgmp10", size: 250, auto: true},
	}
	for _, extended := range []bool{true, false} {
		res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
			dpkgLayer("FROM debian", nil, base, extended),
			dpkgLayer("RUN apt-get install -y build-essential binutils curl", base, run, extended),
		}})
		got := res.Removal([]string{"build-essential", "clang", "build-essential"}, 1)
		wantDeps := []string{"gcc", "cpp", "libc6-dev", "make", "libdpkg-perl", "libisl23", "libcrypt-dev", "dpkg-dev"}
		wantBytes, wantFiles := int64(10+2000+1500+800+300+250+150+100), int64(8)
		if !extended {
			wantDeps, wantBytes, wantFiles = []string{}, 10, 1 // nothing proves a dependency
		}
		if n, d := names(got.Named), names(got.Deps); !reflect.DeepEqual(n, []string{"build-essential"}) || !reflect.DeepEqual(d, wantDeps) ||
			!reflect.DeepEqual(got.Missing, []string{"clang"}) || got.Bytes != wantBytes || got.Files != wantFiles {
			t.Errorf("extended_states %v: named %v, deps %v, missing %v, %d bytes in %d files; want deps %v, %d bytes",
				extended, n, d, got.Missing, got.Bytes, got.Files, wantDeps, wantBytes)
		}
		// Named in another layer: missing, and it brings nothing.
		if got := res.Removal([]string{"libc6"}, 1); len(got.Named)+len(got.Deps) != 0 || !reflect.DeepEqual(got.Missing, []string{"libc6"}) {
			t.Errorf("libc6 from layer 0: %+v", got)
		}
	}
}

// apk: what the world names stays; a meta-package whose record a later
// layer rewrote still brings its dependencies; a provided name resolves.
func TestRemovalApk(t *testing.T) {
	stanza := func(name, deps, provides, dir string) string {
		s := "P:" + name + "\nV:1-r0\nA:x86_64\n"
		if deps != "" {
			s += "D:" + deps + "\n"
		}
		if provides != "" {
			s += "p:" + provides + "\n"
		}
		if dir != "" {
			s += "F:" + dir + "\nR:data\n"
		}
		return s + "\n"
	}
	db0 := stanza("musl", "", "so:libc.musl-x86_64.so.1=1", "lib/musl") + stanza("busybox", "so:libc.musl-x86_64.so.1", "", "bin/bb")
	db1 := db0 + stanza("build-base", "binutils gcc>=13 make libc-dev !foo", "", "") +
		stanza("gcc", "binutils so:libz.so.1", "cmd:gcc=13", "usr/gcc") +
		stanza("binutils", "so:libz.so.1", "", "usr/binutils") +
		stanza("make", "", "cmd:make", "usr/make") +
		stanza("libc-dev", "musl-dev", "", "") +
		stanza("musl-dev", "musl", "", "usr/musl-dev") +
		stanza("zlib", "", "so:libz.so.1=1.3", "usr/zlib") +
		stanza("python3", "so:libz.so.1", "", "usr/python3")
	db2 := db1 + stanza("curl", "", "", "usr/curl")
	world1 := "busybox musl build-base python3\n"
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("FROM alpine", file("lib/musl/data", 600), file("bin/bb/data", 800),
			synth.File("lib/apk/db/installed", db0), synth.File("etc/apk/world", "busybox musl\n")),
		layer("RUN apk add build-base python3",
			file("usr/gcc/data", 2000), file("usr/binutils/data", 700), file("usr/make/data", 300),
			file("usr/musl-dev/data", 400), file("usr/zlib/data", 100), file("usr/python3/data", 500),
			synth.File("lib/apk/db/installed", db1), synth.File("etc/apk/world", world1)),
		layer("RUN apk add curl", file("usr/curl/data", 50),
			synth.File("lib/apk/db/installed", db2), synth.File("etc/apk/world", world1+"curl\n")),
	}})
	got := res.Removal([]string{"build-base"}, 1)
	if n, d := names(got.Named), names(got.Deps); !reflect.DeepEqual(n, []string{"build-base"}) ||
		!reflect.DeepEqual(d, []string{"gcc", "binutils", "musl-dev", "make", "libc-dev"}) || got.Bytes != 2000+700+400+300 || len(got.Missing) != 0 {
		t.Errorf("named %v, deps %v, missing %v, %d bytes", n, d, got.Missing, got.Bytes)
	}
	for _, p := range res.Packages {
		if want := p.Name != "busybox" && p.Name != "musl" && p.Name != "build-base" && p.Name != "python3" && p.Name != "curl"; p.Auto != want {
			t.Errorf("%s: auto %v", p.Name, p.Auto)
		}
	}
}

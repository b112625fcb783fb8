package measure

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
)

// deb is a package of a synthetic dpkg image: one file of size bytes
// (none when 0), its relationships, and whether apt installed it
// automatically.
type deb struct {
	name, depends, provides string
	size                    int64
	auto                    bool
}

// debLayer is a layer that installs these packages: their files and
// lists, and dpkg's status and apt's extended_states of all so far.
func debLayer(createdBy string, all, these []deb) synth.Layer {
	var status, ext strings.Builder
	for _, p := range all {
		fmt.Fprintf(&status, "Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n", p.name)
		if p.depends != "" {
			fmt.Fprintf(&status, "Depends: %s\n", p.depends)
		}
		if p.provides != "" {
			fmt.Fprintf(&status, "Provides: %s\n", p.provides)
		}
		status.WriteString("\n")
		if p.auto {
			fmt.Fprintf(&ext, "Package: %s\nArchitecture: amd64\nAuto-Installed: 1\n\n", p.name)
		}
	}
	var entries []synth.Entry
	for i, p := range these {
		lst := "/.\n"
		if p.size > 0 {
			f := "usr/lib/" + p.name + ".so"
			entries = append(entries, synth.Entry{Kind: synth.KindFile, Path: f, Size: p.size, Seed: uint64(i + 1)})
			lst += "/usr\n/usr/lib\n/" + f + "\n"
		}
		entries = append(entries, synth.File("var/lib/dpkg/info/"+p.name+":amd64.list", lst))
	}
	entries = append(entries, synth.File("var/lib/dpkg/status", status.String()), synth.File("var/lib/apt/extended_states", ext.String()))
	return synth.Layer{Entries: entries, CreatedBy: createdBy}
}

func analyzePackages(t *testing.T, layers []synth.Layer) (*account.Report, *packages.Result) {
	t.Helper()
	img, err := synth.Build(synth.Image{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := account.Analyze(context.Background(), img, packages.AnalyzeOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := packages.Attribute(rep)
	if err != nil {
		t.Fatal(err)
	}
	return rep, pk
}

// WH107's cost is the bytes of the build packages the finding names that
// its layer installed, with the dependencies installed for them alone;
// the figures are the synthetic files' sizes, added by hand.
func TestMeasureBuildPackagesDpkg(t *testing.T) {
	const src = `FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends build-essential curl && rm -rf /var/lib/apt/lists/*
COPY src /src
RUN make -C /src install
`
	base := []deb{{name: "libc6", size: 5000}}
	run := []deb{
		{name: "build-essential", depends: "gcc, make, libc6-dev | libc-dev"},
		{name: "gcc", depends: "cpp (>= 4:12), libc6, libssl3", size: 3000, auto: true},
		{name: "cpp", size: 2000, auto: true},
		{name: "make", size: 500, auto: true},
		{name: "libc6-dev", provides: "libc-dev", size: 1000, auto: true},
		{name: "curl", depends: "libcurl4", size: 400},
		{name: "libcurl4", depends: "libssl3", size: 300, auto: true},
		{name: "libssl3", size: 700, auto: true}, // curl's too: it stays
	}
	rep, pk := analyzePackages(t, []synth.Layer{
		debLayer("FROM debian:12", base, base),
		debLayer("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends build-essential curl && rm -rf /var/lib/apt/lists/* # buildkit", append(append([]deb{}, base...), run...), run),
		{Entries: []synth.Entry{synth.File("src/Makefile", "all:\n")}, CreatedBy: "COPY src /src # buildkit"},
		{Entries: []synth.Entry{synth.File("usr/local/bin/tool", "#!/bin/sh\n")}, CreatedBy: "RUN /bin/sh -c make -C /src install # buildkit"},
	})
	f, fs := lint(t, src)
	res, err := Measure(f, fs, rep, WithPackages(pk))
	if err != nil {
		t.Fatal(err)
	}
	var got *Finding
	for i := range res.Findings {
		if res.Findings[i].Rule == "WH107" {
			got = &res.Findings[i]
		}
	}
	if got == nil {
		t.Fatalf("no WH107 finding in %+v", res.Findings)
	}
	if !got.Measured || got.CostBytes != 3000+2000+1000+500 || got.Layer != 1 || got.SharedBytes != 0 {
		t.Errorf("WH107: measured %v, %d bytes, layer %d, shared %d; want 6500 bytes of layer 1", got.Measured, got.CostBytes, got.Layer, got.SharedBytes)
	}
	var names []string
	for _, p := range got.CostPackages {
		names = append(names, fmt.Sprintf("%s %d %v", p.Name, p.Bytes, p.Dependency))
	}
	if want := []string{"build-essential 0 false", "gcc 3000 true", "cpp 2000 true", "libc6-dev 1000 true", "make 500 true"}; !reflect.DeepEqual(names, want) {
		t.Errorf("cost packages %q, want %q", names, want)
	}
	if want := "bytes of build-essential, installed by layer 1, with 4 dependencies installed for them alone"; got.Basis != want {
		t.Errorf("basis %q, want %q", got.Basis, want)
	}
	// The total holds it once; without the attribution it is not measured.
	var others int64
	for _, m := range res.Findings {
		if m.Measured && m.Rule != "WH107" {
			others += m.CostBytes - m.SharedBytes
		}
	}
	if res.MeasuredBytes != others+6500 {
		t.Errorf("measured bytes %d, want the others' %d and 6500", res.MeasuredBytes, others)
	}
	res, err = Measure(f, fs, rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Findings {
		if m.Rule == "WH107" && (m.Measured || m.CostBytes != 0 || !strings.Contains(m.Basis, "--packages=false")) {
			t.Errorf("without attribution: %+v", m)
		}
	}
}

// apk: the world says what was asked for; a meta-package (build-base)
// brings its dependencies; a dependency a kept package needs (python3,
// for py3-pip) stays.
func TestMeasureBuildPackagesApk(t *testing.T) {
	const src = `FROM alpine:3.20
RUN apk add --no-cache build-base python3-dev py3-pip
RUN pip install --no-cache-dir numpy
`
	st := func(name, deps, dir string) string {
		s := "P:" + name + "\nV:1-r0\nA:x86_64\n"
		if deps != "" {
			s += "D:" + deps + "\n"
		}
		if dir != "" {
			s += "F:" + dir + "\nR:data\n"
		}
		return s + "\n"
	}
	db0 := st("musl", "", "lib/musl")
	db1 := db0 + st("build-base", "gcc musl-dev", "") + st("gcc", "musl so:libz.so.1", "usr/gcc") + st("musl-dev", "musl", "usr/musl-dev") +
		st("python3-dev", "python3", "usr/python3-dev") + st("py3-pip", "python3", "usr/py3-pip") + st("python3", "", "usr/python3") +
		"P:zlib\nV:1\np:so:libz.so.1=1\nF:usr/zlib\nR:data\n\n"
	file := func(p string, size int64, seed uint64) synth.Entry {
		return synth.Entry{Kind: synth.KindFile, Path: p, Size: size, Seed: seed}
	}
	rep, pk := analyzePackages(t, []synth.Layer{
		{Entries: []synth.Entry{file("lib/musl/data", 600, 1), synth.File("lib/apk/db/installed", db0), synth.File("etc/apk/world", "musl\n")}, CreatedBy: "FROM alpine"},
		{Entries: []synth.Entry{file("usr/gcc/data", 2000, 2), file("usr/musl-dev/data", 400, 3), file("usr/python3-dev/data", 800, 4),
			file("usr/py3-pip/data", 90, 5), file("usr/python3/data", 1500, 6), file("usr/zlib/data", 60, 7),
			synth.File("lib/apk/db/installed", db1), synth.File("etc/apk/world", "build-base musl py3-pip python3-dev\n")},
			CreatedBy: "RUN /bin/sh -c apk add --no-cache build-base python3-dev py3-pip # buildkit"},
		{Entries: []synth.Entry{file("usr/lib/python3.12/site-packages/numpy/core.so", 300, 8)}, CreatedBy: "RUN /bin/sh -c pip install --no-cache-dir numpy # buildkit"},
	})
	f, fs := lint(t, src)
	res, err := Measure(f, fs, rep, WithPackages(pk))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Findings {
		if m.Rule != "WH107" {
			continue
		}
		// gcc 2000, musl-dev 400, python3-dev 800, build-base 0; zlib
		// (gcc's, by what it provides) 60.
		if !m.Measured || m.CostBytes != 2000+800+400+60 || len(m.CostPackages) != 5 {
			t.Errorf("WH107: measured %v, %d bytes, packages %+v; want 3260 bytes in 5", m.Measured, m.CostBytes, m.CostPackages)
		}
		return
	}
	t.Fatalf("no WH107 finding in %+v", res.Findings)
}

// An image without a dpkg or apk database: not measured, and said why.
func TestMeasureBuildPackagesNoDatabase(t *testing.T) {
	rep, pk := analyzePackages(t, []synth.Layer{
		{Entries: []synth.Entry{synth.File("usr/lib/sysimage/rpm/rpmdb.sqlite", "x")}, CreatedBy: "FROM ubi9"},
		{Entries: []synth.Entry{synth.File("usr/bin/gcc", "x")}, CreatedBy: "RUN /bin/sh -c dnf install -y gcc make # buildkit"},
		{Entries: []synth.Entry{synth.File("usr/local/bin/tool", "x")}, CreatedBy: "RUN /bin/sh -c make install # buildkit"},
	})
	f, fs := lint(t, "FROM ubi9\nRUN dnf install -y gcc make\nRUN make install\n")
	res, err := Measure(f, fs, rep, WithPackages(pk))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Findings {
		if m.Rule == "WH107" {
			if m.Measured || !strings.Contains(m.Basis, "rpm") {
				t.Errorf("WH107 on rpm: %+v", m)
			}
			return
		}
	}
	t.Fatalf("no WH107 finding in %+v", res.Findings)
}

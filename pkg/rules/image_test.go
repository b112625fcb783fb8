package rules

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
)

// A package of a synthetic image: its files (relative path and size).
type synthPkg struct {
	name  string
	files map[string]int64
}

func sp(name string, files ...any) synthPkg {
	p := synthPkg{name: name, files: map[string]int64{}}
	for i := 0; i < len(files); i += 2 {
		p.files[files[i].(string)] = int64(files[i+1].(int))
	}
	return p
}

func (p synthPkg) bytes() int64 {
	var n int64
	for _, b := range p.files {
		n += b
	}
	return n
}

// dpkgLayer is a layer that installs pkgs with dpkg over the status of
// those installed below: their files, their .list files and the whole new
// status file.
func dpkgLayer(createdBy string, below []synthPkg, pkgs ...synthPkg) synth.Layer {
	var status strings.Builder
	for _, p := range append(slices.Clone(below), pkgs...) {
		fmt.Fprintf(&status, "Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\n", p.name)
	}
	l := synth.Layer{CreatedBy: createdBy}
	for _, p := range pkgs {
		var list strings.Builder
		for _, f := range slices.Sorted(mapKeys(p.files)) {
			l.Entries = append(l.Entries, synth.Entry{Kind: synth.KindFile, Path: f, Size: p.files[f], Seed: uint64(len(f))})
			list.WriteString("/" + f + "\n")
		}
		l.Entries = append(l.Entries, synth.File("var/lib/dpkg/info/"+p.name+":amd64.list", list.String()))
	}
	l.Entries = append(l.Entries, synth.File("var/lib/dpkg/status", status.String()))
	return l
}

func mapKeys(m map[string]int64) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkImage analyzes a synthetic image with attribution and runs the
// image rules.
func checkImage(t *testing.T, spec synth.Image) []ImageFinding {
	t.Helper()
	img, err := synth.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := account.Analyze(context.Background(), img, packages.AnalyzeOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := packages.Attribute(rep)
	if err != nil {
		t.Fatal(err)
	}
	return CheckImage(rep, res)
}

// summary is what a test checks of a finding.
type summary struct {
	Rule     string
	Severity Severity
	Bytes    int64
	Layer    int
	Packages string // names, in order
	Category string
}

func summarize(fs []ImageFinding) []summary {
	var out []summary
	for _, f := range fs {
		var names []string
		for _, p := range f.Packages {
			names = append(names, p.Name)
		}
		out = append(out, summary{f.Rule, f.Severity, f.Bytes, f.Layer, strings.Join(names, " "), f.Category})
	}
	return out
}

// TestCheckImageDpkg: a Debian-like image whose findings are known by
// construction: the layer that installs gcc and make (with libc6-dev and
// libpq-dev, the headers that came with them) is one warning; a layer
// that installs headers and no compiler is WH802, a warning here since
// the image has a compiler (TestCheckImageHeadersAlone: info without);
// pip and the apt lists left are warnings of their own; /tmp, gcc-12-base
// and the libraries a compiler pulls in are not findings.
func TestCheckImageDpkg(t *testing.T) {
	base := []synthPkg{
		sp("libc6", "usr/lib/x86_64-linux-gnu/libc.so.6", 1000),
		sp("gcc-12-base", "usr/share/doc/gcc-12-base/copyright", 80),
	}
	build := []synthPkg{
		sp("gcc-12", "usr/lib/gcc/x86_64-linux-gnu/12/cc1", 5000, "usr/bin/gcc-12", 300),
		sp("cpp-12", "usr/bin/cpp-12", 200),
		sp("make", "usr/bin/make", 250),
		sp("binutils-x86-64-linux-gnu", "usr/bin/x86_64-linux-gnu-ld.bfd", 1500),
		sp("libc6-dev", "usr/include/stdio.h", 40, "usr/lib/x86_64-linux-gnu/libc.a", 2000),
		sp("libpq-dev", "usr/include/postgresql/libpq-fe.h", 30),
		sp("libpq5", "usr/lib/x86_64-linux-gnu/libpq.so.5", 400),
		sp("libisl23", "usr/lib/x86_64-linux-gnu/libisl.so.23", 900),
	}
	more := []synthPkg{
		sp("libssl-dev", "usr/include/openssl/ssl.h", 600),
		sp("python3-pip", "usr/lib/python3/dist-packages/pip/__init__.py", 700),
		sp("python3-pip-whl", "usr/share/python-wheels/pip.whl", 650),
	}
	l2 := dpkgLayer("RUN apt-get update && apt-get install -y libssl-dev python3-pip", append(slices.Clone(base), build...), more...)
	l2.Entries = append(l2.Entries,
		synth.Entry{Kind: synth.KindFile, Path: "var/lib/apt/lists/deb.debian.org_dists_bookworm_main_Packages", Size: 3000, Seed: 9},
		synth.Entry{Kind: synth.KindFile, Path: "tmp/build.log", Size: 5000, Seed: 10})
	got := checkImage(t, synth.Image{Layers: []synth.Layer{
		dpkgLayer("ADD rootfs.tar /", nil, base...),
		dpkgLayer("RUN apt-get install -y gcc make libpq-dev", base, build...),
		l2,
	}})
	tools := build[0].bytes() + build[1].bytes() + build[2].bytes() + build[3].bytes() + build[4].bytes() + build[5].bytes()
	want := []summary{
		{"WH801", Warning, tools, 1, "gcc-12 libc6-dev binutils-x86-64-linux-gnu make cpp-12 libpq-dev", ""},
		{"WH804", Warning, 3000, 2, "", "apt-lists"},
		{"WH803", Warning, 700 + 650, 2, "python3-pip python3-pip-whl", ""},
		{"WH802", Warning, 600, 2, "libssl-dev", ""},
	}
	if s := summarize(got); !reflect.DeepEqual(s, want) {
		t.Errorf("findings:\n got %+v\nwant %+v", s, want)
	}
	if len(got) == 0 {
		return
	}
	f := got[0]
	if f.CreatedBy != "RUN apt-get install -y gcc make libpq-dev" || f.Doc != "docs/rules/WH801.md" ||
		f.Message != "build tools in the final image: gcc-12, binutils-x86-64-linux-gnu, make and 1 more, with 2 -dev packages" ||
		!strings.Contains(f.Fix, "apt-get purge -y --auto-remove") || !strings.Contains(f.Fix, "WH107") {
		t.Errorf("WH801: %+v", f)
	}
	if p := f.Packages[0]; p != (ImagePackage{Manager: "dpkg", Name: "gcc-12", Version: "1.0-1", Architecture: "amd64", Bytes: 5300, Files: 2, FilesKnown: true}) {
		t.Errorf("WH801's first package: %+v", p)
	}
	if len(got) == 4 {
		if h := got[3]; !strings.HasSuffix(h.Message, "libssl-dev, beside the build tools of layer 1") {
			t.Errorf("WH802: %+v", h)
		}
		if c := got[1]; !strings.Contains(c.Fix, "WH201") || c.CreatedBy != l2.CreatedBy || !strings.HasPrefix(c.Message, "apt's package lists") {
			t.Errorf("WH804: %+v", c)
		}
	}
}

// TestCheckImageHeadersAlone: -dev packages in an image without a
// compiler are info.
func TestCheckImageHeadersAlone(t *testing.T) {
	base := []synthPkg{sp("libc6", "usr/lib/x86_64-linux-gnu/libc.so.6", 1000)}
	got := checkImage(t, synth.Image{Layers: []synth.Layer{
		dpkgLayer("ADD rootfs.tar /", nil, base...),
		dpkgLayer("RUN apt-get install -y libpq-dev", base,
			sp("libpq-dev", "usr/include/postgresql/libpq-fe.h", 30), sp("libpq5", "usr/lib/x86_64-linux-gnu/libpq.so.5", 400)),
	}})
	want := []summary{{"WH802", Info, 30, 1, "libpq-dev", ""}}
	if s := summarize(got); !reflect.DeepEqual(s, want) {
		t.Errorf("findings:\n got %+v\nwant %+v", s, want)
	}
	if len(got) == 1 && (got[0].Message != "development headers in the final image: libpq-dev" || !strings.Contains(got[0].Fix, "libpq5")) {
		t.Errorf("WH802: %+v", got[0])
	}
}

// TestCheckImageApk: an Alpine-like image: build-base (a meta-package
// without files) with gcc, make, musl-dev; py3-pip; apk's cache.
func TestCheckImageApk(t *testing.T) {
	installed := func(pkgs ...synthPkg) string {
		var b strings.Builder
		for _, p := range pkgs {
			fmt.Fprintf(&b, "P:%s\nV:1.0-r0\nA:x86_64\n", p.name)
			dirs := map[string][]string{}
			for f := range p.files {
				i := strings.LastIndex(f, "/")
				dirs[f[:i]] = append(dirs[f[:i]], f[i+1:])
			}
			for _, d := range slices.Sorted(func(yield func(string) bool) {
				for d := range dirs {
					if !yield(d) {
						return
					}
				}
			}) {
				fmt.Fprintf(&b, "F:%s\n", d)
				for _, r := range dirs[d] {
					fmt.Fprintf(&b, "R:%s\n", r)
				}
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	musl := sp("musl", "lib/ld-musl-x86_64.so.1", 600)
	pkgs := []synthPkg{
		sp("build-base"),
		sp("gcc", "usr/libexec/gcc/x86_64-alpine-linux-musl/13/cc1", 7000),
		sp("make", "usr/bin/make", 200),
		sp("musl-dev", "usr/include/stdio.h", 50),
		sp("py3-pip", "usr/lib/python3.11/site-packages/pip/__init__.py", 900),
	}
	l1 := synth.Layer{CreatedBy: "RUN apk add build-base py3-pip", Entries: []synth.Entry{
		synth.File("lib/apk/db/installed", installed(append([]synthPkg{musl}, pkgs...)...)),
		{Kind: synth.KindFile, Path: "var/cache/apk/APKINDEX.abc.tar.gz", Size: 1200, Seed: 3},
	}}
	for _, p := range pkgs {
		for f, n := range p.files {
			l1.Entries = append(l1.Entries, synth.Entry{Kind: synth.KindFile, Path: f, Size: n, Seed: uint64(n)})
		}
	}
	got := checkImage(t, synth.Image{Layers: []synth.Layer{
		{CreatedBy: "ADD alpine-minirootfs.tar.gz /", Entries: []synth.Entry{
			synth.File("lib/apk/db/installed", installed(musl)),
			{Kind: synth.KindFile, Path: "lib/ld-musl-x86_64.so.1", Size: 600, Seed: 1},
		}},
		l1,
	}})
	want := []summary{
		{"WH801", Warning, 7000 + 200 + 50, 1, "gcc make musl-dev build-base", ""},
		{"WH804", Warning, 1200, 1, "", "apk-cache"},
		{"WH803", Warning, 900, 1, "py3-pip", ""},
	}
	if s := summarize(got); !reflect.DeepEqual(s, want) {
		t.Errorf("findings:\n got %+v\nwant %+v", s, want)
	}
	if len(got) > 0 && !strings.Contains(got[0].Fix, "apk del .build-deps") {
		t.Errorf("WH801's fix: %s", got[0].Fix)
	}
}

// TestCheckImageIncomplete: packages whose file lists are unknown are
// still named, with their bytes (0) and layer (-1) unknown, the headers
// with the tools; without attribution only the cache rule runs.
func TestCheckImageIncomplete(t *testing.T) {
	spec := synth.Image{Layers: []synth.Layer{{CreatedBy: "RUN apt-get install -y make", Entries: []synth.Entry{
		synth.File("var/lib/dpkg/status", "Package: make\nStatus: install ok installed\nArchitecture: amd64\nVersion: 4.3-4.1\n\n"+
			"Package: libc6-dev\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n\n"),
		{Kind: synth.KindFile, Path: "usr/bin/make", Size: 250, Seed: 1},
		{Kind: synth.KindFile, Path: "var/cache/apt/pkgcache.bin", Size: 700, Seed: 2},
	}}}}
	got := checkImage(t, spec)
	want := []summary{
		{"WH804", Warning, 700, 0, "", "apt-archives"},
		{"WH801", Warning, 0, -1, "libc6-dev make", ""},
	}
	if s := summarize(got); !reflect.DeepEqual(s, want) {
		t.Errorf("findings:\n got %+v\nwant %+v", s, want)
	}
	if len(got) == 2 && (got[1].Packages[1].FilesKnown || got[1].CreatedBy != "" || !strings.Contains(got[1].Message, "file lists are unknown")) {
		t.Errorf("make's file list is not known: %+v", got[1])
	}
	img, err := synth.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := account.Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if s := summarize(CheckImage(rep, nil)); !reflect.DeepEqual(s, want[:1]) {
		t.Errorf("without attribution: %+v", s)
	}
	if got := CheckImage(&account.Report{}, nil); got == nil || len(got) != 0 {
		t.Errorf("an empty report: %#v", got)
	}
}

// TestImagePackageNames classifies installed packages by name.
func TestImagePackageNames(t *testing.T) {
	tools := []string{"build-essential", "build-base", "alpine-sdk", "gcc", "gcc-12", "gcc-14-x86-64-linux-gnu",
		"cpp-12-x86-64-linux-gnu", "gcc-aarch64-linux-gnu", "g++", "g++-12", "gcc-c++", "cpp", "cpp-12", "gfortran-12",
		"clang", "clang-15", "llvm", "llvm-15", "lld-16", "binutils", "binutils-common", "binutils-x86-64-linux-gnu",
		"binutils-aarch64-linux-gnu", "make", "cmake", "cmake-data", "ninja-build", "ninja", "samurai", "meson", "autoconf",
		"automake", "libtool", "libtool-bin", "pkg-config", "pkgconf", "pkgconf-bin", "pkgconfig", "bison", "flex",
		"dpkg-dev", "golang-go", "golang-1.19-go", "golang-1.19-src", "go", "rustc", "rust", "cargo"}
	headers := []string{"libc6-dev", "linux-libc-dev", "libgcc-12-dev", "libstdc++-12-dev", "libpq-dev", "zlib1g-dev",
		"python3-dev", "musl-dev", "libc-dev", "glibc-devel", "kernel-headers", "linux-headers", "fortify-headers",
		"libc-dev-bin", "openssl-dev", "llvm-15-dev"}
	pip := []string{"python3-pip", "python-pip", "python3-pip-whl", "py3-pip", "py3-pip-pyc"}
	neither := []string{"gcc-12-base", "libgcc-s1", "libstdc++6", "libisl23", "libmpc3", "libbinutils", "makedev",
		"libltdl7", "golang-github-x", "cargo-lock", "libgo21", "libllvm15", "llvm-15-runtime", "python3", "py3-setuptools",
		"dev", "-dev", "devscripts", "libdevmapper1.02.1", "pipx", "libc6", "libpq5", "clang-format"}
	kind := func(name string) string {
		p := packages.Package{Name: name}
		switch {
		case isBuildTool(p):
			return "tool"
		case isHeaders(p):
			return "headers"
		case isPip(p):
			return "pip"
		}
		return "neither"
	}
	for want, names := range map[string][]string{"tool": tools, "headers": headers, "pip": pip, "neither": neither} {
		for _, n := range names {
			if got := kind(n); got != want {
				t.Errorf("%s: %s, want %s", n, got, want)
			}
		}
	}
	// What lint's WH107 calls a build package (as typed in a Dockerfile:
	// every name its pattern spells out) is a build tool or headers in
	// the image too.
	for _, n := range regexp.MustCompile(`[a-z0-9+-]+`).FindAllString(strings.ReplaceAll(buildTools.String(), `\+`, "+"), -1) {
		if !buildTools.MatchString(n) {
			continue
		}
		if k := kind(n); k != "tool" && k != "headers" {
			t.Errorf("%s: a build package for WH107, %s for the image rules", n, k)
		}
	}
}

// TestImageRulesCatalogue: image rules have IDs of their own block
// (WH8xx), no Dockerfile rule is in it, no ID is used twice, and the
// catalogue holds both, ordered by ID.
func TestImageRulesCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Metas() {
		if strings.HasPrefix(m.ID, "WH8") {
			t.Errorf("Dockerfile rule %s is in the image rules' block WH8xx", m.ID)
		}
		seen[m.ID] = true
	}
	for _, m := range ImageMetas() {
		if err := validateMeta(m); err != nil {
			t.Error(err)
		}
		if !strings.HasPrefix(m.ID, "WH8") || seen[m.ID] || m.Repair != 0 || m.Measure != MeasureNone || len(m.Hadolint) > 0 {
			t.Errorf("image rule %+v: want a new WH8xx ID, no repair, no measure, no hadolint mapping", m)
		}
		seen[m.ID] = true
		if !IsImageRule(m.ID) {
			t.Errorf("IsImageRule(%s) is false", m.ID)
		}
	}
	if cat := Catalogue(); len(cat) != len(seen) || !reflect.DeepEqual(cat, append(Metas(), ImageMetas()...)) {
		t.Errorf("Catalogue: %d rules, %d IDs", len(cat), len(seen))
	}
	if IsImageRule("WH201") {
		t.Error("WH201 is no image rule")
	}
	// Lint does not run them: an image rule's ID is unknown to it.
	var unknown *UnknownRuleError
	if err := ValidateOptions(WithRules("WH801")); err == nil || !errors.As(err, &unknown) ||
		err.Error() != `unknown rule "WH801" (an image rule: whittle analyze reports it about a built image)` {
		t.Errorf("lint --rule WH801: %v", err)
	}
}

// TestPipByRecord: pip that Python installed (no OS package), found by
// its RECORD: the python images' /usr/local, where a later layer deletes
// one of its files, and a virtual environment at /venv; the bytes are the
// visible files each RECORD lists, each file once (bin/pip3 is a hard
// link to bin/pip). Alpine's py3-pip under /usr/lib is the package
// rule's, not reported twice.
func TestPipByRecord(t *testing.T) {
	f := func(p string, n int64) synth.Entry {
		return synth.Entry{Kind: synth.KindFile, Path: p, Size: n, Seed: uint64(len(p))}
	}
	sp := "usr/local/lib/python3.12/site-packages/"
	record := "pip/__init__.py,sha256=abc,1000\npip/_internal/main.py,sha256=def,2000\n" +
		"\"pip/_vendor/a,b.py\",sha256=x,300\npip-24.0.dist-info/METADATA,sha256=ghi,50\npip-24.0.dist-info/RECORD,,\n" +
		"../../../bin/pip,sha256=jkl,200\n../../../bin/pip3,sha256=jkl,200\npip/__pycache__/gone.pyc,,\n"
	venvRecord := "pip/__init__.py,sha256=abc,700\n/venv/bin/pip,sha256=x,90\n../../../../../../etc/passwd,,\n"
	apkRecord := "pip/__init__.py,,\n"
	spec := synth.Image{Layers: []synth.Layer{
		{CreatedBy: "RUN python get-pip.py", Entries: []synth.Entry{
			f(sp+"pip/__init__.py", 1000), f(sp+"pip/_internal/main.py", 2000), f(sp+"pip/_vendor/a,b.py", 300),
			f(sp+"pip-24.0.dist-info/METADATA", 50), synth.File(sp+"pip-24.0.dist-info/RECORD", record),
			f("usr/local/bin/pip", 200), synth.Hardlink("usr/local/bin/pip3", "usr/local/bin/pip"),
			f(sp+"flask/__init__.py", 5000), f("etc/passwd", 40),
		}},
		{CreatedBy: "RUN python -m venv /venv", Entries: []synth.Entry{
			f("venv/lib/python3.12/site-packages/pip/__init__.py", 700), f("venv/bin/pip", 90),
			synth.File("venv/lib/python3.12/site-packages/pip-23.0.1.dist-info/RECORD", venvRecord),
			f("usr/lib/python3.11/site-packages/pip/__init__.py", 900),
			synth.File("usr/lib/python3.11/site-packages/pip-23.1.2.dist-info/RECORD", apkRecord),
		}},
		{CreatedBy: "RUN rm -rf pip/_internal", Entries: []synth.Entry{synth.Whiteout(sp + "pip/_internal")}},
	}}
	img, err := synth.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := account.Analyze(context.Background(), img, packages.AnalyzeOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := packages.Attribute(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range CheckImage(rep, res) {
		if f.Rule != "WH803" {
			continue
		}
		p := f.Packages[0]
		got = append(got, fmt.Sprintf("%d %q %d %s %s %s %d %d", f.Layer, f.CreatedBy, f.Bytes, p.Manager, p.Name, p.Version, p.Bytes, p.Files))
		if !strings.Contains(f.Message, "installed by Python (no OS package)") {
			t.Errorf("message %q", f.Message)
		}
	}
	recordBytes := int64(len(record))
	want := []string{
		fmt.Sprintf("0 %q %d pip pip 24.0 %d 5", "RUN python get-pip.py", 1000+300+50+recordBytes+200, 1000+300+50+recordBytes+200),
		fmt.Sprintf("1 %q %d pip pip 23.0.1 %d 2", "RUN python -m venv /venv", 790, 790),
	}
	slices.Sort(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WH803 by RECORD:\n got %q\nwant %q", got, want)
	}
	// Without attribution (--packages=false) the rule reports nothing.
	for _, f := range CheckImage(rep, nil) {
		if f.Rule == "WH803" {
			t.Errorf("without attribution: %+v", f)
		}
	}
}

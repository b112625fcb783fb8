package packages

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/benchutil"
	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
)

// stanza is a dpkg status stanza of an installed package.
func stanza(name, version, arch string) string {
	return fmt.Sprintf("Package: %s\nStatus: install ok installed\nPriority: optional\nArchitecture: %s\nVersion: %s\nDescription: %s\n the package\n\n", name, arch, version, name)
}

// list is a dpkg .list of the paths (relative), with their directories
// first as dpkg writes them.
func list(paths ...string) string {
	var b strings.Builder
	b.WriteString("/.\n")
	seen := map[string]bool{}
	for _, p := range paths {
		parts := strings.Split(p, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/")
			if !seen[d] {
				seen[d] = true
				b.WriteString("/" + d + "\n")
			}
		}
		b.WriteString("/" + p + "\n")
	}
	return b.String()
}

func file(p string, size int64) synth.Entry {
	return synth.Entry{Kind: synth.KindFile, Path: p, Size: size, Seed: uint64(len(p)) + uint64(size)}
}

func layer(createdBy string, entries ...synth.Entry) synth.Layer {
	return synth.Layer{Entries: entries, CreatedBy: createdBy}
}

// pkgWant is what a test checks of a package.
type pkgWant struct {
	Name, Version, Arch string
	Bytes, Files        int64
	Layer               int
	FilesKnown          bool
}

func attribute(t *testing.T, spec synth.Image, opts ...account.Option) (*Result, *account.Report) {
	t.Helper()
	img, err := synth.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	var res *Result
	var rep *account.Report
	for _, jobs := range []int{1, 3} {
		rep, err = account.Analyze(context.Background(), img, append(append(AnalyzeOptions(), account.WithJobs(jobs)), opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Attribute(rep)
		if err != nil {
			t.Fatal(err)
		}
		checkInvariant(t, r, rep)
		if res != nil && !reflect.DeepEqual(r, res) {
			t.Errorf("the result differs with %d jobs", jobs)
		}
		res = r
	}
	return res, rep
}

// checkInvariant: every visible byte and file in exactly one owner.
func checkInvariant(t *testing.T, res *Result, rep *account.Report) {
	t.Helper()
	var bytes, files int64
	for _, p := range res.Packages {
		bytes += p.Bytes
		files += p.Files
		var lb int64
		for _, l := range p.Layers {
			lb += l.Bytes
		}
		if lb != p.Bytes {
			t.Errorf("%s: bytes by layer %d, bytes %d", p.Name, lb, p.Bytes)
		}
	}
	for _, d := range res.Unowned {
		bytes += d.Bytes
		files += d.Files
	}
	if bytes != rep.Image.VisibleBytes || files != rep.Image.Files || res.Bytes != bytes || res.Files != files {
		t.Errorf("packages + no package: %d bytes in %d files; result %d in %d; visible_bytes %d in %d files",
			bytes, files, res.Bytes, res.Files, rep.Image.VisibleBytes, rep.Image.Files)
	}
}

func packagesOf(res *Result) []pkgWant {
	out := []pkgWant{}
	for _, p := range res.Packages {
		out = append(out, pkgWant{p.Name, p.Version, p.Architecture, p.Bytes, p.Files, p.Layer, p.FilesKnown})
	}
	return out
}

func unownedOf(res *Result) map[string]int64 {
	out := map[string]int64{}
	for _, d := range res.Unowned {
		out[d.Dir] = d.Bytes
	}
	return out
}

func TestDpkg(t *testing.T) {
	status0 := stanza("libc6", "2.36-9", "amd64") + stanza("base-files", "12.4", "amd64")
	libc := list("usr/lib/x86_64-linux-gnu/libc.so.6", "usr/share/doc/libc6/copyright")
	base := list("etc/debian_version")
	status1 := status0 + stanza("curl", "7.88.1-10", "amd64")
	curl := list("usr/bin/curl")
	res, rep := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("FROM debian",
			file("usr/lib/x86_64-linux-gnu/libc.so.6", 1000), file("usr/share/doc/libc6/copyright", 30), file("etc/debian_version", 5),
			synth.File("var/lib/dpkg/status", status0),
			synth.File("var/lib/dpkg/info/libc6:amd64.list", libc), synth.File("var/lib/dpkg/info/base-files.list", base)),
		layer("RUN apt-get install -y curl",
			file("usr/bin/curl", 300), synth.File("var/lib/dpkg/status", status1), synth.File("var/lib/dpkg/info/curl.list", curl)),
		layer("COPY app /app", file("app/main", 70), file("usr/local/bin/tool", 90)),
	}})
	want := []pkgWant{
		{"libc6", "2.36-9", "amd64", 1030, 2, 0, true},
		{"curl", "7.88.1-10", "amd64", 300, 1, 1, true},
		{"base-files", "12.4", "amd64", 5, 1, 0, true},
	}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v\nwant %+v", got, want)
	}
	db := int64(len(status1) + len(libc) + len(base) + len(curl))
	if got, want := unownedOf(res), map[string]int64{"/app": 70, "/usr/local": 90, "/var/lib": db}; !reflect.DeepEqual(got, want) {
		t.Errorf("unowned %v, want %v", got, want)
	}
	if res.Packages[1].CreatedBy != "RUN apt-get install -y curl" || res.Packages[0].CreatedBy != "FROM debian" {
		t.Errorf("created_by: %q, %q", res.Packages[0].CreatedBy, res.Packages[1].CreatedBy)
	}
	if !res.Complete || len(res.Databases) != 1 || res.Databases[0] != (Database{Manager: Dpkg, Path: "/var/lib/dpkg/status", Layer: 1, Status: StatusRead, Packages: 3}) {
		t.Errorf("complete %v, databases %+v", res.Complete, res.Databases)
	}
	if len(rep.Captured) != 4 {
		t.Errorf("captured %d files, want the status and 3 lists", len(rep.Captured))
	}
}

// A package removed in a later layer: its record and list gone, its
// files deleted. One removed but not purged leaves a conffile that no
// package owns.
func TestDpkgRemoved(t *testing.T) {
	status0 := stanza("libc6", "2.36-9", "amd64") + stanza("gcc-12", "12.2.0-14", "amd64") + stanza("nano", "7.2-1", "amd64")
	status1 := stanza("libc6", "2.36-9", "amd64") + "Package: nano\nStatus: deinstall ok config-files\nVersion: 7.2-1\n\n"
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("RUN apt-get install gcc-12 nano",
			file("usr/lib/libc.so.6", 100), file("usr/bin/gcc-12", 5000), file("usr/bin/nano", 200), file("etc/nanorc", 10),
			synth.File("var/lib/dpkg/status", status0),
			synth.File("var/lib/dpkg/info/libc6:amd64.list", list("usr/lib/libc.so.6")),
			synth.File("var/lib/dpkg/info/gcc-12:amd64.list", list("usr/bin/gcc-12")),
			synth.File("var/lib/dpkg/info/nano.list", list("usr/bin/nano", "etc/nanorc"))),
		layer("RUN apt-get purge gcc-12 && apt-get remove nano",
			synth.Whiteout("usr/bin/gcc-12"), synth.Whiteout("usr/bin/nano"), synth.Whiteout("var/lib/dpkg/info/gcc-12:amd64.list"),
			synth.Whiteout("var/lib/dpkg/info/nano.list"), synth.File("var/lib/dpkg/status", status1)),
	}})
	want := []pkgWant{{"libc6", "2.36-9", "amd64", 100, 1, 0, true}}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v\nwant %+v", got, want)
	}
	if got := unownedOf(res)["/etc"]; got != 10 {
		t.Errorf("/etc unowned %d, want nano's conffile's 10", got)
	}
}

// A file two packages list goes to the one whose record the file's layer
// wrote, else to the first by name; it is counted once and listed in
// Shared.
func TestDpkgShared(t *testing.T) {
	doc := "usr/share/doc/libfoo/changelog.gz"
	status := stanza("libfoo", "1.0", "amd64") + stanza("libfoo", "1.0", "i386") + stanza("alpha", "1", "all") + stanza("beta", "1", "all")
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("base",
			file("usr/lib/x86_64-linux-gnu/libfoo.so", 100), file(doc, 40), file("etc/both", 8),
			synth.File("var/lib/dpkg/status", status),
			synth.File("var/lib/dpkg/info/libfoo:amd64.list", list("usr/lib/x86_64-linux-gnu/libfoo.so", doc)),
			synth.File("var/lib/dpkg/info/alpha.list", list("etc/both")),
			synth.File("var/lib/dpkg/info/beta.list", list("etc/both"))),
		layer("RUN dpkg --add-architecture i386 && apt-get install libfoo:i386",
			file("usr/lib/i386-linux-gnu/libfoo.so", 90), file(doc, 40),
			synth.File("var/lib/dpkg/info/libfoo:i386.list", list("usr/lib/i386-linux-gnu/libfoo.so", doc))),
	}})
	want := []pkgWant{
		{"libfoo", "1.0", "i386", 130, 2, 1, true},
		{"libfoo", "1.0", "amd64", 100, 1, 0, true},
		{"alpha", "1", "all", 8, 1, 0, true},
		{"beta", "1", "all", 0, 0, 0, true},
	}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v\nwant %+v", got, want)
	}
	wantShared := []SharedFile{
		{Path: "/etc/both", Bytes: 8, Owner: PackageRef{Dpkg, "alpha", "all"}, Others: []PackageRef{{Dpkg, "beta", "all"}}},
		{Path: "/" + doc, Bytes: 40, Owner: PackageRef{Dpkg, "libfoo", "i386"}, Others: []PackageRef{{Dpkg, "libfoo", "amd64"}}},
	}
	if !reflect.DeepEqual(res.Shared, wantShared) {
		t.Errorf("shared %+v\nwant %+v", res.Shared, wantShared)
	}
}

// Diversions: the diverted package's file is on disk at the new name; the
// diverting package keeps the original; a local diversion's original is
// the administrator's.
func TestDpkgDiversions(t *testing.T) {
	status := stanza("gzip", "1.12-1", "amd64") + stanza("wrapper", "1", "all") + stanza("foo", "2", "all")
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("base",
			file("usr/bin/gzip", 20), file("usr/bin/gzip.real", 300), file("etc/foo.conf", 4), file("etc/foo.conf.orig", 8), file("usr/bin/foo", 50),
			synth.File("var/lib/dpkg/status", status),
			synth.File("var/lib/dpkg/info/gzip.list", list("usr/bin/gzip")),
			synth.File("var/lib/dpkg/info/wrapper.list", list("usr/bin/gzip")),
			synth.File("var/lib/dpkg/info/foo.list", list("usr/bin/foo", "etc/foo.conf")),
			synth.File("var/lib/dpkg/diversions", "/usr/bin/gzip\n/usr/bin/gzip.real\nwrapper\n/etc/foo.conf\n/etc/foo.conf.orig\n:\n")),
	}})
	want := []pkgWant{
		{"gzip", "1.12-1", "amd64", 300, 1, 0, true},
		{"foo", "2", "all", 58, 2, 0, true},
		{"wrapper", "1", "all", 20, 1, 0, true},
	}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v\nwant %+v", got, want)
	}
	if got := unownedOf(res)["/etc"]; got != 4 {
		t.Errorf("/etc unowned %d, want the locally diverted file's 4", got)
	}
	if len(res.Shared) != 0 {
		t.Errorf("shared %+v: a diverted file is not shared", res.Shared)
	}
}

// Merged /usr: bin, lib and sbin are symlinks into usr/, and packages
// built before the merge list their files under /bin and /lib, where dpkg
// wrote them through the symlinks; the files are visible under usr/. A
// package listing the same file under usr/ shares it. Where bin is a real
// directory holding files, its claims stay.
func TestMergedUsr(t *testing.T) {
	status := stanza("libc6", "2.36-9", "amd64") + stanza("bash", "5.2", "amd64") + stanza("usrmerged", "1", "all") + stanza("coreutils", "9.1", "amd64")
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("ADD rootfs.tar /",
			synth.Symlink("bin", "usr/bin"), synth.Symlink("lib", "usr/lib"), synth.Symlink("sbin", "usr/sbin"),
			file("usr/lib/x86_64-linux-gnu/libc.so.6", 2000), file("usr/lib/x86_64-linux-gnu/libm.so.6", 900),
			file("usr/bin/bash", 1200), file("usr/bin/ls", 140), file("usr/sbin/ldconfig", 80),
			synth.File("var/lib/dpkg/status", status),
			synth.File("var/lib/dpkg/info/libc6:amd64.list", list("lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libm.so.6", "sbin/ldconfig")),
			synth.File("var/lib/dpkg/info/bash.list", list("bin/bash")),
			synth.File("var/lib/dpkg/info/usrmerged.list", list("usr/bin/bash")),
			synth.File("var/lib/dpkg/info/coreutils.list", list("bin/ls"))),
	}})
	want := []pkgWant{
		{"libc6", "2.36-9", "amd64", 2980, 3, 0, true},
		{"bash", "5.2", "amd64", 1200, 1, 0, true},
		{"coreutils", "9.1", "amd64", 140, 1, 0, true},
		{"usrmerged", "1", "all", 0, 0, 0, true},
	}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v\nwant %+v", got, want)
	}
	if u := unownedOf(res); u["/usr/lib"] != 0 || u["/usr/bin"] != 0 || u["/usr/sbin"] != 0 {
		t.Errorf("files of packages counted in no package: %v", u)
	}
	if len(res.Shared) != 1 || res.Shared[0].Path != "/usr/bin/bash" || res.Shared[0].Owner.Name != "bash" {
		t.Errorf("shared %+v", res.Shared)
	}

	// Not merged: /bin is a directory with files, and a package's claim on
	// a path there that is gone is not moved onto usr/.
	res, _ = attribute(t, synth.Image{Layers: []synth.Layer{
		layer("ADD rootfs.tar /",
			file("bin/sh", 100), file("usr/bin/ls", 140),
			synth.File("var/lib/dpkg/status", stanza("dash", "0.5", "amd64")+stanza("coreutils", "9.1", "amd64")),
			synth.File("var/lib/dpkg/info/dash.list", list("bin/sh", "bin/ls")),
			synth.File("var/lib/dpkg/info/coreutils.list", list("usr/bin/ls"))),
	}})
	want = []pkgWant{
		{"coreutils", "9.1", "amd64", 140, 1, 0, true},
		{"dash", "0.5", "amd64", 100, 1, 0, true},
	}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) || len(res.Shared) != 0 {
		t.Errorf("packages %+v, shared %+v\nwant %+v", got, res.Shared, want)
	}
}

// Hard links: one file, counted once, owned by the package that lists
// any of its names.
func TestHardLinks(t *testing.T) {
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("base",
			file("usr/bin/perl5.36.0", 500), synth.Hardlink("usr/bin/perl", "usr/bin/perl5.36.0"),
			synth.Hardlink("app/a-perl", "usr/bin/perl5.36.0"),
			file("opt/x", 30), synth.Hardlink("opt/y", "opt/x"),
			synth.File("var/lib/dpkg/status", stanza("perl-base", "5.36.0-7", "amd64")),
			synth.File("var/lib/dpkg/info/perl-base.list", list("usr/bin/perl"))),
	}})
	want := []pkgWant{{"perl-base", "5.36.0-7", "amd64", 500, 1, 0, true}}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v\nwant %+v", got, want)
	}
	if got := unownedOf(res); got["/opt"] != 30 || got["/app"] != 0 {
		t.Errorf("unowned %v, want /opt 30 (once) and no /app", got)
	}
}

// distroless: status.d holds a file of stanzas a package (no Status) and
// NAME.md5sums beside it; a package without .md5sums has unknown files.
func TestDistroless(t *testing.T) {
	base := "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\nMaintainer: x\n"
	tz := "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n"
	sums := "5461b4c9623a1657baf85fbc0c8576b6  etc/os-release\n1d75138120adf26e52516458bb20488c  usr/share/doc/base-files/copyright\n"
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("bazel build",
			file("etc/os-release", 260), file("usr/share/doc/base-files/copyright", 40), file("usr/share/zoneinfo/UTC", 114),
			synth.File("var/lib/dpkg/status.d/base-files", base),
			synth.File("var/lib/dpkg/status.d/base-files.md5sums", sums),
			synth.File("var/lib/dpkg/status.d/tzdata", tz)),
		layer("COPY server /server", file("server", 9000)),
	}})
	want := []pkgWant{
		{"base-files", "12.4+deb12u5", "amd64", 300, 2, 0, true},
		{"tzdata", "2024a-0+deb12u1", "all", 0, 0, 0, false},
	}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v\nwant %+v", got, want)
	}
	if res.Complete {
		t.Error("complete, with tzdata's files unknown")
	}
	if got := unownedOf(res); got["/usr/share"] != 114 || got["/"] != 9000 {
		t.Errorf("unowned %v", got)
	}
	if len(res.Databases) != 1 || res.Databases[0].Path != "/var/lib/dpkg/status.d" || res.Databases[0].Packages != 2 {
		t.Errorf("databases %+v", res.Databases)
	}
}

func TestApk(t *testing.T) {
	db0 := "P:musl\nV:1.2.4-r2\nA:x86_64\nF:lib\nR:ld-musl-x86_64.so.1\na:0:0:755\nZ:Q1abc=\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\nF:bin\nR:busybox\n\n"
	db1 := db0 + "P:python3\nV:3.11.8-r0\nA:x86_64\nF:usr/bin\nR:python3.11\nF:usr/lib/python3.11\nR:os.py\n\n"
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("ADD alpine-minirootfs.tar.gz /",
			file("lib/ld-musl-x86_64.so.1", 600), file("bin/busybox", 800), synth.Hardlink("bin/sh", "bin/busybox"),
			synth.File("lib/apk/db/installed", db0)),
		layer("RUN apk add python3",
			file("usr/bin/python3.11", 20), file("usr/lib/python3.11/os.py", 40), synth.File("lib/apk/db/installed", db1),
			file("var/cache/apk/APKINDEX.tar.gz", 70)),
	}})
	want := []pkgWant{
		{"busybox", "1.36.1-r15", "x86_64", 800, 1, 0, true},
		{"musl", "1.2.4-r2", "x86_64", 600, 1, 0, true},
		{"python3", "3.11.8-r0", "x86_64", 60, 2, 1, true},
	}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v\nwant %+v", got, want)
	}
	if got := unownedOf(res); got["/var/cache"] != 70 || got["/lib"] != int64(len(db1)) {
		t.Errorf("unowned %v", got)
	}
}

// apk: a package removed by a later layer (its stanza gone from the
// database, its file deleted) owns nothing and is not listed; a file two
// packages list (apk refuses that unless forced, but a forced overwrite
// or a hand-made database has it) goes to the first by name, counted
// once and listed in Shared; a file hard-linked under a name no package
// lists counts once, for the package that lists another name of it.
func TestApkRemovedAndShared(t *testing.T) {
	musl := "P:musl\nV:1.2.4-r2\nA:x86_64\nF:lib\nR:ld-musl-x86_64.so.1\n\n"
	gcc := "P:gcc\nV:13.2.1-r0\nA:x86_64\nF:usr/bin\nR:gcc\nF:usr/share/licenses\nR:GPL-3\n\n"
	gfortran := "P:gfortran\nV:13.2.1-r0\nA:x86_64\nF:usr/bin\nR:gfortran\nF:usr/share/licenses\nR:GPL-3\n\n"
	mk := "P:make\nV:4.4.1-r1\nA:x86_64\nF:usr/bin\nR:make\n\n"
	db1 := musl + gcc + gfortran + mk
	db2 := musl + gcc + gfortran // make removed
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("ADD alpine-minirootfs.tar.gz /",
			file("lib/ld-musl-x86_64.so.1", 600), synth.File("lib/apk/db/installed", musl)),
		layer("RUN apk add gcc gfortran make",
			file("usr/bin/gcc", 5000), file("usr/bin/gfortran", 3000), file("usr/bin/make", 250),
			file("usr/share/licenses/GPL-3", 35), synth.Hardlink("usr/local/bin/cc", "usr/bin/gcc"),
			synth.File("lib/apk/db/installed", db1)),
		layer("RUN apk del make",
			synth.Whiteout("usr/bin/make"), synth.File("lib/apk/db/installed", db2)),
	}})
	want := []pkgWant{
		{"gcc", "13.2.1-r0", "x86_64", 5035, 2, 1, true},
		{"gfortran", "13.2.1-r0", "x86_64", 3000, 1, 1, true},
		{"musl", "1.2.4-r2", "x86_64", 600, 1, 0, true},
	}
	if got := packagesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("packages %+v\nwant %+v", got, want)
	}
	wantShared := []SharedFile{{Path: "/usr/share/licenses/GPL-3", Bytes: 35,
		Owner: PackageRef{Apk, "gcc", "x86_64"}, Others: []PackageRef{{Apk, "gfortran", "x86_64"}}}}
	if !reflect.DeepEqual(res.Shared, wantShared) {
		t.Errorf("shared %+v\nwant %+v", res.Shared, wantShared)
	}
	if got, want := unownedOf(res), map[string]int64{"/lib": int64(len(db2))}; !reflect.DeepEqual(got, want) {
		t.Errorf("unowned %v, want only the database %v", got, want)
	}
	if !res.Complete || len(res.Databases) != 1 || res.Databases[0].Packages != 3 || res.Databases[0].Layer != 2 {
		t.Errorf("complete %v, databases %+v", res.Complete, res.Databases)
	}
}

// No database: every byte is "no package", and that is complete.
func TestNoDatabase(t *testing.T) {
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("COPY . /", file("app/server", 100), file("etc/passwd", 10), file("README", 3)),
	}})
	if len(res.Packages) != 0 || len(res.Databases) != 0 || !res.Complete {
		t.Errorf("packages %+v, databases %+v, complete %v", res.Packages, res.Databases, res.Complete)
	}
	if got, want := unownedOf(res), map[string]int64{"/app": 100, "/etc": 10, "/": 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("unowned %v, want %v", got, want)
	}
}

// rpm's databases are found and said not supported; nothing is guessed.
func TestRpmNotSupported(t *testing.T) {
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("FROM ubi9", file("usr/lib/sysimage/rpm/rpmdb.sqlite", 4096), file("usr/bin/bash", 900)),
	}})
	if res.Complete || len(res.Databases) != 1 {
		t.Fatalf("complete %v, databases %+v", res.Complete, res.Databases)
	}
	if d := res.Databases[0]; d.Manager != Rpm || d.Status != StatusNotSupported || !strings.Contains(d.Reason, "sqlite") {
		t.Errorf("database %+v", d)
	}
}

// A database over the capture limits is said too large, not read.
func TestTooLarge(t *testing.T) {
	status := strings.Repeat(stanza("p", "1", "all"), 50)
	res, _ := attribute(t, synth.Image{Layers: []synth.Layer{
		layer("base", file("usr/bin/p", 10), synth.File("var/lib/dpkg/status", status),
			synth.File("var/lib/dpkg/info/p.list", list("usr/bin/p"))),
	}}, account.WithCaptureLimits(1000, 1<<20))
	if res.Complete || len(res.Packages) != 0 || len(res.Databases) != 1 || res.Databases[0].Status != StatusTooLarge {
		t.Errorf("complete %v, packages %+v, databases %+v", res.Complete, res.Packages, res.Databases)
	}
}

func TestNotCaptured(t *testing.T) {
	if _, err := Attribute(&account.Report{}); err != ErrNotCaptured {
		t.Errorf("err %v, want ErrNotCaptured", err)
	}
}

// Attribute takes any database content without panicking, and keeps the
// invariant.
func FuzzAttribute(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in), []byte(tc.in), []byte(tc.in))
	}
	f.Add([]byte(stanza("a", "1", "amd64")+stanza("b", "1", "amd64")), []byte(list("usr/bin/a", "x")), []byte("/usr/bin/a\n/x\nb\n"))
	vf := []account.VisibleFile{
		{Path: "usr/bin/a", File: 0, Bytes: 10}, {Path: "x", File: 1, Layer: 1, Bytes: 3}, {Path: "bin/busybox", File: 2, Bytes: 7},
		{Path: "bin/sh", File: 2, Bytes: 7}, {Path: "var/lib/rpm/Packages", File: 3, Bytes: 1},
	}
	f.Fuzz(func(t *testing.T, status, lst, other []byte) {
		rep := &account.Report{
			Layers: make([]account.Layer, 2),
			Image:  account.Image{VisibleBytes: 21, Files: 4},
			Captured: []account.CapturedFile{
				{Path: apkInstalled, Data: other},
				{Path: dpkgDiversions, Data: other},
				{Path: dpkgInfo + "/a.list", Data: lst},
				{Path: dpkgInfo + "/b:amd64.list", Data: other},
				{Path: dpkgStatus, Data: status},
				{Path: dpkgStatusD + "/c", Data: status},
				{Path: dpkgStatusD + "/c.md5sums", Data: lst},
			},
			VisibleFiles: vf,
		}
		res, err := Attribute(rep)
		if err != nil {
			t.Fatal(err)
		}
		checkInvariant(t, res, rep)
	})
}

// The benchmark image with a dpkg database: its packages own the files
// of their directories that stay visible, and the invariant holds.
func TestLargeImage(t *testing.T) {
	p, err := synth.Large(context.Background(), t.TempDir(), synth.LargeSpec{Layers: 4, Files: 3000, Bytes: 3 << 20, Seed: 5, Packages: 9})
	if err != nil {
		t.Fatal(err)
	}
	img, err := benchutil.OpenLayout(p)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := account.Analyze(context.Background(), img, AnalyzeOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Attribute(rep)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, res, rep)
	if len(res.Packages) != 9 || !res.Complete {
		t.Fatalf("%d packages, complete %v; want 9, complete", len(res.Packages), res.Complete)
	}
	var owned int64
	for _, p := range res.Packages {
		owned += p.Files
		if want := p.Name[len("pkg-l") : len("pkg-l")+1]; fmt.Sprint(p.Layer) != want {
			t.Errorf("%s: layer %d", p.Name, p.Layer)
		}
	}
	// Layers 0 to 2 write 750 files each; later layers delete and
	// overwrite some.
	if owned < 1500 || owned > 2250 {
		t.Errorf("packages own %d files", owned)
	}
}

package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle/whittle/internal/synth"
)

// The synthetic images of testdata/analyze/packages.txtar, whose packages
// are known by construction (sizes in bytes):
//
//	pkgs.tar  dpkg; layer 0 "ADD file:… in /": libc6 (libc.so.6 2000,
//	          copyright 100) and a man page of no package (300);
//	          layer 1 "RUN apt-get update && apt-get install -y gcc make":
//	          gcc-12 (cc1 50000, gcc-12 1000), make (2000), libc6-dev
//	          (stdio.h 500) and apt's lists (4000);
//	          layer 2 "COPY app /app": /app/main (7000).
//	apk.tar   apk; layer 0: musl (600); layer 1 "RUN apk add build-base":
//	          build-base (no file), gcc (7000), musl-dev (50).
//	pip.tar   no package database; layer 1 "python3.12 get-pip.py": pip
//	          (__init__.py 4000, bin/pip 200, and its RECORD of 88 bytes).
//	rpm.tar   an rpm database (rpmdb.sqlite, not read) and a file.
func packageImages(t *testing.T) map[string][]byte {
	t.Helper()
	dpkgStatus := func(pkgs ...string) string {
		var b strings.Builder
		for _, p := range pkgs {
			pkg, version, _ := strings.Cut(p, "=")
			fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n\n", pkg, version)
		}
		return b.String()
	}
	file := func(p string, n int64) synth.Entry {
		return synth.Entry{Kind: synth.KindFile, Path: p, Size: n, Seed: uint64(n) + uint64(len(p))}
	}
	base := []string{"libc6=2.36-9"}
	build := append(base, "gcc-12=12.2.0-14", "make=4.3-4.1", "libc6-dev=2.36-9")
	out := map[string][]byte{}
	for fname, spec := range map[string]synth.Image{
		"pkgs.tar": {Layers: []synth.Layer{
			{CreatedBy: "/bin/sh -c #(nop) ADD file:9f3c in / ", Entries: []synth.Entry{
				file("usr/lib/x86_64-linux-gnu/libc.so.6", 2000), file("usr/share/doc/libc6/copyright", 100),
				file("usr/share/man/man1/ls.1.gz", 300),
				synth.File("var/lib/dpkg/status", dpkgStatus(base...)),
				synth.File("var/lib/dpkg/info/libc6:amd64.list", "/.\n/usr/lib/x86_64-linux-gnu/libc.so.6\n/usr/share/doc/libc6/copyright\n"),
			}},
			{CreatedBy: "/bin/sh -c apt-get update && apt-get install -y gcc make", Entries: []synth.Entry{
				file("usr/lib/gcc/x86_64-linux-gnu/12/cc1", 50000), file("usr/bin/gcc-12", 1000),
				file("usr/bin/make", 2000), file("usr/include/stdio.h", 500),
				file("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", 4000),
				synth.File("var/lib/dpkg/status", dpkgStatus(build...)),
				synth.File("var/lib/dpkg/info/gcc-12:amd64.list", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1\n/usr/bin/gcc-12\n"),
				synth.File("var/lib/dpkg/info/make:amd64.list", "/usr/bin/make\n"),
				synth.File("var/lib/dpkg/info/libc6-dev:amd64.list", "/usr/include/stdio.h\n"),
			}},
			{CreatedBy: "COPY app /app # buildkit", Entries: []synth.Entry{file("app/main", 7000)}},
		}},
		"apk.tar": {Layers: []synth.Layer{
			{CreatedBy: "/bin/sh -c #(nop) ADD file:1a2b in / ", Entries: []synth.Entry{
				file("lib/ld-musl-x86_64.so.1", 600),
				synth.File("lib/apk/db/installed", "P:musl\nV:1.2.4-r2\nA:x86_64\nF:lib\nR:ld-musl-x86_64.so.1\n\n"),
			}},
			{CreatedBy: "/bin/sh -c apk add --no-cache build-base", Entries: []synth.Entry{
				file("usr/libexec/gcc/x86_64-alpine-linux-musl/13/cc1", 7000), file("usr/include/stdio.h", 50),
				synth.File("lib/apk/db/installed", "P:musl\nV:1.2.4-r2\nA:x86_64\nF:lib\nR:ld-musl-x86_64.so.1\n\n"+
					"P:build-base\nV:0.5-r3\nA:x86_64\n\n"+
					"P:gcc\nV:13.2.1-r1\nA:x86_64\nF:usr/libexec/gcc/x86_64-alpine-linux-musl/13\nR:cc1\n\n"+
					"P:musl-dev\nV:1.2.4-r2\nA:x86_64\nF:usr/include\nR:stdio.h\n\n"),
			}},
		}},
		"pip.tar": {Layers: []synth.Layer{
			{CreatedBy: "/bin/sh -c #(nop) ADD file:5c3d in / ", Entries: []synth.Entry{file("usr/bin/python3.12", 6000)}},
			{CreatedBy: "/bin/sh -c python3.12 get-pip.py", Entries: []synth.Entry{
				file("usr/local/lib/python3.12/site-packages/pip/__init__.py", 4000), file("usr/local/bin/pip", 200),
				synth.File("usr/local/lib/python3.12/site-packages/pip-24.0.dist-info/RECORD",
					"pip/__init__.py,sha256=x,4000\n../../../bin/pip,sha256=y,200\npip-24.0.dist-info/RECORD,,\n"),
			}},
		}},
		"rpm.tar": {Layers: []synth.Layer{
			{CreatedBy: "/bin/sh -c #(nop) ADD file:77aa in / ", Entries: []synth.Entry{
				file("usr/lib64/libc.so.6", 2500), file("var/lib/rpm/rpmdb.sqlite", 9000),
			}},
		}},
	} {
		img, err := synth.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		tag, err := name.NewTag("example.com/" + strings.TrimSuffix(fname, ".tar") + ":1")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := tarball.Write(tag, img, &buf); err != nil {
			t.Fatal(err)
		}
		out[fname] = buf.Bytes()
	}
	return out
}

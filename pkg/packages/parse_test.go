package packages

import (
	"reflect"
	"testing"
)

// parseCases are the parsers' table: unit tests and fuzz seeds.
var parseCases = []struct {
	name   string
	parser string // "status", "list", "md5sums", "diversions", "apk"
	in     string
	want   any
}{
	{"status: two stanzas, continuation, any case, CRLF", "status",
		"Package: a\r\nStatus: install ok installed\r\nversion: 1:2.3-4\r\nDescription: x\r\n more\r\nArchitecture: amd64\r\n\r\n\r\npackage: b\nStatus: deinstall ok config-files\n",
		[]DpkgRecord{{Package: "a", Version: "1:2.3-4", Architecture: "amd64", Status: "install ok installed"}, {Package: "b", Status: "deinstall ok config-files"}}},
	{"status: relationships, alternatives, versions, qualifiers, restrictions", "status",
		"Package: gcc\nPre-Depends: dpkg (>= 1.17)\nDepends: cpp (= 4:12.2.0-3), gcc-12 (>= 12.2.0-1~) | clang:any,  libc6\nRecommends: libc6-dev | libc-dev\nSuggests: gcc-doc\nProvides: c-compiler, cc (= 1)\nBuild-Depends: foo [amd64] <!nocheck>\n",
		[]DpkgRecord{{Package: "gcc", Depends: []string{"dpkg", "cpp", "gcc-12", "clang", "libc6", "libc6-dev", "libc-dev"}, Provides: []string{"c-compiler", "cc"}}}},
	{"status: a stanza without Package is skipped; junk lines ignored", "status",
		"Version: 1\nno colon here\n\nPackage:  c  \n \n", []DpkgRecord{{Package: "c"}}},
	{"status: empty", "status", "", []DpkgRecord(nil)},
	{"list: absolute paths, root and empty lines skipped, cleaned", "list",
		"/.\n/usr\n/usr/bin/x\n\n/usr//lib/./y/\n/../etc/z\n", []string{"usr", "usr/bin/x", "usr/lib/y", "etc/z"}},
	{"list: a path with spaces", "list", "/usr/share/a b\n", []string{"usr/share/a b"}},
	{"md5sums: two spaces, binary marker, junk", "md5sums",
		"0123456789abcdef0123456789abcdef  usr/share/doc/x/copyright\nfedcba9876543210fedcba9876543210 *usr/bin/y\nnohash\n  \n", []string{"usr/share/doc/x/copyright", "usr/bin/y"}},
	{"diversions: groups of three, local, incomplete tail", "diversions",
		"/usr/bin/gzip\n/usr/bin/gzip.real\nwrapper\n/etc/a\n/etc/a.orig\n:\n/x\n/y\n", []Diversion{{"usr/bin/gzip", "usr/bin/gzip.real", "wrapper"}, {"etc/a", "etc/a.orig", ":"}}},
	{"apk: F and R lines, R before F is at the root, a: and Z: ignored", "apk",
		"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nR:top\nF:lib\nR:ld-musl-x86_64.so.1\na:0:0:755\nZ:Q1xyz=\nR:libc.musl-x86_64.so.1\nF:usr/lib\n\nP:busybox\nV:1.36.1-r5\nF:bin\nR:busybox\n",
		[]ApkRecord{{Name: "musl", Version: "1.2.4-r2", Architecture: "x86_64", Files: []string{"top", "lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"}}, {Name: "busybox", Version: "1.36.1-r5", Files: []string{"bin/busybox"}}}},
	{"apk: D: and p: without versions, conflicts skipped", "apk",
		"P:gcc\nD:binutils>=2.40 so:libc.musl-x86_64.so.1 !gcc-doc isl26~0.26\np:cmd:cc=13.2.1-r0 cmd:gcc\n",
		[]ApkRecord{{Name: "gcc", Depends: []string{"binutils", "so:libc.musl-x86_64.so.1", "isl26"}, Provides: []string{"cmd:cc", "cmd:gcc"}}}},
	{"extended_states: auto-installed only, with or without architecture", "extended",
		"Package: cpp\nArchitecture: amd64\nAuto-Installed: 1\n\nPackage: gcc\nArchitecture: amd64\nAuto-Installed: 0\n\npackage: binutils\nauto-installed: 1\n",
		[]string{"cpp:amd64", "binutils"}},
	{"world: names without versions or tags, conflicts skipped", "world",
		"alpine-baselayout busybox\npython3>=3.11 .build-deps curl@edge !bash so:libz.so.1\n",
		[]string{"alpine-baselayout", "busybox", "python3", ".build-deps", "curl", "so:libz.so.1"}},
	{"apk: stanza without P skipped, R with a path stays under the root", "apk",
		"V:1\nR:x\n\nP:p\nF:a\nR:../../b\nR:\n", []ApkRecord{{Name: "p", Files: []string{"b"}}}},
}

func parse(parser string, in []byte) any {
	switch parser {
	case "status":
		return ParseDpkgStatus(in)
	case "list":
		return ParseDpkgFileList(in)
	case "md5sums":
		return ParseDpkgMd5sums(in)
	case "diversions":
		return ParseDpkgDiversions(in)
	case "apk":
		return ParseApkInstalled(in)
	case "extended":
		return ParseAptExtendedStates(in)
	case "world":
		return ParseApkWorld(in)
	}
	panic("unknown parser " + parser)
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := parse(tc.parser, []byte(tc.in)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestInstalled(t *testing.T) {
	for status, want := range map[string]bool{
		"":                          true, // status.d has none
		"install ok installed":      true,
		"install ok half-installed": true,
		"install ok unpacked":       true,
		"deinstall ok config-files": false,
		"purge ok not-installed":    false,
		"   ":                       false,
	} {
		if got := (DpkgRecord{Status: status}).installed(); got != want {
			t.Errorf("installed(%q) = %v, want %v", status, got, want)
		}
	}
}

func TestTopDir(t *testing.T) {
	for p, want := range map[string]string{
		"usr/local/bin/x": "/usr/local",
		"usr/bin/x":       "/usr/bin",
		"usr/x":           "/usr",
		"var/lib/dpkg/s":  "/var/lib",
		"app/main.py":     "/app",
		"opt/a/b/c":       "/opt",
		"file":            "/",
	} {
		if got := TopDir(p); got != want {
			t.Errorf("TopDir(%q) = %q, want %q", p, got, want)
		}
	}
}

// Every parser takes any input without panicking, and what it returns
// is clean: relative paths, never the root, never leaving it.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.parser, []byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, parser string, in []byte) {
		var paths []string
		switch parser {
		case "status":
			for _, r := range ParseDpkgStatus(in) {
				if r.Package == "" {
					t.Fatalf("record without a name: %+v", r)
				}
			}
		case "list":
			paths = ParseDpkgFileList(in)
		case "md5sums":
			paths = ParseDpkgMd5sums(in)
		case "diversions":
			for _, d := range ParseDpkgDiversions(in) {
				paths = append(paths, d.From, d.To)
			}
		case "apk":
			for _, r := range ParseApkInstalled(in) {
				paths = append(paths, r.Files...)
			}
		default:
			return
		}
		for _, p := range paths {
			if p == "" || p[0] == '/' || p == ".." || len(p) > 2 && p[:3] == "../" || cleanRel(p) != p {
				t.Fatalf("unclean path %q", p)
			}
		}
	})
}

package account

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/synth"
)

func TestDocCategory(t *testing.T) {
	for p, want := range map[string]string{
		"usr/share/doc/libc6/copyright":                           "doc",
		"usr/local/share/doc/tool/README":                         "doc",
		"usr/share/gtk-doc/html/glib/index.html":                  "doc",
		"usr/share/man/man1/ls.1.gz":                              "man",
		"usr/share/man/de/man1/ls.1.gz":                           "man",
		"usr/local/share/man/man1/tool.1":                         "man",
		"usr/local/man/man1/old.1":                                "man",
		"usr/share/info/coreutils.info.gz":                        "info",
		"usr/local/share/info/dir":                                "info",
		"usr/share/locale/de/LC_MESSAGES/coreutils.mo":            "locale",
		"usr/local/share/locale/fr/LC_MESSAGES/tool.mo":           "locale",
		"usr/lib/locale/C.utf8/LC_CTYPE":                          "locale",
		"usr/lib/locale/locale-archive":                           "locale",
		"usr/share/i18n/charmaps/UTF-8.gz":                        "locale",
		"usr/share/doc":                                           "", // the directory itself is no file under it
		"usr/share/docs/x":                                        "",
		"usr/share/doc-base/x":                                    "",
		"usr/share/manpages/x":                                    "",
		"usr/lib/x86_64-linux-gnu/perl/5.36/unicore/lib/Nt/De.pl": "",
		"opt/app/usr/share/doc/x":                                 "",
		"usr/share/locale.alias":                                  "",
		"usr/lib/python3/dist-packages/pip/_vendor/locale":        "",
	} {
		if got := DocCategory(p); got != want {
			t.Errorf("DocCategory(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestDocCategoriesDocumented: DocCategories is the category column of the
// documentation table of docs/accounting.md, in order, and each row names
// exactly the directories DocCategory covers.
func TestDocCategoriesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/accounting.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "| category | directories |\n|---|---|\n")
	if !ok {
		t.Fatal("docs/accounting.md has no documentation category table")
	}
	row := regexp.MustCompile("^\\| `([a-z]+)` \\| (.*) \\|$")
	var documented []string
	dirs := map[string][]string{}
	for _, line := range strings.Split(table, "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			break
		}
		documented = append(documented, m[1])
		for _, d := range regexp.MustCompile("`/([^`]+)/`").FindAllStringSubmatch(m[2], -1) {
			dirs[m[1]] = append(dirs[m[1]], d[1]+"/")
		}
	}
	if got := DocCategories(); !slices.Equal(got, documented) {
		t.Errorf("DocCategories() = %v\ndocs/accounting.md lists %v", got, documented)
	}
	want := map[string][]string{}
	for _, d := range docDirs {
		want[d.category] = append(want[d.category], d.dir)
	}
	if !reflect.DeepEqual(dirs, want) {
		t.Errorf("docs/accounting.md names the directories %v\nDocCategory covers %v", dirs, want)
	}
}

// TestDocs checks the documentation and locale bytes of an image against
// its construction: a hard link counted once, a file deleted by a later
// layer not counted, a file overwritten counted at its new size and in its
// new layer, a symlinked directory not followed.
func TestDocs(t *testing.T) {
	img := build(t, synth.Image{Layers: []synth.Layer{
		L(
			at("usr/share/doc/libc6/copyright", sz(100, 1)),
			at("usr/share/doc/libc6/changelog.gz", sz(900, 2)),
			at("usr/share/man/man1/ls.1.gz", sz(300, 3)),
			synth.Hardlink("usr/share/man/man1/dir.1.gz", "usr/share/man/man1/ls.1.gz"),
			at("usr/share/info/coreutils.info.gz", sz(4000, 4)),
			at("usr/share/locale/de/LC_MESSAGES/coreutils.mo", sz(2000, 5)),
			at("usr/lib/locale/C.utf8/LC_CTYPE", sz(350, 6)),
			at("usr/bin/ls", sz(10000, 7)),
		),
		L(
			synth.Whiteout("usr/share/info/coreutils.info.gz"),
			at("usr/share/doc/libc6/changelog.gz", sz(50, 8)),
			at("usr/share/i18n/charmaps/UTF-8.gz", sz(1200, 9)),
			synth.Symlink("usr/share/doc/curl", "/opt/curl-doc"),
			at("opt/curl-doc/README", sz(77, 10)),
		),
	}})
	rep, err := Analyze(context.Background(), img, WithJobs(2))
	if err != nil {
		t.Fatal(err)
	}
	want := []DocBytes{
		{Category: "doc", Bytes: 150, Files: 2, Layers: []LayerBytes{{0, 100}, {1, 50}}},
		{Category: "man", Bytes: 300, Files: 1, Layers: []LayerBytes{{0, 300}}},
		{Category: "locale", Bytes: 3550, Files: 3, Layers: []LayerBytes{{0, 2350}, {1, 1200}}},
	}
	if !reflect.DeepEqual(rep.Docs, want) {
		t.Errorf("docs:\n got %+v\nwant %+v", rep.Docs, want)
	}
	if rep.Image.DocBytes != 150+300+3550 {
		t.Errorf("doc_bytes %d, want %d", rep.Image.DocBytes, 150+300+3550)
	}
	// None of it is a cache, and an image without documentation has an
	// empty list, not nil.
	if rep.Image.CacheBytes != 0 {
		t.Errorf("cache bytes %d", rep.Image.CacheBytes)
	}
	rep, err = Analyze(context.Background(), build(t, synth.Image{Layers: []synth.Layer{L(at("app", sz(10, 1)))}}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Docs == nil || len(rep.Docs) != 0 || rep.Image.DocBytes != 0 {
		t.Errorf("an image without documentation: %#v, %d", rep.Docs, rep.Image.DocBytes)
	}
}

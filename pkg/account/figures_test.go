package account

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/zeebo/xxh3"

	"github.com/whittle/whittle/internal/synth"
)

func TestCaches(t *testing.T) {
	img := build(t, synth.Image{Layers: []synth.Layer{
		L(
			at("var/cache/apt/archives/curl.deb", sz(10, 1)),
			at("var/cache/apt/archives/partial/x.deb", sz(3, 2)),
			at("var/cache/apt/archives/lock", sz(1, 3)),
			at("var/cache/apt/pkgcache.bin", sz(5, 4)),
			at("var/cache/apt/sub/other.bin", sz(2, 5)),
			at("var/lib/apt/lists/lock", sz(1, 6)),
			at("var/lib/apt/lists/deb_Packages", sz(7, 7)),
			at("var/lib/apt/lists/partial/deb_Sources", sz(2, 8)),
			at("var/cache/apk/APKINDEX.tar.gz", sz(6, 9)),
			at("root/.cache/pip/http/a", sz(3, 10)),
			at("home/u/.cache/pip/b", sz(4, 11)),
			at("home/.cache/pip/not-a-user-home", sz(4, 12)),
			at("home/u/.npm/_cacache/x", sz(4, 13)),
			at("usr/local/share/.cache/yarn/v6/p", sz(5, 14)),
			at("root/.cache/yarn/q", sz(1, 15)),
			at("usr/local/bundle/cache/rack-3.0.gem", sz(8, 16)),
			at("usr/local/bundle/cache/notes.txt", sz(8, 17)),
			at("var/lib/gems/3.1.0/cache/rake.gem", sz(2, 18)),
			at("usr/local/lib/ruby/gems/3.2.0/cache/json.gem", sz(3, 19)),
			at("usr/local/lib/ruby/gems/3.2.0/gems/json/x.gem", sz(3, 20)),
			at("root/.cache/go-build/ab/cd-d", sz(9, 21)),
			at("var/cache/dnf/repo.solv", sz(4, 22)),
			at("var/cache/yum/x", sz(2, 23)),
			at("var/cache/zypp/raw/y", sz(3, 24)),
			at("tmp/build.log", sz(2, 25)),
			at("var/tmp/z", sz(1, 26)),
			at("tmp/gone", sz(50, 27)),
			synth.Hardlink("tmp/build-link", "tmp/build.log"),
		),
		L(synth.Whiteout("tmp/gone"), at("tmp/later", sz(4, 28))),
	}})
	rep, err := Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	lb := func(pairs ...int64) []LayerBytes {
		var out []LayerBytes
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, LayerBytes{Layer: int(pairs[i]), Bytes: pairs[i+1]})
		}
		return out
	}
	want := []Cache{
		{Category: "apt-lists", Bytes: 9, Files: 2, Layers: lb(0, 9)},
		{Category: "apt-archives", Bytes: 18, Files: 3, Layers: lb(0, 18)},
		{Category: "apk-cache", Bytes: 6, Files: 1, Layers: lb(0, 6)},
		{Category: "pip-cache", Bytes: 7, Files: 2, Layers: lb(0, 7)},
		{Category: "npm-cache", Bytes: 4, Files: 1, Layers: lb(0, 4)},
		{Category: "yarn-cache", Bytes: 6, Files: 2, Layers: lb(0, 6)},
		{Category: "gem-cache", Bytes: 13, Files: 3, Layers: lb(0, 13)},
		{Category: "go-build-cache", Bytes: 9, Files: 1, Layers: lb(0, 9)},
		{Category: "dnf-cache", Bytes: 4, Files: 1, Layers: lb(0, 4)},
		{Category: "yum-cache", Bytes: 2, Files: 1, Layers: lb(0, 2)},
		{Category: "zypper-cache", Bytes: 3, Files: 1, Layers: lb(0, 3)},
		{Category: "tmp", Bytes: 7, Files: 3, Layers: lb(0, 3, 1, 4)},
	}
	if !reflect.DeepEqual(rep.Caches, want) {
		t.Errorf("caches:\n got %+v\nwant %+v", rep.Caches, want)
	}
	var total int64
	for _, c := range want {
		total += c.Bytes
	}
	if rep.Image.CacheBytes != total {
		t.Errorf("cache bytes %d, want %d", rep.Image.CacheBytes, total)
	}
}

func TestCacheCategoryPaths(t *testing.T) {
	for p, want := range map[string]string{
		"var/lib/apt/lists/lock":             "",
		"var/lib/apt/listsX/a":               "",
		"var/cache/apt/archives/a.deb":       "apt-archives",
		"var/cache/apt/archives/a.txt":       "",
		"var/cache/apt/srcpkgcache.bin":      "apt-archives",
		"home/alice/.cache/go-build/x":       "go-build-cache",
		"home/alice/.npmrc":                  "",
		"root/.npm/_logs/1.log":              "npm-cache",
		"tmp":                                "",
		"var/lib/gems/2.7.0/cache/sub/x.gem": "",
		"usr/local/bundle/cache/a/b.gem":     "",
	} {
		if got := CacheCategory(p); got != want {
			t.Errorf("CacheCategory(%q) = %q, want %q", p, got, want)
		}
	}
}

// digestOf is the XXH3-128 of b, computed in one call (Analyze streams
// files larger than its buffer).
func digestOf(b []byte) string {
	s := xxh3.Hash128(b).Bytes()
	return "xxh3-128:" + hex.EncodeToString(s[:])
}

func TestDuplicates(t *testing.T) {
	img := build(t, synth.Image{Layers: []synth.Layer{
		L(
			synth.File("z/a", "hello"),
			synth.File("b", "hello"),
			synth.Hardlink("c", "z/a"), // same file as z/a: not a duplicate
			synth.File("e1", ""),       // empty files are never duplicates
			synth.File("e2", ""),
			at("big1", sz(100, 7)),
			at("big2", sz(100, 7)),
			at("other", sz(100, 8)),
			synth.File("gone", "hello"),
		),
		L(synth.Whiteout("gone"), synth.File("y", "hello")),
	}})
	rep, err := Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	want := []Duplicate{
		{Digest: digestOf(synth.Pattern(100, 7)), Size: 100, Paths: []string{"/big1", "/big2"}, Bytes: 100},
		// z/a and c are one file, listed under its first name in path
		// order (c); the whited-out copy does not count.
		{Digest: digestOf([]byte("hello")), Size: 5, Paths: []string{"/b", "/c", "/y"}, Bytes: 10},
	}
	if !reflect.DeepEqual(rep.Duplicates, want) {
		t.Errorf("duplicates:\n got %+v\nwant %+v", rep.Duplicates, want)
	}
	if rep.Image.DuplicateBytes != 110 {
		t.Errorf("duplicate bytes %d, want 110", rep.Image.DuplicateBytes)
	}
	rep, err = Analyze(context.Background(), img, WithDuplicates(false))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Duplicates) != 0 || rep.Image.DuplicateBytes != 0 {
		t.Errorf("WithDuplicates(false): %+v", rep.Duplicates)
	}
}

func TestCreatedBy(t *testing.T) {
	two := []synth.Layer{L(synth.File("a", "a")), L(synth.File("b", "b"))}
	for _, tc := range []struct {
		name    string
		history []v1.History
		none    bool
		want    []string
	}{
		{"empty layers skipped", []v1.History{
			{CreatedBy: "ENV A=1", EmptyLayer: true},
			{CreatedBy: "RUN one"},
			{CreatedBy: "LABEL x=y", EmptyLayer: true},
			{CreatedBy: "RUN two"},
			{CreatedBy: "CMD sh", EmptyLayer: true},
		}, false, []string{"RUN one", "RUN two"}},
		{"history shorter than layers", []v1.History{{CreatedBy: "RUN one"}}, false, []string{"RUN one", ""}},
		{"only empty entries", []v1.History{{CreatedBy: "ENV A", EmptyLayer: true}}, false, []string{"", ""}},
		{"no history", nil, true, []string{"", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := build(t, synth.Image{Layers: two, History: tc.history, NoHistory: tc.none})
			rep, err := Analyze(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range rep.Layers {
				got = append(got, l.CreatedBy)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("created_by = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReportImage(t *testing.T) {
	img := build(t, synth.Image{OCI: true, Layers: []synth.Layer{L(synth.File("a", "abc"))}})
	var reports []Progress
	rep, err := Analyze(context.Background(), img, WithReference("oci:x"), WithJobs(1),
		WithProgress(func(p Progress) { reports = append(reports, p) }))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	if rep.SchemaVersion != SchemaVersion || rep.Image.Reference != "oci:x" || rep.Image.Digest != d.String() ||
		rep.Image.MediaType != "application/vnd.oci.image.manifest.v1+json" || rep.Image.Platform != "linux/amd64" {
		t.Errorf("image = %+v", rep.Image)
	}
	if len(reports) != 2 || reports[0].LayersDone != 1 || !reports[1].Done || reports[1].Entries != 1 {
		t.Errorf("progress = %+v", reports)
	}
	if _, err := Analyze(context.Background(), img, WithJobs(0)); err == nil {
		t.Error("WithJobs(0) accepted")
	}
}

func TestAnalyzeCanceled(t *testing.T) {
	var layers []synth.Layer
	for i := 0; i < 8; i++ {
		layers = append(layers, L(at(fmt.Sprintf("f%d", i), sz(100000, uint64(i)))))
	}
	img := build(t, synth.Image{Layers: layers})
	for _, jobs := range []int{1, 2, 8} {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := Analyze(ctx, img, WithJobs(jobs), WithProgress(func(p Progress) {
			if p.LayersDone == 1 {
				cancel()
			}
		}))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("jobs %d: err = %v", jobs, err)
		}
		cancel()
	}
}

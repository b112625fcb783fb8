package verify

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/diff"
)

// fakeEngine builds synthetic images: the Dockerfile's first line names
// the image in images.
type fakeEngine struct {
	images  map[string]synth.Image
	fail    map[string]error // by first line
	builds  []Build
	files   []string // each build's Dockerfile content, read while building
	ignores []string // each build's NAME.dockerignore content ("" if none)
	removed []string
	release int
	// uncompressed marks the images as a `docker save` gives them.
	uncompressed bool
}

func (f *fakeEngine) Name() string { return "fake" }

func (f *fakeEngine) Build(_ context.Context, b Build) (*Built, error) {
	f.builds = append(f.builds, b)
	src, err := os.ReadFile(b.Dockerfile)
	if err != nil {
		return nil, err
	}
	f.files = append(f.files, string(src))
	ign, _ := os.ReadFile(b.Dockerfile + ".dockerignore")
	f.ignores = append(f.ignores, string(ign))
	key, _, _ := strings.Cut(string(src), "\n")
	if err := f.fail[key]; err != nil {
		return nil, err
	}
	spec, ok := f.images[key]
	if !ok {
		return nil, errors.New("no such image " + key)
	}
	img, err := synth.Build(spec)
	if err != nil {
		return nil, err
	}
	return &Built{Image: img, Uncompressed: f.uncompressed, Release: func() { f.release++ }}, nil
}

func (f *fakeEngine) Remove(_ context.Context, tag string) error {
	f.removed = append(f.removed, tag)
	return nil
}

// base is the layer both images share.
var base = synth.Layer{CreatedBy: "base", Entries: []synth.Entry{
	synth.Dir("usr/"), synth.Dir("usr/bin/"), synth.Dir("usr/share/"), synth.Dir("usr/share/man/"),
	synth.File("usr/bin/sh", strings.Repeat("s", 700)),
	synth.Dir("etc/"), synth.File("etc/app.conf", "port=80\n"),
	synth.Dir("var/"), synth.Dir("var/lib/"), synth.Dir("var/lib/dpkg/"),
	synth.File("var/lib/dpkg/status", "Package: base\n"),
}}

// install is the naive RUN's layer: curl, its manual and documentation,
// the apt lists and archives, dpkg's database and apt's log.
func install(log string, lists, docs, curl bool, conf string) synth.Layer {
	e := []synth.Entry{
		synth.Dir("var/log/"), synth.Dir("var/log/apt/"), synth.File("var/log/apt/history.log", log),
		synth.File("var/lib/dpkg/status", "Package: base\n\nPackage: curl\n"),
		synth.Dir("var/cache/"), synth.Dir("var/cache/apt/"),
	}
	if curl {
		e = append(e, synth.File("usr/bin/curl", strings.Repeat("c", 1234)))
	}
	if docs {
		e = append(e, synth.Dir("usr/share/man/man1/"),
			synth.File("usr/share/man/man1/curl.1.gz", strings.Repeat("m", 300)))
	}
	if lists {
		e = append(e, synth.Dir("var/lib/apt/"), synth.Dir("var/lib/apt/lists/"),
			synth.File("var/lib/apt/lists/deb.debian.org_Packages", strings.Repeat("p", 5000)),
			synth.Dir("var/cache/apt/archives/"), synth.File("var/cache/apt/archives/curl.deb", strings.Repeat("d", 3000)))
	}
	if conf != "" {
		e = append(e, synth.File("etc/app.conf", conf))
	}
	return synth.Layer{CreatedBy: "RUN install", Entries: e}
}

// contentBytes sums the regular files' content the layers declare: an
// oracle for size_bytes that shares nothing with the accounting.
func contentBytes(img synth.Image) int64 {
	var n int64
	for _, l := range img.Layers {
		for _, e := range l.Entries {
			if e.Kind == synth.KindFile {
				n += int64(len(e.Content))
			}
		}
	}
	return n
}

func verifyWith(t *testing.T, eng *fakeEngine, opts Options) (*Result, error) {
	t.Helper()
	opts.Engine = eng
	if opts.Context == "" {
		opts.Context = t.TempDir()
	}
	return Verify(context.Background(), []byte("ORIGINAL\nRUN x\n"), []byte("FIXED\nRUN x && y\n"), opts)
}

func TestVerifyOnlyCachesVanish(t *testing.T) {
	orig := synth.Image{Layers: []synth.Layer{base, install("start 1\n", true, true, true, "")}}
	fixed := synth.Image{Layers: []synth.Layer{base, install("start 2\n", false, false, true, "")}}
	eng := &fakeEngine{images: map[string]synth.Image{"ORIGINAL": orig, "FIXED": fixed}}
	ctxDir := t.TempDir()
	res, err := verifyWith(t, eng, Options{Context: ctxDir, Name: "app.Dockerfile", Ignore: []byte("secret\n"),
		Network: "host", Target: "final", BuildArgs: []string{"A=1"}, Tag: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Harmless || len(res.Suspect) != 0 {
		t.Fatalf("harmless %v, suspect %+v", res.Harmless, res.Suspect)
	}
	want := contentBytes(orig) - contentBytes(fixed)
	if want != 5000+3000+300 {
		t.Fatalf("oracle: %d", want)
	}
	if res.Saved.SizeBytes != want || res.Saved.VisibleBytes != want {
		t.Errorf("saved %+v, want %d", res.Saved, want)
	}
	if res.Original.SizeBytes != contentBytes(orig) || res.Fixed.SizeBytes != contentBytes(fixed) {
		t.Errorf("sizes %d %d, want %d %d", res.Original.SizeBytes, res.Fixed.SizeBytes, contentBytes(orig), contentBytes(fixed))
	}
	if !res.Saved.CompressedKnown || res.Saved.CompressedBytes != res.Original.CompressedBytes-res.Fixed.CompressedBytes {
		t.Errorf("compressed %+v", res.Saved)
	}
	// apt's lists and archives are caches, the manual documentation,
	// apt's log a package-manager file.
	got := map[string]Category{}
	for _, c := range res.Expected {
		got[c.Kind+"/"+c.Name] = c
	}
	if c := got["cache/apt-archives"]; c.Removed != 1 || c.OldBytes != 3000 || c.NewBytes != 0 {
		t.Errorf("apt-archives %+v", c)
	}
	if c := got["cache/apt-lists"]; c.OldBytes != 5000 || c.Removed < 1 {
		t.Errorf("apt-lists %+v", c)
	}
	if c := got["documentation/man"]; c.OldBytes != 300 || c.Removed < 1 {
		t.Errorf("man %+v", c)
	}
	if c := got["package-manager/apt"]; c.Changed != 1 || c.OldBytes != 8 || c.NewBytes != 8 {
		t.Errorf("apt log %+v", c)
	}
	var sum int64
	for _, c := range res.Expected {
		sum += c.OldBytes - c.NewBytes
	}
	if sum != want {
		t.Errorf("categories' bytes %d, want %d", sum, want)
	}
	// Both builds: the copies outside the context, under the given name,
	// with the ignore file beside them, the flags passed alike.
	if len(eng.builds) != 2 {
		t.Fatalf("%d builds", len(eng.builds))
	}
	for i, b := range eng.builds {
		if filepath.Base(b.Dockerfile) != "app.Dockerfile" || strings.HasPrefix(b.Dockerfile, ctxDir) {
			t.Errorf("build %d: Dockerfile %s", i, b.Dockerfile)
		}
		if b.Context != ctxDir || b.Network != "host" || b.Target != "final" || len(b.BuildArgs) != 1 || b.BuildArgs[0] != "A=1" {
			t.Errorf("build %d: %+v", i, b)
		}
		if eng.ignores[i] != "secret\n" {
			t.Errorf("build %d: ignore file %q", i, eng.ignores[i])
		}
		if _, err := os.Stat(b.Dockerfile); !os.IsNotExist(err) {
			t.Errorf("build %d: temporary Dockerfile left: %v", i, err)
		}
	}
	if eng.builds[0].Tag != "t:original" || eng.builds[1].Tag != "t:fixed" {
		t.Errorf("tags %s %s", eng.builds[0].Tag, eng.builds[1].Tag)
	}
	if eng.files[0] != "ORIGINAL\nRUN x\n" || eng.files[1] != "FIXED\nRUN x && y\n" {
		t.Errorf("Dockerfiles built: %q", eng.files)
	}
	if strings.Join(eng.removed, ",") != "t:original,t:fixed" || eng.release != 2 {
		t.Errorf("removed %v, released %d", eng.removed, eng.release)
	}
	if entries, _ := os.ReadDir(ctxDir); len(entries) != 0 {
		t.Errorf("written into the context: %v", entries)
	}
}

func TestVerifyNeededFileVanishes(t *testing.T) {
	orig := synth.Image{Layers: []synth.Layer{base, install("a\n", true, true, true, "")}}
	fixed := synth.Image{Layers: []synth.Layer{base, install("b\n", false, true, false, "port=8080\n")}}
	eng := &fakeEngine{images: map[string]synth.Image{"ORIGINAL": orig, "FIXED": fixed}, uncompressed: true}
	res, err := verifyWith(t, eng, Options{KeepImages: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Harmless {
		t.Fatal("harmless, but /usr/bin/curl is gone")
	}
	want := []Path{
		{Path: "/usr/bin/curl", Change: diff.Removed, What: []string{}, Type: diff.TypeFile, OldBytes: 1234},
		{Path: "/etc/app.conf", Change: diff.Changed, What: []string{diff.WhatContent}, Type: diff.TypeFile, OldBytes: 8, NewBytes: 10},
	}
	if len(res.Suspect) != len(want) {
		t.Fatalf("suspect %+v", res.Suspect)
	}
	for i, w := range want {
		g := res.Suspect[i]
		if g.Path != w.Path || g.Change != w.Change || strings.Join(g.What, ",") != strings.Join(w.What, ",") ||
			g.Type != w.Type || g.OldBytes != w.OldBytes || g.NewBytes != w.NewBytes {
			t.Errorf("suspect %d: %+v, want %+v", i, g, w)
		}
	}
	if res.Saved.SizeBytes != contentBytes(orig)-contentBytes(fixed) {
		t.Errorf("saved %d, want %d", res.Saved.SizeBytes, contentBytes(orig)-contentBytes(fixed))
	}
	if res.Saved.CompressedKnown || res.Original.CompressedKnown || res.Fixed.CompressedKnown {
		t.Errorf("compressed known for plain tars: %+v", res)
	}
	if len(eng.removed) != 0 || !res.ImagesKept {
		t.Errorf("KeepImages: removed %v", eng.removed)
	}
}

func TestVerifyBuildFails(t *testing.T) {
	orig := synth.Image{Layers: []synth.Layer{base}}
	eng := &fakeEngine{images: map[string]synth.Image{"ORIGINAL": orig}, fail: map[string]error{"FIXED": errors.New("exit status 1")}}
	var progress bytes.Buffer
	_, err := verifyWith(t, eng, Options{Tag: "t", Progress: &progress})
	if err == nil || !strings.Contains(err.Error(), "building the fixed Dockerfile: exit status 1") {
		t.Fatalf("error %v", err)
	}
	// The original, built, is removed all the same.
	if strings.Join(eng.removed, ",") != "t:original" || eng.release != 1 {
		t.Errorf("removed %v, released %d", eng.removed, eng.release)
	}
	if !strings.Contains(progress.String(), "building the original Dockerfile with fake as t:original") {
		t.Errorf("progress: %q", progress.String())
	}
}

func TestVerifyInterruptedBuild(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	eng := &fakeEngine{images: map[string]synth.Image{}, fail: map[string]error{"ORIGINAL": context.Canceled}}
	cancel()
	_, err := Verify(ctx, []byte("ORIGINAL\n"), []byte("FIXED\n"), Options{Engine: eng, Context: t.TempDir(), Tag: "t"})
	if err == nil {
		t.Fatal("no error")
	}
	// The engine may still tag what it was building: it is removed.
	if strings.Join(eng.removed, ",") != "t:original" || len(eng.builds) != 1 {
		t.Errorf("removed %v after %d builds", eng.removed, len(eng.builds))
	}
}

func TestVerifyBadOptions(t *testing.T) {
	if _, err := Verify(context.Background(), nil, nil, Options{Context: "."}); err == nil {
		t.Error("no engine: no error")
	}
	eng := &fakeEngine{}
	if _, err := Verify(context.Background(), nil, nil, Options{Engine: eng, Context: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("missing context: no error")
	}
	if _, err := Verify(context.Background(), nil, nil, Options{Engine: eng, Context: t.TempDir(), Name: "../x"}); err == nil {
		t.Error("bad name: no error")
	}
	// A context that holds the temporary directory is refused: the
	// copies would be part of it.
	ctxDir := t.TempDir()
	t.Setenv("TMPDIR", filepath.Join(ctxDir, "tmp"))
	if err := os.Mkdir(filepath.Join(ctxDir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(context.Background(), nil, nil, Options{Engine: eng, Context: ctxDir})
	if err == nil || !strings.Contains(err.Error(), "inside the build context") {
		t.Errorf("temporary directory inside the context: %v", err)
	}
	if len(eng.builds) != 0 {
		t.Errorf("built %d", len(eng.builds))
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		path       string
		dir        bool
		kind, name string
	}{
		{"/var/lib/apt/lists/x_Packages", false, KindCache, "apt-lists"},
		{"/var/lib/apt/lists", true, KindCache, "apt-lists"},
		{"/var/lib/apt/lists/lock", false, KindPackageManager, "apt"},
		{"/var/cache/apt/archives/a.deb", false, KindCache, "apt-archives"},
		{"/var/cache/apt/archives/partial", true, KindPackageManager, "apt"},
		{"/var/cache/apt/pkgcache.bin", false, KindCache, "apt-archives"},
		{"/root/.cache/pip/http/x", false, KindCache, "pip-cache"},
		{"/tmp/build.log", false, KindCache, "tmp"},
		{"/usr/share/doc/curl/copyright", false, KindDocumentation, "doc"},
		{"/usr/share/man/man1/curl.1.gz", false, KindDocumentation, "man"},
		{"/usr/share/locale/de/LC_MESSAGES/x.mo", false, KindDocumentation, "locale"},
		{"/var/lib/dpkg/status", false, KindPackageManager, "dpkg"},
		{"/var/lib/dpkg/info/curl.list", false, KindPackageManager, "dpkg"},
		{"/var/log/dpkg.log", false, KindPackageManager, "dpkg"},
		{"/var/log/apt/history.log", false, KindPackageManager, "apt"},
		{"/var/cache/debconf/config.dat", false, KindPackageManager, "dpkg"},
		{"/lib/apk/db/installed", false, KindPackageManager, "apk"},
		{"/var/lib/rpm/rpmdb.sqlite", false, KindPackageManager, "rpm"},
		{"/var/cache/ldconfig/aux-cache", false, KindPackageManager, "ldconfig"},
		{"/usr/bin/curl", false, "", ""},
		{"/usr/share/ca-certificates/x.crt", false, "", ""},
		{"/etc/ssl/certs/ca-certificates.crt", false, "", ""},
		{"/var/log/nginx/access.log", false, "", ""},
		{"/var/lib", true, "", ""},
		{"/usr/share/docs/x", false, "", ""},
	} {
		k, n := Classify(tc.path, tc.dir)
		if k != tc.kind || n != tc.name {
			t.Errorf("Classify(%q, %v) = %q, %q; want %q, %q", tc.path, tc.dir, k, n, tc.kind, tc.name)
		}
	}
}

func TestFindEngineNone(t *testing.T) {
	old := lookPath
	t.Cleanup(func() { lookPath = old })
	lookPath = func(string) (string, error) { return "", errors.New("not found") }
	t.Setenv("DOCKER_HOST", "")
	_, err := FindEngine(context.Background(), "")
	var ne *NoEngineError
	if !errors.As(err, &ne) {
		t.Fatalf("error %v", err)
	}
	for _, want := range []string{"docker: no docker CLI on PATH", "buildah: not on PATH", "DOCKER_HOST=unix://", "--engine"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := FindEngine(context.Background(), "podman"); err == nil || !strings.Contains(err.Error(), "unknown engine") {
		t.Errorf("unknown engine: %v", err)
	}
	_, err = FindEngine(context.Background(), "buildah")
	if !errors.As(err, &ne) || len(ne.Tried) != 1 || !strings.Contains(ne.Tried[0], "buildah") {
		t.Errorf("buildah only: %v", err)
	}
}

package fleet

import (
	"context"
	"reflect"
	"testing"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/layercache"
)

func dpkgStanza(name, version string) string {
	return "Package: " + name + "\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + version + "\n\n"
}

func sized(p string, n int64, seed uint64) synth.Entry {
	return synth.File(p, string(synth.Pattern(n, seed)))
}

// Packages across a fleet, known by construction: libc6 from one shared
// base layer (stored once), curl installed by two different layers (two
// copies, two versions), one of which a third image shares, and an image
// with no package database.
func TestPackagesByConstruction(t *testing.T) {
	pkgBase := synth.Layer{CreatedBy: "ADD rootfs.tar /", Entries: []synth.Entry{
		sized("usr/lib/libc.so.6", 1000, 1),
		synth.File("var/lib/dpkg/status", dpkgStanza("libc6", "2.36-9")),
		synth.File("var/lib/dpkg/info/libc6:amd64.list", "/.\n/usr\n/usr/lib\n/usr/lib/libc.so.6\n"),
	}}
	curlList := "/usr/bin/curl\n/usr/share/doc/curl/copyright\n"
	curlA := synth.Layer{CreatedBy: "RUN apt-get install -y curl", Entries: []synth.Entry{
		sized("usr/bin/curl", 500, 2), sized("usr/share/doc/curl/copyright", 20, 3),
		synth.File("var/lib/dpkg/status", dpkgStanza("libc6", "2.36-9")+dpkgStanza("curl", "7.88.1-10")),
		synth.File("var/lib/dpkg/info/curl:amd64.list", curlList),
	}}
	curlB := synth.Layer{CreatedBy: "RUN apt-get install -y curl", Entries: []synth.Entry{
		sized("usr/bin/curl", 600, 4), sized("usr/share/doc/curl/copyright", 20, 3),
		synth.File("var/lib/dpkg/status", dpkgStanza("libc6", "2.36-9")+dpkgStanza("curl", "7.88.1-10+deb12u5")),
		synth.File("var/lib/dpkg/info/curl:amd64.list", curlList),
	}}
	app := synth.Layer{CreatedBy: "COPY app /app", Entries: []synth.Entry{sized("app/server", 300, 5)}}
	images := []Image{
		image(t, "a", pkgBase, curlA),
		image(t, "b", pkgBase, curlB),
		image(t, "c", pkgBase, curlA, app),
		image(t, "d", slim),
	}
	rep, err := Analyze(context.Background(), images, WithJobs(2), WithPackages(true))
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Packages
	if p == nil {
		t.Fatal("no packages with WithPackages")
	}
	want := []FleetPackage{
		{Manager: "dpkg", Name: "curl", Architecture: "amd64", Versions: []string{"7.88.1-10", "7.88.1-10+deb12u5"},
			Images: []string{"a", "b", "c"}, BytesEachAlone: 520 + 620 + 520, Layers: 2, StoredBytes: 520 + 620, FilesKnown: true},
		{Manager: "dpkg", Name: "libc6", Architecture: "amd64", Versions: []string{"2.36-9"},
			Images: []string{"a", "b", "c"}, BytesEachAlone: 3000, Layers: 1, StoredBytes: 1000, FilesKnown: true},
	}
	if !reflect.DeepEqual(p.Installed, want) {
		t.Errorf("installed %+v\nwant %+v", p.Installed, want)
	}
	if p.BytesEachAlone != 4660 || p.StoredBytes != 2140 || !p.Complete {
		t.Errorf("each alone %d stored %d complete %v, want 4660 2140 true", p.BytesEachAlone, p.StoredBytes, p.Complete)
	}
	// Each image: its packages' bytes, and the rest of its visible bytes
	// (the database files, the application, slim's file).
	statusA := int64(len(dpkgStanza("libc6", "2.36-9") + dpkgStanza("curl", "7.88.1-10")))
	statusB := int64(len(dpkgStanza("libc6", "2.36-9") + dpkgStanza("curl", "7.88.1-10+deb12u5")))
	libcList := int64(len("/.\n/usr\n/usr/lib\n/usr/lib/libc.so.6\n"))
	wantImages := []ImagePackages{
		{Reference: "a", Packages: 2, Bytes: 1520, Files: 3, NoPackageBytes: statusA + libcList + int64(len(curlList)), Complete: true, NotRead: []string{}},
		{Reference: "b", Packages: 2, Bytes: 1620, Files: 3, NoPackageBytes: statusB + libcList + int64(len(curlList)), Complete: true, NotRead: []string{}},
		{Reference: "c", Packages: 2, Bytes: 1520, Files: 3, NoPackageBytes: statusA + libcList + int64(len(curlList)) + 300, Complete: true, NotRead: []string{}},
		{Reference: "d", Packages: 0, Bytes: 0, Files: 0, NoPackageBytes: 50, Complete: true, NotRead: []string{}},
	}
	if !reflect.DeepEqual(p.Images, wantImages) {
		t.Errorf("images %+v\nwant %+v", p.Images, wantImages)
	}

	// Without WithPackages, no packages; the other figures are the same.
	plain, err := Analyze(context.Background(), images, WithJobs(2))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Packages != nil {
		t.Errorf("packages without WithPackages: %+v", plain.Packages)
	}
	rep.Packages = nil
	if !reflect.DeepEqual(plain, rep) {
		t.Error("the fleet figures differ with WithPackages")
	}
}

// An rpm database is said not read; a cache makes no difference; an
// image given twice is counted once.
func TestPackagesNotReadAndCached(t *testing.T) {
	rpm := synth.Layer{CreatedBy: "FROM ubi9", Entries: []synth.Entry{
		sized("usr/lib/sysimage/rpm/rpmdb.sqlite", 64, 6), sized("usr/bin/bash", 90, 7),
	}}
	images := []Image{image(t, "r", rpm), image(t, "r2", rpm)}
	dir := t.TempDir()
	var first *Report
	for run := 0; run < 3; run++ {
		opts := []Option{WithPackages(true)}
		if run > 0 {
			c, err := layercache.Open(dir, layercache.Options{})
			if err != nil {
				t.Fatal(err)
			}
			opts = append(opts, WithLayerCache(c))
		}
		rep, err := Analyze(context.Background(), images, opts...)
		if err != nil {
			t.Fatal(err)
		}
		p := rep.Packages
		if len(p.Images) != 1 || p.Complete || p.Images[0].Complete ||
			!reflect.DeepEqual(p.Images[0].NotRead, []string{"/usr/lib/sysimage/rpm/rpmdb.sqlite (not-supported)"}) ||
			p.Images[0].NoPackageBytes != 154 || len(p.Installed) != 0 {
			t.Errorf("run %d: packages %+v", run, p)
		}
		if first == nil {
			first = rep
		} else if !reflect.DeepEqual(first, rep) {
			t.Errorf("run %d: the report differs with the cache", run)
		}
	}
}

package appimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestCommittedArchiveIsReproduced proves that examples/app.tar is exactly
// what the generator makes, so that the committed file can be trusted and
// regenerated.
func TestCommittedArchiveIsReproduced(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		var got bytes.Buffer
		if err := Build(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("run %d: generated archive (sha256 %x, %d bytes) differs from examples/app.tar (sha256 %x, %d bytes); run `go run ./examples/gen`",
				run, sha256.Sum256(got.Bytes()), got.Len(), sha256.Sum256(want), len(want))
		}
	}
	if n := len(want); n < 100<<10 || n > 300<<10 {
		t.Errorf("examples/app.tar is %d bytes, want 100-300 KiB", n)
	}
}

// TestArchiveIsValidImage reads the committed archive back with
// go-containerregistry and validates every digest, diff_id and size.
func TestArchiveIsValidImage(t *testing.T) {
	img, err := tarball.ImageFromPath(filepath.Join("..", "app.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var withLayer, empty int
	for _, h := range cfg.History {
		if h.EmptyLayer {
			empty++
		} else {
			withLayer++
		}
	}
	if withLayer != len(layers) || empty == 0 {
		t.Errorf("history has %d layer entries and %d empty ones for %d layers", withLayer, empty, len(layers))
	}
	if len(layers) != 7 {
		t.Errorf("layers = %d, want 7", len(layers))
	}
}

// TestDpkgDatabaseIsComplete checks that the image's dpkg database is whole
// and tells the truth about the image: the final status names exactly the
// declared packages, each has its file list in the layer that installs it
// (with the status of that layer naming it), every path a list names is in
// the final filesystem, and the regular files no package lists are exactly
// those no package would own (the application, the tool, the caches, the
// databases, files a package's scripts or the administrator write).
func TestDpkgDatabaseIsComplete(t *testing.T) {
	layers := Layers()
	final := map[string]Entry{} // path without trailing "/" -> entry
	layerOf := map[string]int{} // path -> layer of its topmost version
	for i, l := range layers {
		for _, e := range l.Entries {
			p := strings.TrimSuffix(e.Path, "/")
			if d, b := path.Split(p); strings.HasPrefix(b, ".wh.") {
				delete(final, d+strings.TrimPrefix(b, ".wh."))
				continue
			}
			final[p] = e
			layerOf[p] = i
		}
	}
	statusNames := func(data []byte) []string {
		var names []string
		for _, line := range strings.Split(string(data), "\n") {
			if n, ok := strings.CutPrefix(line, "Package: "); ok {
				names = append(names, n)
			}
		}
		return names
	}
	pkgs := Packages()
	var want []string
	listed := map[string]bool{}
	for _, p := range pkgs {
		want = append(want, p.Name)
		lst, ok := final[p.ListPath]
		if !ok {
			t.Errorf("%s: no file list %s", p.Name, p.ListPath)
			continue
		}
		if layerOf[p.ListPath] != p.Layer {
			t.Errorf("%s: file list in layer %d, installed by layer %d", p.Name, layerOf[p.ListPath], p.Layer)
		}
		var inLayerStatus bool
		for _, e := range layers[p.Layer].Entries {
			if e.Path == "var/lib/dpkg/status" {
				inLayerStatus = slices.Contains(statusNames(e.Data), p.Name)
			}
		}
		if !inLayerStatus {
			t.Errorf("%s: the status layer %d writes does not name it", p.Name, p.Layer)
		}
		lines := strings.Split(strings.TrimSuffix(string(lst.Data), "\n"), "\n")
		if len(lines) == 0 || lines[0] != "/." {
			t.Errorf("%s: list does not start with /.", p.Name)
		}
		for _, l := range lines[1:] {
			if _, ok := final[strings.TrimPrefix(l, "/")]; !ok {
				t.Errorf("%s: list names %s, not in the image", p.Name, l)
			}
			listed[strings.TrimPrefix(l, "/")] = true
		}
		for _, f := range p.Paths {
			if !listed[f] {
				t.Errorf("%s: list does not name its file %s", p.Name, f)
			}
		}
	}
	if got := statusNames(final["var/lib/dpkg/status"].Data); !slices.Equal(got, want) {
		t.Errorf("final status names %v, want %v", got, want)
	}
	var unlisted []string
	for p, e := range final {
		if e.Type == tar.TypeReg && !listed[p] {
			unlisted = append(unlisted, p)
		}
	}
	sort.Strings(unlisted)
	wantUnlisted := []string{
		"app/bin/app", "app/config.yaml",
		"etc/apt/sources.list", "etc/group", "etc/passwd", "etc/ssl/certs/ca-certificates.crt",
		"opt/tool/bin/tool", "opt/tool/share/README",
		"tmp/tool-install.log",
		"usr/local/bin/tool",
		"var/lib/apt/extended_states",
		"var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
		"var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
		"var/lib/apt/lists/lock",
	}
	for _, p := range pkgs {
		wantUnlisted = append(wantUnlisted, p.ListPath)
	}
	wantUnlisted = append(wantUnlisted, "var/lib/dpkg/status")
	sort.Strings(wantUnlisted)
	if !slices.Equal(unlisted, wantUnlisted) {
		t.Errorf("files of no package:\n got %q\nwant %q", unlisted, wantUnlisted)
	}
	// The bundle update-ca-certificates makes is the certificates
	// ca-certificates ships, one after the other.
	var certs []byte
	for _, f := range mozillaPaths() {
		certs = append(certs, final[f].Data...)
	}
	bundle := final["etc/ssl/certs/ca-certificates.crt"].Data
	if got := regexp.MustCompile(`(?m)^# Certificate \d+\n`).ReplaceAll(bundle, nil); !bytes.Equal(got, certs) {
		t.Error("the certificate bundle is not the certificates of ca-certificates")
	}
}

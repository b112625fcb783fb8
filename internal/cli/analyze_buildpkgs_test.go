package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle/whittle/internal/synth"
)

// analyze --dockerfile measures WH107 through the package attribution:
// build-essential (no file) and gcc, installed automatically for it
// (3000 bytes), count; curl, installed by name, does not. With
// --packages=false it is not measured.
func TestAnalyzeDockerfileBuildPackages(t *testing.T) {
	file := func(p string, n int64) synth.Entry {
		return synth.Entry{Kind: synth.KindFile, Path: p, Size: n, Seed: uint64(n)}
	}
	status := "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36\n\n"
	status1 := status +
		"Package: build-essential\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.9\nDepends: gcc, make\n\n" +
		"Package: gcc\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.2\nDepends: libc6\n\n" +
		"Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88\n\n"
	img, err := synth.Build(synth.Image{Layers: []synth.Layer{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:1a2b in / ", Entries: []synth.Entry{
			file("usr/lib/libc.so.6", 2000), synth.File("var/lib/dpkg/status", status),
			synth.File("var/lib/dpkg/info/libc6:amd64.list", "/.\n/usr/lib/libc.so.6\n"),
		}},
		{CreatedBy: "RUN /bin/sh -c apt-get update && apt-get install -y build-essential curl # buildkit", Entries: []synth.Entry{
			file("usr/bin/gcc", 3000), file("usr/bin/curl", 400), synth.File("var/lib/dpkg/status", status1),
			synth.File("var/lib/dpkg/info/build-essential:amd64.list", "/.\n"),
			synth.File("var/lib/dpkg/info/gcc:amd64.list", "/.\n/usr/bin/gcc\n"),
			synth.File("var/lib/dpkg/info/curl:amd64.list", "/.\n/usr/bin/curl\n"),
			synth.File("var/lib/apt/extended_states", "Package: gcc\nArchitecture: amd64\nAuto-Installed: 1\n\n"),
		}},
		{CreatedBy: "RUN /bin/sh -c make -C /src install # buildkit", Entries: []synth.Entry{file("usr/local/bin/tool", 100)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("example.com/build:1")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tarball.Write(tag, img, &buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tarPath, dfPath := filepath.Join(dir, "build.tar"), filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(tarPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	df := "FROM debian:12\nRUN apt-get update && apt-get install -y build-essential curl\nRUN make -C /src install\n"
	if err := os.WriteFile(dfPath, []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	type finding struct {
		Rule         string   `json:"rule"`
		Packages     []string `json:"packages"`
		Measured     bool     `json:"measured"`
		CostBytes    int64    `json:"cost_bytes"`
		CostPackages []struct {
			Name       string `json:"name"`
			Bytes      int64  `json:"bytes"`
			Dependency bool   `json:"dependency"`
		} `json:"cost_packages"`
	}
	wh107 := func(args ...string) finding {
		t.Helper()
		code, out, errs := runCLI(t, "", append([]string{"analyze", "--format", "json", "--dockerfile", dfPath, tarPath}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var doc struct {
			Dockerfile struct {
				Findings []finding `json:"findings"`
			} `json:"dockerfile"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		for _, f := range doc.Dockerfile.Findings {
			if f.Rule == "WH107" {
				return f
			}
		}
		t.Fatalf("no WH107 in %s", out)
		return finding{}
	}
	f := wh107()
	if !f.Measured || f.CostBytes != 3000 || len(f.Packages) != 1 || f.Packages[0] != "build-essential" ||
		len(f.CostPackages) != 2 || f.CostPackages[0].Name != "build-essential" || f.CostPackages[0].Dependency ||
		f.CostPackages[1].Name != "gcc" || f.CostPackages[1].Bytes != 3000 || !f.CostPackages[1].Dependency {
		t.Errorf("WH107: %+v", f)
	}
	if f := wh107("--packages=false"); f.Measured || f.CostBytes != 0 || len(f.CostPackages) != 0 {
		t.Errorf("WH107 with --packages=false: %+v", f)
	}
}

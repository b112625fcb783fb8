package measure

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/rules"
)

const dockerfileSrc = `FROM debian:12
RUN apt-get update && apt-get install -y --no-install-recommends curl
WORKDIR /app
COPY app /app
RUN chown -R nobody /app
ENV TOOL=1
RUN curl -fsSLo /tmp/t.tgz https://example.com/t.tgz
RUN tar -xzf /tmp/t.tgz -C /opt && rm /tmp/t.tgz
`

// builtImage is the image the Dockerfile above would make, with known
// bytes: a 5,000-byte base, 3,000 bytes of apt lists (and their lock), a
// 4,096-byte copied file that the chown writes again, and a 1,000-byte
// download under /tmp that the next RUN extracts and deletes.
func builtImage(t *testing.T, buildkit bool) *account.Report {
	t.Helper()
	by := func(s string) string {
		if buildkit {
			return s + " # buildkit"
		}
		switch {
		case strings.HasPrefix(s, "RUN /bin/sh -c "):
			return strings.TrimPrefix(s, "RUN ")
		case strings.HasPrefix(s, "COPY "), strings.HasPrefix(s, "WORKDIR "):
			return "/bin/sh -c #(nop) " + s
		}
		return s
	}
	layers := []synth.Layer{
		{Entries: []synth.Entry{synth.File("etc/os-release", string(synth.Pattern(5000, 1)))}},
		{Entries: []synth.Entry{synth.File("var/lib/apt/lists/deb_Packages", string(synth.Pattern(3000, 2))), synth.File("var/lib/apt/lists/lock", ""), synth.File("usr/bin/curl", string(synth.Pattern(200, 3)))}},
		{Entries: []synth.Entry{synth.Dir("app")}},
		{Entries: []synth.Entry{synth.File("app/big", string(synth.Pattern(4096, 4)))}},
		{Entries: []synth.Entry{synth.File("app/big", string(synth.Pattern(4096, 4)))}},
		{Entries: []synth.Entry{synth.File("tmp/t.tgz", string(synth.Pattern(1000, 5)))}},
		{Entries: []synth.Entry{synth.File("opt/x", string(synth.Pattern(500, 6))), synth.Whiteout("tmp/t.tgz")}},
	}
	hist := []v1.History{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:0123 in / "},
		{CreatedBy: `/bin/sh -c #(nop)  CMD ["bash"]`, EmptyLayer: true},
		{CreatedBy: by("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl")},
		{CreatedBy: by("WORKDIR /app")},
		{CreatedBy: by("COPY app /app")},
		{CreatedBy: by("RUN /bin/sh -c chown -R nobody /app")},
		{CreatedBy: by("ENV TOOL=1"), EmptyLayer: true},
		{CreatedBy: by("RUN /bin/sh -c curl -fsSLo /tmp/t.tgz https://example.com/t.tgz")},
		{CreatedBy: by("RUN /bin/sh -c tar -xzf /tmp/t.tgz -C /opt && rm /tmp/t.tgz")},
	}
	img, err := synth.Build(synth.Image{Layers: layers, History: hist})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := account.Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func lint(t *testing.T, src string) (*dockerfile.File, []rules.Finding) {
	t.Helper()
	f, err := dockerfile.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := rules.Lint(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return f, fs
}

func TestMeasure(t *testing.T) {
	for _, buildkit := range []bool{true, false} {
		rep := builtImage(t, buildkit)
		f, fs := lint(t, dockerfileSrc)
		res, err := Measure(f, fs, rep)
		if err != nil {
			t.Fatal(err)
		}
		if res.BaseLayers != 1 {
			t.Errorf("base layers %d, want 1", res.BaseLayers)
		}
		var pairs [][2]int
		for _, in := range res.Instructions {
			pairs = append(pairs, [2]int{in.Line, in.Layer})
		}
		if want := [][2]int{{2, 1}, {3, 2}, {4, 3}, {5, 4}, {7, 5}, {8, 6}}; !reflect.DeepEqual(pairs, want) {
			t.Errorf("instructions → layers %v, want %v", pairs, want)
		}
		costs := map[string]int64{}
		for _, m := range res.Findings {
			if m.Measured {
				costs[m.Rule] = m.CostBytes
			}
		}
		want := map[string]int64{
			"WH701": 5000, // the base image
			"WH201": 3000, // the apt lists the update left (not the empty lock)
			"WH102": 4096, // the copied file the chown writes again
			"WH103": 1000, // the download the next RUN deletes
			"WH601": 1000, // the same download, a /tmp file left by its RUN
		}
		if !reflect.DeepEqual(costs, want) {
			t.Errorf("buildkit %v: measured costs %v, want %v", buildkit, costs, want)
		}
		// The /tmp download is counted once in the total, and both
		// findings that measure it say so.
		for _, m := range res.Findings {
			want := int64(0)
			if m.Rule == "WH103" || m.Rule == "WH601" {
				want = 1000
			}
			if m.SharedBytes != want {
				t.Errorf("%s: shared %d, want %d", m.Rule, m.SharedBytes, want)
			}
		}
		if res.MeasuredBytes != 5000+3000+4096+1000 {
			t.Errorf("measured total %d, want %d", res.MeasuredBytes, 5000+3000+4096+1000)
		}
		// Largest first, unmeasured last.
		for i := 1; i < len(res.Findings); i++ {
			a, b := res.Findings[i-1], res.Findings[i]
			if (!a.Measured && b.Measured) || (a.Measured && b.Measured && a.CostBytes < b.CostBytes) {
				t.Errorf("findings out of order at %d: %s %d before %s %d", i, a.Rule, a.CostBytes, b.Rule, b.CostBytes)
			}
		}
		for _, m := range res.Findings {
			if m.Basis == "" {
				t.Errorf("%s at line %d has no basis", m.Rule, m.Line)
			}
		}
	}
}

func TestMeasureMismatch(t *testing.T) {
	rep := builtImage(t, true)
	var mismatch *MismatchError
	// A COPY where the image has a RUN.
	f, fs := lint(t, strings.Replace(dockerfileSrc, "RUN tar -xzf", "COPY t.tgz /opt/\n#", 1))
	if _, err := Measure(f, fs, rep); !errors.As(err, &mismatch) || mismatch.Line != 8 || mismatch.Layer != 6 {
		t.Errorf("COPY for a RUN: %v", err)
	}
	// More layer-making instructions than layers.
	many := dockerfileSrc + strings.Repeat("RUN true\n", 8)
	rep2 := builtImage(t, true)
	rep2.Layers = rep2.Layers[:2]
	for i := range rep2.Layers {
		rep2.Layers[i].CreatedBy = "" // no history: kinds are not checked
	}
	f, fs = lint(t, many)
	if _, err := Measure(f, fs, rep2); !errors.As(err, &mismatch) || mismatch.Layer != -1 {
		t.Errorf("too few layers: %v", err)
	}
}

// A finding in a stage that does not reach the image costs nothing there,
// and a multi-stage build pairs only the target's chain of stages.
func TestMeasureStages(t *testing.T) {
	rep := builtImage(t, true)
	src := "FROM golang:1.22 AS build\nRUN apt-get update && apt-get install -y --no-install-recommends git\n" +
		strings.Replace(dockerfileSrc, "FROM debian:12", "FROM debian:12 AS final", 1)
	f, fs := lint(t, src)
	res, err := Measure(f, fs, rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Findings {
		if m.Stage == "build" && (m.Measured || m.Layer != -1 || m.Basis != "its stage does not reach the image") {
			t.Errorf("build-stage finding %+v", m)
		}
	}
	if res.Stage != "final" || len(res.Instructions) != 6 {
		t.Errorf("stage %q, %d instructions", res.Stage, len(res.Instructions))
	}
}

func TestKindOf(t *testing.T) {
	for in, want := range map[string]string{
		"": "",
		"RUN /bin/sh -c apt-get update # buildkit": "RUN",
		"/bin/sh -c apt-get update":                "RUN",
		"|2 A=1 B=2 /bin/sh -c make":               "RUN",
		"/bin/sh -c #(nop) COPY file:abc in /":     "COPY",
		"/bin/sh -c #(nop)  ADD file:abc in /":     "ADD",
		"/bin/sh -c #(nop) WORKDIR /app":           "WORKDIR",
		"COPY . /src # buildkit":                   "COPY",
		"ADD https://x/y /y # buildkit":            "ADD",
		"WORKDIR /app":                             "WORKDIR",
		`/bin/sh -c #(nop)  CMD ["bash"]`:          "CMD",
	} {
		if got := kindOf(in); got != want {
			t.Errorf("kindOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzMeasure: any Dockerfile against an image of any shape gives a result
// or an error, never a panic, and a measured total no larger than the sum
// of the measured costs.
func FuzzMeasure(f *testing.F) {
	f.Add([]byte(dockerfileSrc), uint8(7), "RUN /bin/sh -c x")
	f.Add([]byte("FROM a AS b\nRUN x\nFROM b\nCOPY --from=b / /\nWORKDIR /w\n"), uint8(2), "WORKDIR /w")
	f.Add([]byte("FROM scratch\nADD x /\n"), uint8(0), "")
	f.Fuzz(func(t *testing.T, src []byte, nLayers uint8, createdBy string) {
		df, err := dockerfile.Parse("Dockerfile", src)
		if err != nil {
			return
		}
		fs, err := rules.Lint(context.Background(), df)
		if err != nil {
			return
		}
		rep := &account.Report{}
		for i := range int(nLayers % 12) {
			by := createdBy
			if i%2 == 1 {
				by = ""
			}
			rep.Layers = append(rep.Layers, account.Layer{Index: i, CreatedBy: by, SizeBytes: int64(i) * 10})
			rep.Waste = append(rep.Waste, account.WasteItem{Path: "/tmp/x", Layer: i, Bytes: 3, ShadowedBy: i + 1})
		}
		rep.Caches = []account.Cache{{Category: "tmp", Layers: []account.LayerBytes{{Layer: 0, Bytes: 5}}}}
		res, err := Measure(df, fs, rep)
		if err != nil {
			return
		}
		var sum int64
		for _, m := range res.Findings {
			sum += m.CostBytes
			if m.Layer >= len(rep.Layers) || m.SharedBytes > m.CostBytes {
				t.Errorf("finding %+v", m)
			}
		}
		if res.MeasuredBytes > sum || res.BaseLayers < 0 || res.BaseLayers > len(rep.Layers) {
			t.Errorf("measured %d of %d, base %d of %d layers", res.MeasuredBytes, sum, res.BaseLayers, len(rep.Layers))
		}
	})
}

// Findings about files they name cost those files' bytes in their layer:
// an archive left next to what it held (WH602, also a /tmp file left:
// WH601, so the two share it), a copied archive (WH105), lastlog and
// faillog (WH605).
func TestMeasurePaths(t *testing.T) {
	src := `FROM debian:12
RUN curl -fsSLo /tmp/a.tgz https://example.com/a.tgz && tar -xzf /tmp/a.tgz -C /opt > /tmp/install.log
WORKDIR /src
COPY app.tgz .
RUN tar -xzf app.tgz && make
RUN useradd -u 12345678 app
`
	layers := []synth.Layer{
		{Entries: []synth.Entry{synth.File("etc/os-release", string(synth.Pattern(5000, 1)))}, CreatedBy: "ADD rootfs /"},
		{Entries: []synth.Entry{synth.File("tmp/a.tgz", string(synth.Pattern(1000, 2))), synth.File("opt/x", string(synth.Pattern(300, 3))), synth.File("tmp/install.log", string(synth.Pattern(200, 8)))}, CreatedBy: "RUN /bin/sh -c curl -fsSLo /tmp/a.tgz https://example.com/a.tgz && tar -xzf /tmp/a.tgz -C /opt > /tmp/install.log # buildkit"},
		{Entries: []synth.Entry{synth.Dir("src")}, CreatedBy: "WORKDIR /src"},
		{Entries: []synth.Entry{synth.File("src/app.tgz", string(synth.Pattern(700, 4)))}, CreatedBy: "COPY app.tgz . # buildkit"},
		{Entries: []synth.Entry{synth.File("src/app", string(synth.Pattern(900, 5)))}, CreatedBy: "RUN /bin/sh -c tar -xzf app.tgz && make # buildkit"},
		{Entries: []synth.Entry{synth.File("var/log/lastlog", string(synth.Pattern(5000, 6))), synth.File("var/log/faillog", string(synth.Pattern(300, 7))), synth.File("etc/passwd", "app:x")}, CreatedBy: "RUN /bin/sh -c useradd -u 12345678 app # buildkit"},
	}
	img, err := synth.Build(synth.Image{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	f, fs := lint(t, src)
	watch := WatchPaths(fs)
	if want := []string{"/src/app.tgz", "/tmp/a.tgz", "/var/log/faillog", "/var/log/lastlog"}; !reflect.DeepEqual(watch, want) {
		t.Fatalf("watch %q, want %q", watch, want)
	}
	rep, err := account.Analyze(context.Background(), img, account.WithWatch(watch))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Measure(f, fs, rep)
	if err != nil {
		t.Fatal(err)
	}
	type got struct{ cost, shared int64 }
	costs := map[string]got{}
	for _, m := range res.Findings {
		if m.Measured {
			costs[m.Rule] = got{m.CostBytes, m.SharedBytes}
		}
	}
	want := map[string]got{
		"WH701": {5000, 0},
		"WH602": {1000, 1000}, // the archive, also in /tmp, which WH601 measures
		"WH601": {1200, 1000}, // the archive and the log
		"WH105": {700, 0},
		"WH605": {5300, 0},
	}
	if !reflect.DeepEqual(costs, want) {
		t.Errorf("costs %+v, want %+v", costs, want)
	}
	if res.MeasuredBytes != 5000+1200+700+5300 {
		t.Errorf("measured total %d, want %d", res.MeasuredBytes, 5000+1200+700+5300)
	}
	// Without the watched files, the same findings say what is missing.
	rep, _ = account.Analyze(context.Background(), img)
	res, err = Measure(f, fs, rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Findings {
		if measureKind(m.Rule) == rules.MeasurePaths && (m.Measured || !strings.Contains(m.Basis, "not watched")) {
			t.Errorf("%s without watched files: %+v", m.Rule, m)
		}
	}
}

// gem's documentation and cargo's registry: directories, one of them under
// a version the Dockerfile does not know (var/lib/gems/*/doc).
func TestMeasureGlobPaths(t *testing.T) {
	src := "FROM debian:12\nRUN gem install rails\nRUN cargo build --release\n"
	layers := []synth.Layer{
		{Entries: []synth.Entry{synth.File("etc/os-release", "x")}, CreatedBy: "ADD rootfs /"},
		{Entries: []synth.Entry{synth.File("var/lib/gems/3.1.0/doc/rails/ri/cache.ri", string(synth.Pattern(800, 1))), synth.File("var/lib/gems/3.1.0/gems/rails/lib.rb", string(synth.Pattern(500, 2)))}, CreatedBy: "RUN /bin/sh -c gem install rails # buildkit"},
		{Entries: []synth.Entry{synth.File("root/.cargo/registry/cache/x.crate", string(synth.Pattern(600, 3))), synth.File("root/.cargo/git/db/y", string(synth.Pattern(100, 4))), synth.File("target/release/app", string(synth.Pattern(1000, 5)))}, CreatedBy: "RUN /bin/sh -c cargo build --release # buildkit"},
	}
	img, err := synth.Build(synth.Image{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	f, fs := lint(t, src)
	rep, err := account.Analyze(context.Background(), img, account.WithWatch(WatchPaths(fs)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Measure(f, fs, rep)
	if err != nil {
		t.Fatal(err)
	}
	costs := map[string]int64{}
	for _, m := range res.Findings {
		if m.Measured {
			costs[m.Rule] = m.CostBytes
		}
	}
	if costs["WH504"] != 800 || costs["WH506"] != 700 {
		t.Errorf("costs %v, want WH504 800 and WH506 700", costs)
	}
}

// A clone's .git directory (WH607) costs the bytes under it that the
// clone's layer ships, the checkout's own files not counted.
func TestMeasureCloneHistory(t *testing.T) {
	src := "FROM debian:12\nRUN git clone https://example.com/app.git /app\nRUN rm -rf /app/.git/objects/pack/old.pack\n"
	layers := []synth.Layer{
		{Entries: []synth.Entry{synth.File("etc/os-release", "x")}, CreatedBy: "ADD rootfs /"},
		{Entries: []synth.Entry{synth.File("app/.git/objects/pack/p.pack", string(synth.Pattern(3000, 1))), synth.File("app/.git/objects/pack/old.pack", string(synth.Pattern(400, 2))), synth.File("app/.git/HEAD", "ref: refs/heads/main\n"), synth.File("app/index.js", string(synth.Pattern(200, 3))), synth.File("app/.gitignore", string(synth.Pattern(50, 4)))}, CreatedBy: "RUN /bin/sh -c git clone https://example.com/app.git /app # buildkit"},
		{Entries: []synth.Entry{synth.Whiteout("app/.git/objects/pack/old.pack")}, CreatedBy: "RUN /bin/sh -c rm -rf /app/.git/objects/pack/old.pack # buildkit"},
	}
	img, err := synth.Build(synth.Image{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	f, fs := lint(t, src)
	rep, err := account.Analyze(context.Background(), img, account.WithWatch(WatchPaths(fs)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Measure(f, fs, rep)
	if err != nil {
		t.Fatal(err)
	}
	var got int64 = -1
	for _, m := range res.Findings {
		if m.Rule == "WH607" && m.Measured {
			got = m.CostBytes
		}
	}
	if want := int64(3000 + 400 + len("ref: refs/heads/main\n")); got != want {
		t.Errorf("WH607 cost %d, want %d (findings %+v)", got, want, res.Findings)
	}
}

// Caches that are not where their category looks: moved by an option or a
// variable (pip --cache-dir, PIP_CACHE_DIR, npm --cache, yarn
// --cache-folder, GOCACHE), or kept by the tool elsewhere (microdnf's
// /var/cache/yum, where WH403's category is dnf's /var/cache/dnf). Each
// costs the bytes the image holds there, its layer's only, hidden later or
// not; a cache in its usual place is still measured by its category.
func TestMeasureMovedCaches(t *testing.T) {
	src := `FROM registry.access.redhat.com/ubi9/ubi-minimal
RUN microdnf install -y python3
ENV PIP_CACHE_DIR=/var/pipcache
RUN pip install flask
RUN pip install --cache-dir=/x requests && npm install --cache /npmc left-pad
RUN yarn install --cache-folder /yc && rm -rf /x/wheels
RUN GOCACHE=/gocache go build ./... && pip install --no-cache-dir --cache-dir /root/.cache/pip six
RUN rm -rf /var/pipcache
`
	run := func(s string) string { return "RUN /bin/sh -c " + s + " # buildkit" }
	layers := []synth.Layer{
		{Entries: []synth.Entry{synth.File("etc/os-release", string(synth.Pattern(100, 1))), synth.File("var/cache/dnf/base", string(synth.Pattern(50, 2)))}, CreatedBy: "ADD rootfs /"},
		{Entries: []synth.Entry{synth.File("var/cache/yum/metadata/repomd.xml", string(synth.Pattern(2000, 3))), synth.File("usr/bin/python3", string(synth.Pattern(300, 4)))}, CreatedBy: run("microdnf install -y python3")},
		{Entries: []synth.Entry{synth.File("var/pipcache/http/a", string(synth.Pattern(1100, 5))), synth.File("usr/lib/flask.py", string(synth.Pattern(10, 6)))}, CreatedBy: run("pip install flask")},
		{Entries: []synth.Entry{synth.File("x/http/b", string(synth.Pattern(1200, 7))), synth.File("x/wheels/c.whl", string(synth.Pattern(130, 8))), synth.File("npmc/_cacache/d", string(synth.Pattern(1400, 9))), synth.File("root/.npm/_logs/e.log", string(synth.Pattern(15, 10)))}, CreatedBy: run("pip install --cache-dir=/x requests && npm install --cache /npmc left-pad")},
		{Entries: []synth.Entry{synth.File("yc/v6/f", string(synth.Pattern(1600, 11))), synth.Whiteout("x/wheels")}, CreatedBy: run("yarn install --cache-folder /yc && rm -rf /x/wheels")},
		{Entries: []synth.Entry{synth.File("gocache/g", string(synth.Pattern(1700, 12))), synth.File("root/.cache/pip/h", string(synth.Pattern(1800, 13)))}, CreatedBy: run("GOCACHE=/gocache go build ./... && pip install --no-cache-dir --cache-dir /root/.cache/pip six")},
		{Entries: []synth.Entry{synth.Whiteout("var/pipcache")}, CreatedBy: run("rm -rf /var/pipcache")},
	}
	img, err := synth.Build(synth.Image{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	f, fs := lint(t, src)
	watch := WatchPaths(fs)
	if want := []string{"/gocache", "/npmc", "/var/cache/yum", "/var/pipcache", "/x", "/yc"}; !reflect.DeepEqual(watch, want) {
		t.Fatalf("watch %q, want %q", watch, want)
	}
	rep, err := account.Analyze(context.Background(), img, account.WithWatch(watch))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Measure(f, fs, rep)
	if err != nil {
		t.Fatal(err)
	}
	costs := map[string]int64{}
	for _, m := range res.Findings {
		if m.Measured && m.Rule != "WH701" && m.Rule != "WH101" {
			costs[fmt.Sprintf("%d:%s", m.Line, m.Rule)] += m.CostBytes
		}
	}
	want := map[string]int64{
		"2:WH403": 2000,       // /var/cache/yum, not the base's /var/cache/dnf
		"4:WH501": 1100,       // /var/pipcache, removed by a later RUN: still shipped
		"5:WH501": 1200 + 130, // /x, the wheels hidden by the next layer included
		"5:WH502": 1400,       // /npmc, not ~/.npm's log
		"6:WH503": 1600,       // /yc
		"7:WH505": 1700,       // /gocache
		"7:WH501": 1800,       // --cache-dir back to the usual place: its category
	}
	if !reflect.DeepEqual(costs, want) {
		t.Errorf("costs %v, want %v", costs, want)
	}
}

// TestCacheCategoriesKnown checks that every rule measured by a cache
// category names one that pkg/account reports.
func TestCacheCategoriesKnown(t *testing.T) {
	known := map[string]bool{}
	for _, c := range account.CacheCategories() {
		known[c] = true
	}
	n := 0
	for _, m := range rules.Metas() {
		if m.Measure != rules.MeasureCache {
			continue
		}
		n++
		if !known[m.Category] {
			t.Errorf("%s is measured by cache category %q, which pkg/account does not report", m.ID, m.Category)
		}
	}
	if n < 10 {
		t.Errorf("only %d rules are measured by a cache category", n)
	}
}

// copyImage is an image whose history ends in a copy of one file, as
// examples/app.tar's does: a base layer, a RUN, and a COPY to
// /app/config.yaml, written by the classic builder or by BuildKit.
func copyImage(t *testing.T, buildkit bool) *account.Report {
	t.Helper()
	hist := []v1.History{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:0123 in / "},
		{CreatedBy: `/bin/sh -c #(nop)  CMD ["bash"]`, EmptyLayer: true},
		{CreatedBy: "/bin/sh -c apt-get update"},
		{CreatedBy: "/bin/sh -c #(nop) WORKDIR /app", EmptyLayer: true},
		{CreatedBy: "/bin/sh -c #(nop) COPY file:9e1c3a5b7d9f in config.yaml "},
	}
	if buildkit {
		hist[2].CreatedBy = "RUN /bin/sh -c apt-get update # buildkit"
		hist[3].CreatedBy = "WORKDIR /app"
		hist[4].CreatedBy = "COPY config.yaml config.yaml # buildkit"
	}
	img, err := synth.Build(synth.Image{
		Layers: []synth.Layer{
			{Entries: []synth.Entry{synth.File("etc/os-release", "base")}},
			{Entries: []synth.Entry{synth.File("var/lib/apt/lists/x", "lists")}},
			{Entries: []synth.Entry{synth.File("app/config.yaml", "config")}},
		},
		History: hist,
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := account.Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestMeasureFinalStageMismatch: a final stage whose instructions do not
// match the image's history is a mismatch naming the line and the layer,
// never a silent pairing: a COPY whose destination the history does not
// show, and a stage FROM scratch under which the image has base layers.
func TestMeasureFinalStageMismatch(t *testing.T) {
	const build = "FROM golang:1.22 AS build\nRUN go build -o /x .\n"
	for _, buildkit := range []bool{false, true} {
		rep := copyImage(t, buildkit)
		for _, c := range []struct {
			name, src  string
			line, lyr  int
			kind, text string
		}{
			{"another destination", build + "FROM scratch\nCOPY --from=build /x /x\n", 4, 2, "COPY",
				`the COPY at line 4 copies to /x, but layer 2, which it should have made, was made by "`},
			{"scratch under base layers", build + "FROM scratch\nWORKDIR /app\nCOPY --from=build /x config.yaml\n", 3, 1, "FROM",
				`the stage at line 3 is built FROM scratch, so no layer should lie below the ones its instructions made, but layer 1 was made by "`},
		} {
			f, fs := lint(t, c.src)
			_, err := Measure(f, fs, rep)
			var mm *MismatchError
			if !errors.As(err, &mm) || mm.Line != c.line || mm.Layer != c.lyr || mm.Kind != c.kind || !strings.Contains(err.Error(), c.text) {
				t.Errorf("buildkit %v, %s: %v (%+v), want a mismatch at line %d, layer %d: %s", buildkit, c.name, err, mm, c.line, c.lyr, c.text)
			}
		}
		// The Dockerfile that made it pairs, its destination written
		// relative to WORKDIR or absolute, a file or the directory it is
		// copied into; so does one whose destination has a variable.
		for _, dest := range []string{"config.yaml", "/app/config.yaml", "./config.yaml", "/app/", ".", "/app/${NAME}"} {
			f, fs := lint(t, "FROM debian:12\nRUN apt-get update\nWORKDIR /app\nARG NAME\nCOPY config.yaml "+dest+"\n")
			if res, err := Measure(f, fs, rep); err != nil || res.BaseLayers != 1 {
				t.Errorf("buildkit %v, dest %s: %v", buildkit, dest, err)
			}
		}
		for _, dest := range []string{"/", "/etc/config.yaml", "/app/config.yml"} {
			f, fs := lint(t, "FROM debian:12\nRUN apt-get update\nWORKDIR /app\nCOPY config.yaml "+dest+"\n")
			var mm *MismatchError
			if _, err := Measure(f, fs, rep); !errors.As(err, &mm) || mm.Line != 4 || mm.Layer != 2 {
				t.Errorf("buildkit %v, dest %s: %v, want a mismatch at line 4", buildkit, dest, err)
			}
		}
	}
	// FROM scratch with exactly the layers its instructions made pairs.
	img, err := synth.Build(synth.Image{
		Layers:  []synth.Layer{{Entries: []synth.Entry{synth.File("x", "x")}}},
		History: []v1.History{{CreatedBy: "COPY /x /x # buildkit"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := account.Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	f, fs := lint(t, build+"FROM scratch\nCOPY --from=build /x /x\n")
	if res, err := Measure(f, fs, rep); err != nil || res.BaseLayers != 0 || len(res.Instructions) != 1 {
		t.Errorf("FROM scratch: %+v, %v", res, err)
	}
}

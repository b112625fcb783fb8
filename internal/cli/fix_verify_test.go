package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/verify"
)

// cliFakeEngine builds synthetic images, chosen by the Dockerfile's text.
type cliFakeEngine struct {
	images  map[string]synth.Image
	builds  []verify.Build
	removed []string
}

func (f *cliFakeEngine) Name() string { return verify.EngineDocker }

func (f *cliFakeEngine) Build(_ context.Context, b verify.Build) (*verify.Built, error) {
	f.builds = append(f.builds, b)
	src, err := os.ReadFile(b.Dockerfile)
	if err != nil {
		return nil, err
	}
	spec, ok := f.images[string(src)]
	if !ok {
		return nil, os.ErrNotExist
	}
	img, err := synth.Build(spec)
	if err != nil {
		return nil, err
	}
	return &verify.Built{Image: img}, nil
}

func (f *cliFakeEngine) Remove(_ context.Context, tag string) error {
	f.removed = append(f.removed, tag)
	return nil
}

func useFakeEngine(t *testing.T, f *cliFakeEngine) {
	t.Helper()
	old := newEngine
	t.Cleanup(func() { newEngine = old })
	newEngine = func(*cobra.Command, string) (verify.Engine, error) { return f, nil }
}

// verifyImages returns the image of naiveDockerfile and of its repair:
// the repair drops the apt lists and archives; with curlGone also
// /usr/bin/curl.
func verifyImages(curlGone bool) (orig, fixed synth.Image) {
	base := synth.Layer{CreatedBy: "base", Entries: []synth.Entry{
		synth.Dir("usr/"), synth.Dir("usr/bin/"), synth.File("usr/bin/sh", strings.Repeat("s", 100)),
		synth.Dir("var/"), synth.Dir("var/lib/"), synth.Dir("var/lib/apt/"), synth.Dir("var/lib/apt/lists/"),
		synth.Dir("var/cache/"), synth.Dir("var/cache/apt/"), synth.Dir("var/cache/apt/archives/"),
	}}
	run := func(lists, curl bool) synth.Layer {
		var e []synth.Entry
		if curl {
			e = append(e, synth.File("usr/bin/curl", strings.Repeat("c", 2000)))
		}
		if lists {
			e = append(e, synth.File("var/lib/apt/lists/x_Packages", strings.Repeat("p", 7000)),
				synth.File("var/cache/apt/archives/curl.deb", strings.Repeat("d", 900)))
		}
		return synth.Layer{CreatedBy: "RUN", Entries: e}
	}
	return synth.Image{Layers: []synth.Layer{base, run(true, true)}}, synth.Image{Layers: []synth.Layer{base, run(false, !curlGone)}}
}

const (
	safeFixed   = "FROM local/debian:bookworm\n# tools\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"
	unsafeFixed = "FROM local/debian:bookworm\n# tools\nRUN apt-get update && apt-get install --no-install-recommends -y ca-certificates curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"
)

func TestFixVerifyHarmless(t *testing.T) {
	orig, fixed := verifyImages(false)
	eng := &cliFakeEngine{images: map[string]synth.Image{naiveDockerfile: orig, safeFixed: fixed}}
	useFakeEngine(t, eng)
	df := writeTemp(t, naiveDockerfile)
	code, out, errs := runCLI(t, "", "fix", "--verify", "--build-arg", "A=1", "--build-arg", "B=2", "--target", "app", df)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{"size", "7.9 kB", "7,900 bytes", "the repair is harmless", "cache  apt-lists", "cache  apt-archives",
		"compressed"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"WH201 remove /var/lib/apt/lists", "building the original Dockerfile with docker as whittle-verify-",
		"building the fixed Dockerfile", "comparing"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if len(eng.builds) != 2 {
		t.Fatalf("%d builds", len(eng.builds))
	}
	b := eng.builds[1]
	if b.Context != filepath.Dir(df) || b.Network != "host" || b.Target != "app" || strings.Join(b.BuildArgs, ",") != "A=1,B=2" {
		t.Errorf("build %+v", b)
	}
	if len(eng.removed) != 2 {
		t.Errorf("removed %v", eng.removed)
	}
	if got, _ := os.ReadFile(df); string(got) != naiveDockerfile {
		t.Errorf("the Dockerfile changed: %q", got)
	}

	// JSON: the changes as fix makes them, and the verification.
	eng.builds, eng.removed = nil, nil
	code, out, errs = runCLI(t, "", "fix", "--verify", "-q", "--format", "json", "--network", "none", "--keep-images", df)
	if code != ExitOK || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		SchemaVersion string `json:"schema_version"`
		File          string `json:"file"`
		Changes       []struct {
			Rule          string `json:"rule"`
			Line          int    `json:"line"`
			Applicability string `json:"applicability"`
		} `json:"changes"`
		Verification struct {
			Harmless bool `json:"harmless"`
			Saved    struct {
				SizeBytes int64 `json:"size_bytes"`
			} `json:"saved"`
			Suspect    []any `json:"suspect"`
			ImagesKept bool  `json:"images_kept"`
		} `json:"verification"`
		Written bool `json:"written"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.SchemaVersion != "whittle.fix-verify/v1" || doc.File != df || len(doc.Changes) != 2 || doc.Changes[0].Line != 3 ||
		doc.Changes[0].Applicability != "safe" || !doc.Verification.Harmless || doc.Verification.Saved.SizeBytes != 7900 ||
		doc.Verification.Suspect == nil || !doc.Verification.ImagesKept || doc.Written {
		t.Errorf("document %+v", doc)
	}
	if eng.builds[0].Network != "none" || len(eng.removed) != 0 {
		t.Errorf("network %q, removed %v", eng.builds[0].Network, eng.removed)
	}
}

func TestFixVerifyNeededFileGone(t *testing.T) {
	orig, fixed := verifyImages(true)
	eng := &cliFakeEngine{images: map[string]synth.Image{naiveDockerfile: orig, unsafeFixed: fixed}}
	useFakeEngine(t, eng)
	df := writeTemp(t, naiveDockerfile)
	code, out, errs := runCLI(t, "", "fix", "--unsafe-fixes", "--verify", "--write", df)
	if code != ExitFail {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{"1 path gone or changed outside caches", "removed  /usr/bin/curl  file  2,000 bytes", "the repair may change what the image does"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "not written: the repair is not proven harmless") {
		t.Errorf("stderr: %s", errs)
	}
	if got, _ := os.ReadFile(df); string(got) != naiveDockerfile {
		t.Errorf("written although not harmless: %q", got)
	}

	// Proven harmless, --write writes.
	orig, fixed = verifyImages(false)
	eng.images = map[string]synth.Image{naiveDockerfile: orig, unsafeFixed: fixed}
	if code, _, errs := runCLI(t, "", "fix", "--unsafe-fixes", "--verify", "--write", "-q", df); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got, _ := os.ReadFile(df); string(got) != unsafeFixed {
		t.Errorf("not written: %q", got)
	}
}

func TestFixVerifyErrors(t *testing.T) {
	df := writeTemp(t, naiveDockerfile)
	// No engine: the real search, with nothing on PATH.
	t.Setenv("PATH", t.TempDir())
	code, _, errs := runCLI(t, "", "fix", "--verify", "-q", df)
	if code != ExitError || !strings.Contains(errs, "no container engine to build with") ||
		!strings.Contains(errs, "docker: no docker CLI on PATH") || !strings.Contains(errs, "buildah: not on PATH") ||
		!strings.Contains(errs, "DOCKER_HOST") {
		t.Errorf("exit %d: %s", code, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fix", "--context", ".", df}, "--context needs --verify"},
		{[]string{"fix", "--keep-images", df}, "--keep-images needs --verify"},
		{[]string{"fix", "--verify", "--diff", df}, "--verify excludes --diff and --check"},
		{[]string{"fix", "--verify", "--format", "sarif", df}, "unknown --format"},
		{[]string{"fix", "--verify", "--context", filepath.Join(t.TempDir(), "none"), df}, "build context"},
	} {
		code, _, errs := runCLI(t, "", tc.args...)
		if code != ExitError || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d: %s", tc.args, code, errs)
		}
	}
	// Nothing to repair: nothing is built.
	eng := &cliFakeEngine{}
	useFakeEngine(t, eng)
	clean := writeTemp(t, "FROM scratch\nCOPY a /a\n")
	code, out, errs := runCLI(t, "", "fix", "--verify", clean)
	if code != ExitOK || out != "" || !strings.Contains(errs, "nothing to repair, so nothing to verify") || len(eng.builds) != 0 {
		t.Errorf("exit %d, %q, %q, %d builds", code, out, errs, len(eng.builds))
	}
}

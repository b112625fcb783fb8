// Command diff is the benchmark of whittle diff on two large synthetic
// images. Run it through scripts/bench-diff.sh, which measures, in one run
// and as separate processes, the analysis of each image alone (as whittle
// analyze runs it) and the diff of the two, and prints their ratio and
// peak RSS.
//
//	diff -mode generate -dir DIR            write (or reuse) the images, print their paths
//	diff -mode analyze -image PATH          account.Analyze, as whittle analyze runs it
//	diff -mode diff -old PATH -new PATH     diff.Diff, as whittle diff runs it
//
// generate writes three OCI layouts: old (the analyze benchmark's image:
// 6 layers, 300k files, about 1 GB, a dpkg database), new (the same spec
// with another seed: no layer in common with old) and mix (old's three
// bottom layers under new's three top ones: a rebuild that keeps its
// base).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle/whittle/internal/benchutil"
	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/diff"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "diff bench:", err)
		os.Exit(1)
	}
}

type result struct {
	Mode     string  `json:"mode"`
	Seconds  float64 `json:"seconds"`
	CPU      float64 `json:"cpu_seconds"`
	MaxRSSMB float64 `json:"max_rss_mb"`
	Jobs     int     `json:"jobs"`
	// analyze: the image's size and files; diff: the changed paths and
	// the layers shared.
	Bytes   int64 `json:"bytes,omitempty"`
	Files   int64 `json:"files,omitempty"`
	Changed int   `json:"changed_paths,omitempty"`
	Shared  int   `json:"shared_layers,omitempty"`
	// generate: the layouts.
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
	Mix string `json:"mix,omitempty"`
}

func run(ctx context.Context) error {
	mode := flag.String("mode", "diff", "generate, analyze or diff")
	dir := flag.String("dir", os.TempDir(), "generate: where the images go")
	image := flag.String("image", "", "analyze: the OCI layout")
	oldPath := flag.String("old", "", "diff: the old image's OCI layout")
	newPath := flag.String("new", "", "diff: the new image's OCI layout")
	files := flag.Int("files", synth.DefaultLarge.Files, "generate: files of each image")
	size := flag.Int64("bytes", synth.DefaultLarge.Bytes, "generate: uncompressed bytes of each image")
	pkgs := flag.Int("packages", 1000, "generate: packages of each image's dpkg database")
	jobs := flag.Int("jobs", runtime.GOMAXPROCS(0), "layers read at once (by each image's analysis)")
	flag.Parse()

	start := time.Now()
	res := result{Mode: *mode, Jobs: *jobs}
	switch *mode {
	case "generate":
		spec := synth.DefaultLarge
		spec.Files, spec.Bytes, spec.Packages = *files, *size, *pkgs
		var err error
		if res.Old, err = synth.Large(ctx, *dir, spec); err != nil {
			return err
		}
		spec.Seed = 2
		if res.New, err = synth.Large(ctx, *dir, spec); err != nil {
			return err
		}
		if res.Mix, err = mix(res.Old, res.New, filepath.Join(*dir, filepath.Base(res.Old)+"-mix")); err != nil {
			return err
		}
	case "analyze":
		img, err := benchutil.OpenLayout(*image)
		if err != nil {
			return err
		}
		rep, err := account.Analyze(ctx, img, account.WithJobs(*jobs))
		if err != nil {
			return err
		}
		res.Bytes, res.Files = rep.Image.SizeBytes, rep.Image.Files
	case "diff":
		old, err := benchutil.OpenLayout(*oldPath)
		if err != nil {
			return err
		}
		new, err := benchutil.OpenLayout(*newPath)
		if err != nil {
			return err
		}
		rep, err := diff.Diff(ctx, old, new, diff.WithJobs(*jobs))
		if err != nil {
			return err
		}
		res.Changed, res.Shared = len(rep.Paths.Items), rep.Layers.Shared
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	res.Seconds = time.Since(start).Seconds()
	res.CPU, res.MaxRSSMB = benchutil.Usage()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// mix writes, once, the OCI layout of old's three bottom layers under
// new's three top ones, and returns its path.
func mix(oldPath, newPath, out string) (string, error) {
	stamp := filepath.Join(out, "whittle-mix.json")
	want, _ := json.Marshal([]string{oldPath, newPath})
	if b, err := os.ReadFile(stamp); err == nil && string(b) == string(want) {
		return out, nil
	}
	old, err := benchutil.OpenLayout(oldPath)
	if err != nil {
		return "", err
	}
	new, err := benchutil.OpenLayout(newPath)
	if err != nil {
		return "", err
	}
	ol, err := old.Layers()
	if err != nil {
		return "", err
	}
	nl, err := new.Layers()
	if err != nil {
		return "", err
	}
	if len(ol) < 6 || len(nl) < 6 {
		return "", errors.New("mix needs images of 6 layers")
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var adds []mutate.Addendum
	for i, l := range append(append([]v1.Layer{}, ol[:3]...), nl[3:6]...) {
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("RUN step %d", i)}, MediaType: types.OCILayer})
	}
	if img, err = mutate.Append(img, adds...); err != nil {
		return "", err
	}
	os.RemoveAll(out)
	lp, err := layout.Write(out, empty.Index)
	if err != nil {
		return "", err
	}
	if err := lp.AppendImage(img); err != nil {
		return "", err
	}
	return out, os.WriteFile(stamp, want, 0o644)
}

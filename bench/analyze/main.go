// Command analyze is the benchmark of whittle analyze on a large synthetic
// image. Run it through scripts/bench-analyze.sh, which measures, in one
// run and as separate processes, a baseline that only decompresses and
// reads every layer once (same parallelism) and the full analysis, and
// prints their ratio and peak RSS.
//
//	analyze -mode generate -dir DIR      write (or reuse) the image, print its path
//	analyze -mode baseline -image PATH   decompress and read every layer
//	analyze -mode analyze  -image PATH   account.Analyze
//	analyze -mode analyze  -ref REF      the same on any image reference
//	                                     (a docker save tar, a layout, ...)
//	analyze -mode sha256   -ref REF      the sha256 of every layer's stream,
//	                                     once, as analyze reads it (same jobs)
//	analyze -mode exec -- CMD ARGS...    run CMD; its wall and CPU time and
//	                                     peak RSS (the real-image mode's dive)
//	analyze -mode analyze -attribute -image PATH   the same with package attribution
//	analyze -mode analyze -cache DIR -image PATH   the same with the layer cache in DIR
//	analyze -mode attribute-ab -runs N -image PATH
//	    in one process, N runs each of analyze and analyze with package
//	    attribution, alternating, and the CPU time of each and their ratio
package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/whittle/whittle/internal/benchutil"
	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/imageref"
	"github.com/whittle/whittle/pkg/layer"
	"github.com/whittle/whittle/pkg/layercache"
	"github.com/whittle/whittle/pkg/packages"
	"github.com/whittle/whittle/pkg/spool"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "analyze bench:", err)
		os.Exit(1)
	}
}

type result struct {
	Mode     string  `json:"mode"`
	Seconds  float64 `json:"seconds"`
	CPU      float64 `json:"cpu_seconds"`
	MaxRSSMB float64 `json:"max_rss_mb"`
	Entries  int64   `json:"entries,omitempty"`
	// Packages and PackageBytes: with -attribute, the packages found and
	// the visible bytes they own.
	Packages     int   `json:"packages,omitempty"`
	PackageBytes int64 `json:"package_bytes,omitempty"`
	Bytes        int64 `json:"bytes,omitempty"`
	Files        int64 `json:"files,omitempty"`
	Wasted       int64 `json:"wasted_bytes,omitempty"`
	Jobs         int   `json:"jobs"`
	// CacheFound and CacheWritten: with -cache, the layers taken from the
	// cache and those stored in it.
	CacheFound   int64  `json:"cache_found,omitempty"`
	CacheWritten int64  `json:"cache_written,omitempty"`
	Generated    string `json:"image,omitempty"`
}

func run(ctx context.Context) error {
	mode := flag.String("mode", "analyze", "generate, baseline or analyze")
	dir := flag.String("dir", os.TempDir(), "where generate writes the image")
	image := flag.String("image", "", "OCI layout of the image")
	refArg := flag.String("ref", "", "image reference, as whittle analyze takes it (instead of -image)")
	files := flag.Int("files", synth.DefaultLarge.Files, "files of the generated image")
	size := flag.Int64("bytes", synth.DefaultLarge.Bytes, "uncompressed bytes of the generated image")
	pkgs := flag.Int("packages", 0, "generate: packages of the dpkg database the image holds (0: none)")
	jobs := flag.Int("jobs", runtime.GOMAXPROCS(0), "layers read at once")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	memprofile := flag.String("memprofile", "", "write a heap profile here after the analysis")
	duplicates := flag.Bool("duplicates", true, "analyze: look for duplicate files (hash every file)")
	dive := flag.Bool("dive", true, "analyze: compute dive's figures")
	verify := flag.Bool("verify-blobs", false, "analyze: also check the sha256 of every compressed blob (whittle analyze --verify-blobs)")
	runs := flag.Int("runs", 5, "attribute-ab: runs of each variant")
	attribute := flag.Bool("attribute", false, "analyze: also capture the package databases and attribute every visible byte (pkg/packages)")
	cacheDir := flag.String("cache", "", "analyze: use the layer cache in this directory (pkg/layercache; \"\": none)")
	flag.Parse()
	stopProfile, err := benchutil.Profile(*cpuprofile, "")
	defer stopProfile()
	if err != nil {
		return err
	}

	start := time.Now()
	res := result{Mode: *mode, Jobs: *jobs}
	switch *mode {
	case "generate":
		spec := synth.DefaultLarge
		spec.Files, spec.Bytes, spec.Packages = *files, *size, *pkgs
		p, err := synth.Large(ctx, *dir, spec)
		if err != nil {
			return err
		}
		res.Generated = p
	case "exec":
		if flag.NArg() == 0 {
			return fmt.Errorf("-mode exec needs a command")
		}
		cmd := exec.CommandContext(ctx, flag.Arg(0), flag.Args()[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", flag.Arg(0), err)
		}
		res.Seconds = time.Since(start).Seconds()
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		res.CPU = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
		res.MaxRSSMB = float64(ru.Maxrss) / 1024
		return json.NewEncoder(os.Stdout).Encode(res)
	case "baseline", "analyze", "sha256":
		var img v1.Image
		var err error
		if *refArg != "" {
			img, err = openRef(ctx, *refArg)
		} else {
			img, err = benchutil.OpenLayout(*image)
		}
		if err != nil {
			return err
		}
		if *mode == "baseline" {
			res.Entries, res.Bytes, err = baseline(ctx, img, *jobs)
		} else if *mode == "sha256" {
			res.Bytes, err = sha256Layers(ctx, img, *jobs)
		} else {
			var (
				rep *account.Report
				lc  *layercache.Cache
			)
			opts := []account.Option{account.WithJobs(*jobs), account.WithDuplicates(*duplicates), account.WithDive(*dive), account.WithBlobDigests(*verify)}
			if *attribute {
				opts = append(opts, packages.AnalyzeOptions()...)
			}
			if *cacheDir != "" {
				var cerr error
				if lc, cerr = layercache.Open(*cacheDir, layercache.Options{}); cerr != nil {
					return cerr
				}
				opts = append(opts, account.WithLayerCache(lc))
			}
			rep, err = account.Analyze(ctx, img, opts...)
			if lc != nil {
				res.CacheFound, res.CacheWritten = lc.Stats().Found, lc.Stats().Written
			}
			if err == nil && *attribute {
				var pr *packages.Result
				if pr, err = packages.Attribute(rep); err == nil {
					res.Packages = len(pr.Packages)
					for _, p := range pr.Packages {
						res.PackageBytes += p.Bytes
					}
				}
			}
			if *memprofile != "" {
				f, ferr := os.Create(*memprofile)
				if ferr != nil {
					return ferr
				}
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
			if rep != nil {
				res.Bytes, res.Files, res.Wasted = rep.Image.SizeBytes, rep.Image.Files, rep.Image.WastedBytes
			}
		}
		if err != nil {
			return err
		}
	case "attribute-ab":
		img, err := benchutil.OpenLayout(*image)
		if err != nil {
			return err
		}
		opts := []account.Option{account.WithJobs(*jobs), account.WithDuplicates(*duplicates), account.WithDive(*dive), account.WithBlobDigests(*verify)}
		return attributeAB(ctx, img, opts, *runs)
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	res.Seconds = time.Since(start).Seconds()
	res.CPU, res.MaxRSSMB = benchutil.Usage()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// baseline decompresses every layer and reads its tar to the end, with
// the same parallelism and the same gzip decoder as the analysis, and
// nothing else: the floor any analysis of the image pays.
func baseline(ctx context.Context, img v1.Image, jobs int) (entries, size int64, err error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, 0, err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	counts := make([][2]int64, len(layers))
	for i, l := range layers {
		g.Go(func() error {
			rc, err := l.Compressed()
			if err != nil {
				return err
			}
			defer rc.Close()
			zr, err := gzip.NewReader(rc)
			if err != nil {
				return err
			}
			tr := tar.NewReader(zr)
			buf := make([]byte, 64<<10)
			for {
				if err := ctx.Err(); err != nil {
					return err
				}
				hdr, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				n, err := io.CopyBuffer(io.Discard, tr, buf)
				if err != nil {
					return err
				}
				counts[i][0]++
				counts[i][1] += n
				_ = hdr
			}
			_, err = io.Copy(io.Discard, zr)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, 0, err
	}
	for _, c := range counts {
		entries += c[0]
		size += c[1]
	}
	return entries, size, nil
}

// openRef opens an image reference as whittle analyze does.
func openRef(ctx context.Context, s string) (v1.Image, error) {
	ref, err := imageref.Parse(s)
	if err != nil {
		return nil, err
	}
	return ref.Image(ctx)
}

// sha256Layers computes the sha256 of every layer's stream as whittle
// reads it (the uncompressed tar of a docker save archive, the blob of a
// layout or a registry), each once, jobs layers at a time, with a 1 MiB
// buffer, and nothing else: the floor of an analysis that must verify
// every layer. It returns the bytes hashed.
func sha256Layers(ctx context.Context, img v1.Image, jobs int) (int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	sizes := make([]int64, len(layers))
	for i, l := range layers {
		g.Go(func() error {
			var rc io.ReadCloser
			var err error
			if layer.NativelyUncompressed(l) {
				rc, err = l.Uncompressed()
			} else {
				rc, err = l.Compressed()
			}
			if err != nil {
				return err
			}
			defer rc.Close()
			h := sha256.New()
			n, err := io.CopyBuffer(h, spool.Reader(ctx, rc), make([]byte, 1<<20))
			sizes[i] = n
			_ = h.Sum(nil)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	var total int64
	for _, n := range sizes {
		total += n
	}
	return total, nil
}

// attributeAB runs, in this one process, analyze and analyze with package
// attribution n times each, alternating which goes first, and prints
// each run's CPU and wall time (Attribute's own share apart) as JSON
// lines, then the best and median of each and their ratios. Alternating
// in one process keeps a busy machine's noise out of the ratio as far as
// separate processes cannot.
func attributeAB(ctx context.Context, img v1.Image, opts []account.Option, n int) error {
	type run struct {
		Variant   string  `json:"variant"`
		CPU       float64 `json:"cpu_seconds"`
		Wall      float64 `json:"seconds"`
		Attribute float64 `json:"attribute_cpu_seconds,omitempty"`
	}
	one := func(withPackages bool) (run, error) {
		runtime.GC()
		c0, _ := benchutil.Usage()
		t0 := time.Now()
		o := opts
		r := run{Variant: "analyze"}
		if withPackages {
			o = append(append([]account.Option(nil), opts...), packages.AnalyzeOptions()...)
			r.Variant = "analyze-packages"
		}
		rep, err := account.Analyze(ctx, img, o...)
		if err != nil {
			return r, err
		}
		if withPackages {
			a0, _ := benchutil.Usage()
			if _, err := packages.Attribute(rep); err != nil {
				return r, err
			}
			a1, _ := benchutil.Usage()
			r.Attribute = a1 - a0
		}
		c1, _ := benchutil.Usage()
		r.CPU, r.Wall = c1-c0, time.Since(t0).Seconds()
		return r, nil
	}
	var plain, pkgs []run
	enc := json.NewEncoder(os.Stdout)
	for i := 0; i < n; i++ {
		for _, withPackages := range [][2]bool{{false, true}, {true, false}}[i%2] {
			r, err := one(withPackages)
			if err != nil {
				return err
			}
			enc.Encode(r)
			if withPackages {
				pkgs = append(pkgs, r)
			} else {
				plain = append(plain, r)
			}
		}
	}
	stat := func(rs []run, f func(run) float64) (best, median float64) {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[0], v[len(v)/2]
	}
	cpu := func(r run) float64 { return r.CPU }
	wall := func(r run) float64 { return r.Wall }
	attr := func(r run) float64 { return r.Attribute }
	pb, pm := stat(plain, cpu)
	kb, km := stat(pkgs, cpu)
	pwb, _ := stat(plain, wall)
	kwb, _ := stat(pkgs, wall)
	ab, am := stat(pkgs, attr)
	fmt.Printf("runs %d each, alternating, one process\n", n)
	fmt.Printf("analyze:          cpu best %.2fs median %.2fs, wall best %.2fs\n", pb, pm, pwb)
	fmt.Printf("analyze-packages: cpu best %.2fs median %.2fs, wall best %.2fs (Attribute alone: best %.3fs, median %.3fs)\n", kb, km, kwb, ab, am)
	fmt.Printf("ratio analyze-packages/analyze: cpu best %.3f, median %.3f; wall best %.3f (target <= 1.10)\n", kb/pb, km/pm, kwb/pwb)
	return nil
}

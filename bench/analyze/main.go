// Command analyze is the benchmark of whittle analyze on a large synthetic
// image. Run it through scripts/bench-analyze.sh, which measures, in one
// run and as separate processes, a baseline that only decompresses and
// reads every layer once (same parallelism) and the full analysis, and
// prints their ratio and peak RSS.
//
//	analyze -mode generate -dir DIR      write (or reuse) the image, print its path
//	analyze -mode baseline -image PATH   decompress and read every layer
//	analyze -mode analyze  -image PATH   account.Analyze
package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/whittle/whittle/internal/benchutil"
	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
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
	Mode      string  `json:"mode"`
	Seconds   float64 `json:"seconds"`
	CPU       float64 `json:"cpu_seconds"`
	MaxRSSMB  float64 `json:"max_rss_mb"`
	Entries   int64   `json:"entries,omitempty"`
	Bytes     int64   `json:"bytes,omitempty"`
	Files     int64   `json:"files,omitempty"`
	Wasted    int64   `json:"wasted_bytes,omitempty"`
	Jobs      int     `json:"jobs"`
	Generated string  `json:"image,omitempty"`
}

func run(ctx context.Context) error {
	mode := flag.String("mode", "analyze", "generate, baseline or analyze")
	dir := flag.String("dir", os.TempDir(), "where generate writes the image")
	image := flag.String("image", "", "OCI layout of the image")
	files := flag.Int("files", synth.DefaultLarge.Files, "files of the generated image")
	size := flag.Int64("bytes", synth.DefaultLarge.Bytes, "uncompressed bytes of the generated image")
	jobs := flag.Int("jobs", runtime.GOMAXPROCS(0), "layers read at once")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	memprofile := flag.String("memprofile", "", "write a heap profile here after the analysis")
	duplicates := flag.Bool("duplicates", true, "analyze: look for duplicate files (hash every file)")
	dive := flag.Bool("dive", true, "analyze: compute dive's figures")
	verify := flag.Bool("verify-blobs", false, "analyze: also check the sha256 of every compressed blob (whittle analyze --verify-blobs)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	start := time.Now()
	res := result{Mode: *mode, Jobs: *jobs}
	switch *mode {
	case "generate":
		spec := synth.DefaultLarge
		spec.Files, spec.Bytes = *files, *size
		p, err := synth.Large(ctx, *dir, spec)
		if err != nil {
			return err
		}
		res.Generated = p
	case "baseline", "analyze":
		img, err := benchutil.OpenLayout(*image)
		if err != nil {
			return err
		}
		if *mode == "baseline" {
			res.Entries, res.Bytes, err = baseline(ctx, img, *jobs)
		} else {
			var rep *account.Report
			rep, err = account.Analyze(ctx, img, account.WithJobs(*jobs), account.WithDuplicates(*duplicates), account.WithDive(*dive), account.WithBlobDigests(*verify))
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

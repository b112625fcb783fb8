// Command squash is the benchmark of whittle squash on a large synthetic
// image. Run it through scripts/bench-squash.sh, which measures, in one run
// and as separate processes:
//
//	baseline  decompress and read every layer once, one layer at a time
//	squash    squash.Squash merging every layer above the lowest
//	all       squash.Squash merging every layer (WithAll)
//	zstd      squash, with the merged layer compressed by zstd
//	extract   go-containerregistry's mutate.Extract of the whole image,
//	          gzip-compressed into one layer file with its digests: the
//	          usual "flatten" that "all" is compared with
//
// and prints each one's wall and CPU time, its ratio to the baseline, and
// its peak RSS.
//
//	squash -mode generate -dir DIR     write (or reuse) the image, print its path
//	squash -mode MODE -image PATH      run one mode
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
	"os/signal"
	"runtime/pprof"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/klauspost/compress/gzip"

	"github.com/whittle/whittle/internal/benchutil"
	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/squash"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "squash bench:", err)
		os.Exit(1)
	}
}

type result struct {
	Mode       string  `json:"mode"`
	Seconds    float64 `json:"seconds"`
	CPU        float64 `json:"cpu_seconds"`
	MaxRSSMB   float64 `json:"max_rss_mb"`
	InBytes    int64   `json:"in_bytes,omitempty"`
	OutBytes   int64   `json:"out_bytes,omitempty"`
	Compressed int64   `json:"compressed_bytes,omitempty"`
	Generated  string  `json:"image,omitempty"`
}

func run(ctx context.Context) error {
	mode := flag.String("mode", "squash", "generate, baseline, squash, all, zstd or extract")
	dir := flag.String("dir", os.TempDir(), "where generate writes the image")
	image := flag.String("image", "", "OCI layout of the image")
	files := flag.Int("files", synth.DefaultLarge.Files, "files of the generated image")
	size := flag.Int64("bytes", synth.DefaultLarge.Bytes, "uncompressed bytes of the generated image")
	tmp := flag.String("tmp", os.TempDir(), "directory for the output layer")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
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
	res := result{Mode: *mode}
	var err error
	switch *mode {
	case "generate":
		spec := synth.DefaultLarge
		spec.Files, spec.Bytes = *files, *size
		res.Generated, err = synth.Large(ctx, *dir, spec)
	case "baseline", "squash", "all", "zstd", "extract":
		var img v1.Image
		if img, err = benchutil.OpenLayout(*image); err != nil {
			return err
		}
		switch *mode {
		case "baseline":
			res.InBytes, err = baseline(img)
		case "extract":
			res.OutBytes, res.Compressed, err = extract(img, *tmp)
		default:
			opts := []squash.Option{squash.WithKeepLayers(1), squash.WithTempDir(*tmp)}
			switch *mode {
			case "all":
				opts[0] = squash.WithAll(true)
			case "zstd":
				opts = append(opts, squash.WithCompression(squash.Zstd))
			}
			var r *squash.Result
			r, err = squash.Squash(ctx, img, opts...)
			if r != nil {
				res.InBytes, res.OutBytes, res.Compressed = r.InBytes, r.OutBytes, r.Layer.Size
				r.Close()
			}
		}
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		return err
	}
	res.Seconds = time.Since(start).Seconds()
	res.CPU, res.MaxRSSMB = benchutil.Usage()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// baseline decompresses every layer and reads its tar to the end, one
// layer at a time (as squash reads them), with the same gzip decoder.
func baseline(img v1.Image) (int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, err
	}
	var total int64
	buf := make([]byte, 64<<10)
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return 0, err
		}
		zr, err := gzip.NewReader(rc)
		if err != nil {
			rc.Close()
			return 0, err
		}
		tr := tar.NewReader(zr)
		for {
			_, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				rc.Close()
				return 0, err
			}
			n, err := io.CopyBuffer(io.Discard, tr, buf)
			if err != nil {
				rc.Close()
				return 0, err
			}
			total += n
		}
		rc.Close()
	}
	return total, nil
}

// extract flattens the image with mutate.Extract into one gzip layer file,
// hashing the tar and the blob as a layer writer must.
func extract(img v1.Image, dir string) (int64, int64, error) {
	f, err := os.CreateTemp(dir, "extract-*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	blob := sha256.New()
	zw, err := gzip.NewWriterLevel(io.MultiWriter(f, blob), gzip.DefaultCompression)
	if err != nil {
		return 0, 0, err
	}
	raw := sha256.New()
	rc := mutate.Extract(img)
	defer rc.Close()
	n, err := io.Copy(io.MultiWriter(zw, raw), rc)
	if err != nil {
		return 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	return n, st.Size(), nil
}

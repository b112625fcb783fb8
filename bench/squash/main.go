// Command squash is the benchmark of whittle squash on a large synthetic
// image. Run it through scripts/bench-squash.sh, which measures, in one run
// and as separate processes:
//
//	read      decompress and read every layer once, one layer at a time
//	floor     the floor of a squash: read the merged layers once (as read
//	          does), then compress the merged layer's tar (prepared before,
//	          from a file in the page cache) once with the same codec and
//	          level on all cores; what no squash can go below; with
//	          -readall it reads every layer of the image (the kept ones
//	          too, which squash reads to check them), then compresses
//	squash    squash.Squash merging every layer above the lowest
//	all       squash.Squash merging every layer (WithAll)
//	extract   go-containerregistry's mutate.Extract of the whole image,
//	          compressed on all cores with the same codec and level into one
//	          layer file with its digests: the usual "flatten" that "all" is
//	          compared with
//
// and prints each one's wall and CPU time and its peak RSS.
//
//	squash -mode generate -dir DIR            write (or reuse) the image, print its path
//	squash -mode merged -image PATH -out TAR  squash, write the merged layer's tar (uncompressed)
//	squash -mode MODE -image PATH             run one mode (-all, -compression, -level)
//
// squash and all also print the wall time of the read phase (read_seconds,
// up to the first progress report of the write phase) and of the rest
// (compress_seconds), and the merged layer's digest; -dry runs them as a
// dry run (the read phase only); -cpuprofile and -trace write a CPU
// profile and an execution trace.
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
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"

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
	Mode     string  `json:"mode"`
	Seconds  float64 `json:"seconds"`
	CPU      float64 `json:"cpu_seconds"`
	MaxRSSMB float64 `json:"max_rss_mb"`
	// ReadSeconds and CompressSeconds: floor's two parts (wall); for
	// squash and all, the read phase (up to the first report of the write
	// phase) and the rest.
	ReadSeconds     float64 `json:"read_seconds,omitempty"`
	CompressSeconds float64 `json:"compress_seconds,omitempty"`
	InBytes         int64   `json:"in_bytes,omitempty"`
	OutBytes        int64   `json:"out_bytes,omitempty"`
	Compressed      int64   `json:"compressed_bytes,omitempty"`
	Generated       string  `json:"image,omitempty"`
	// Digest of squash's merged layer.
	Digest string `json:"digest,omitempty"`
}

func run(ctx context.Context) error {
	mode := flag.String("mode", "squash", "generate, merged, read, floor, squash, all or extract")
	dir := flag.String("dir", os.TempDir(), "where generate writes the image")
	image := flag.String("image", "", "OCI layout of the image")
	files := flag.Int("files", synth.DefaultLarge.Files, "files of the generated image")
	size := flag.Int64("bytes", synth.DefaultLarge.Bytes, "uncompressed bytes of the generated image")
	tmp := flag.String("tmp", os.TempDir(), "directory for the output layer")
	all := flag.Bool("all", false, "merge (merged, floor: read and compress) every layer, not the ones above the lowest")
	compression := flag.String("compression", "gzip", "gzip or zstd")
	levelName := flag.String("level", "default", "compression level (a number or fastest, default, better, best)")
	merged := flag.String("merged", "", "floor: the merged layer's tar; merged: where to write it")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	dry := flag.Bool("dry", false, "squash, all: a dry run (the read phase only)")
	traceFile := flag.String("trace", "", "write an execution trace here (go tool trace)")
	ahead := flag.Int("ahead", -1, "squash, all: merged layers read ahead (squash.WithReadAhead); -1: squash's default")
	readAll := flag.Bool("readall", false, "floor: read every layer of the image (the kept one too), then compress the merged layer's tar")
	flag.Parse()
	c := squash.Compression(*compression)
	level, err := squash.ParseCompressionLevel(c, *levelName)
	if err != nil {
		return err
	}
	stopProfile, err := benchutil.Profile(*cpuprofile, *traceFile)
	defer stopProfile()
	if err != nil {
		return err
	}

	start := time.Now()
	res := result{Mode: *mode}
	switch *mode {
	case "generate":
		spec := synth.DefaultLarge
		spec.Files, spec.Bytes = *files, *size
		res.Generated, err = synth.Large(ctx, *dir, spec)
	case "merged", "read", "floor", "squash", "all", "extract":
		var img v1.Image
		if img, err = benchutil.OpenLayout(*image); err != nil {
			return err
		}
		first := 1
		if *all || *mode == "all" || *mode == "read" {
			first = 0
		}
		switch *mode {
		case "read":
			res.InBytes, err = read(img, 0)
		case "floor":
			from := first
			if *readAll {
				from = 0
			}
			res.InBytes, err = read(img, from)
			res.ReadSeconds = time.Since(start).Seconds()
			if err == nil {
				res.OutBytes, res.Compressed, err = compressFile(*merged, *tmp, c, level)
				res.CompressSeconds = time.Since(start).Seconds() - res.ReadSeconds
			}
		case "extract":
			res.OutBytes, res.Compressed, err = extract(img, *tmp, c, level)
		default:
			opts := []squash.Option{squash.WithKeepLayers(first), squash.WithTempDir(*tmp),
				squash.WithCompression(c), squash.WithCompressionLevel(level)}
			if first == 0 {
				opts[0] = squash.WithAll(true)
			}
			if *ahead >= 0 {
				opts = append(opts, squash.WithReadAhead(*ahead))
			}
			opts = append(opts, squash.WithDryRun(*dry), squash.WithProgress(func(p squash.Progress) {
				if p.Phase == squash.PhaseWrite && res.ReadSeconds == 0 {
					res.ReadSeconds = time.Since(start).Seconds()
				}
			}))
			var r *squash.Result
			r, err = squash.Squash(ctx, img, opts...)
			if r != nil {
				res.InBytes, res.OutBytes = r.InBytes, r.OutBytes
				if r.Layer != nil { // nil in a dry run
					res.Compressed, res.Digest = r.Layer.Size, r.Layer.Digest
				}
				if *mode == "merged" {
					err = writeMerged(r.Image, *merged)
				}
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
	if (*mode == "squash" || *mode == "all") && res.ReadSeconds > 0 {
		res.CompressSeconds = res.Seconds - res.ReadSeconds
	}
	res.CPU, res.MaxRSSMB = benchutil.Usage()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// read decompresses the layers from the first on and reads each tar to the
// end, one layer at a time (as squash reads them), with the same gzip
// decoder.
func read(img v1.Image, first int) (int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, err
	}
	var total int64
	buf := make([]byte, 64<<10)
	for _, l := range layers[first:] {
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

// compressor compresses to w with codec c at level (0: the codec's
// default) on all cores, as the tools a squash is compared with would: pgzip
// in blocks of 1 MiB, two per core in flight; zstd's concurrent jobs, one
// worker per core.
func compressor(w io.Writer, c squash.Compression, level int) (io.WriteCloser, error) {
	n := runtime.GOMAXPROCS(0)
	if c == squash.Zstd {
		return zstd.NewWriter(w, zstd.WithEncoderLevel(squash.ZstdEncoderLevel(level)),
			zstd.WithEncoderConcurrency(n), zstd.WithConcurrentBlocks(true))
	}
	if level == 0 {
		level = pgzip.DefaultCompression
	}
	zw, err := pgzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, err
	}
	return zw, zw.SetConcurrency(1<<20, 2*n)
}

// compressFile compresses the file at path to a new file in dir, once,
// without computing any digest.
func compressFile(path, dir string, c squash.Compression, level int) (int64, int64, error) {
	in, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer in.Close()
	f, err := os.CreateTemp(dir, "floor-*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	zw, err := compressor(f, c, level)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.CopyBuffer(zw, struct{ io.Reader }{in}, make([]byte, 1<<20))
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

// writeMerged writes the uncompressed tar of img's top layer to path.
func writeMerged(img v1.Image, path string) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// extract flattens the image with mutate.Extract into one compressed layer
// file, hashing the tar and the blob as a layer writer must.
func extract(img v1.Image, dir string, c squash.Compression, level int) (int64, int64, error) {
	f, err := os.CreateTemp(dir, "extract-*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	blob := sha256.New()
	zw, err := compressor(io.MultiWriter(f, blob), c, level)
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

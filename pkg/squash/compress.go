package squash

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// Named compression levels, for both codecs (see ParseCompressionLevel).
const (
	LevelFastest = "fastest"
	LevelDefault = "default"
	LevelBetter  = "better"
	LevelBest    = "best"
)

// gzipBlock is the size of the blocks the merged layer's gzip stream is cut
// into, each compressed on its own core with the end of the block before as
// its dictionary. The cuts fall every gzipBlock bytes of the tar stream
// whatever the number of cores, so the bytes written depend only on the
// input and the level.
const gzipBlock = 1 << 20

// zstdWorkers is the most cores zstd compresses on: each worker holds a
// job of four windows (32 MiB at the default level) and its output, about
// 100 MB of memory per worker (measured: 220 MB peak RSS with two).
const zstdWorkers = 4

// namedLevels maps each named level to each codec's level number.
var namedLevels = map[string]map[Compression]int{
	LevelFastest: {Gzip: 1, Zstd: 1},
	LevelDefault: {Gzip: 0, Zstd: 0},
	LevelBetter:  {Gzip: 7, Zstd: 7},
	LevelBest:    {Gzip: 9, Zstd: 11},
}

// ParseCompressionLevel reads a level of codec c: a number (gzip 1 to 9,
// zstd 1 to 22) or a name: fastest (gzip 1, zstd 1), default (0: the
// codec's default, gzip 5 and zstd 3), better (gzip 7, zstd 7) or best (gzip
// 9, zstd 11). The result is what WithCompressionLevel takes.
func ParseCompressionLevel(c Compression, s string) (int, error) {
	if err := checkCompression(c); err != nil {
		return 0, err
	}
	if byCodec, ok := namedLevels[strings.ToLower(s)]; ok {
		return byCodec[c], nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("unknown %s compression level %q (%s, or fastest, default, better or best)", c, s, levelRange(c))
	}
	if err := checkLevel(c, n); err != nil || n == 0 {
		return 0, fmt.Errorf("%s compression level %d is out of range (%s)", c, n, levelRange(c))
	}
	return n, nil
}

func checkCompression(c Compression) error {
	switch c {
	case Gzip, Zstd:
		return nil
	}
	return fmt.Errorf("unknown compression %q (gzip or zstd)", c)
}

func levelRange(c Compression) string {
	if c == Zstd {
		return "1 to 22"
	}
	return "1 to 9"
}

// checkLevel accepts 0 (the codec's default) and the codec's levels.
func checkLevel(c Compression, level int) error {
	hi := 9
	if c == Zstd {
		hi = 22
	}
	if level < 0 || level > hi {
		return fmt.Errorf("%s compression level %d is out of range (%s)", c, level, levelRange(c))
	}
	return nil
}

// ZstdEncoderLevel is the encoder level a zstd level runs at: zstd's levels
// 1 to 22 map onto the four of the encoder (github.com/klauspost/compress),
// 1-2 fastest, 3-5 default, 6-9 better, 10-22 best; 0 is default.
func ZstdEncoderLevel(level int) zstd.EncoderLevel {
	if level == 0 {
		return zstd.SpeedDefault
	}
	return zstd.EncoderLevelFromZstd(level)
}

// newCompressor returns a writer that compresses to w with codec c at level
// (0: the codec's default) on all cores. Its output depends only on what is
// written to it, c and level, never on how the writes are cut or on the
// number of cores: gzip is cut into blocks of gzipBlock bytes (a valid single
// gzip stream, as pigz writes), zstd into the encoder's jobs, whose size
// depends only on the level's window (a valid single zstd frame).
func newCompressor(w io.Writer, c Compression, level int) (io.WriteCloser, error) {
	return newCompressorN(w, c, level, runtime.GOMAXPROCS(0))
}

// newCompressorN is newCompressor on n cores.
func newCompressorN(w io.Writer, c Compression, level, n int) (io.WriteCloser, error) {
	if err := checkLevel(c, level); err != nil {
		return nil, err
	}
	switch c {
	case Zstd:
		// The encoder's concurrent jobs are on from two workers up; with
		// one it writes a different (serial) stream, so never fewer than
		// two, whatever the number of cores. Each worker holds a job of
		// 4 windows (32 MiB) and its output: at most zstdWorkers.
		enc, err := zstd.NewWriter(w, zstd.WithEncoderLevel(ZstdEncoderLevel(level)),
			zstd.WithEncoderConcurrency(min(max(n, 2), zstdWorkers)), zstd.WithConcurrentBlocks(true))
		if err != nil {
			return nil, err
		}
		// Only Write and Close: the encoder's ReadFrom would cut its
		// jobs where each read ends.
		return writeCloser{enc}, nil
	case Gzip:
		if level == 0 {
			level = pgzip.DefaultCompression
		}
		pz, err := pgzip.NewWriterLevel(w, level)
		if err != nil {
			return nil, err
		}
		// Two blocks per core in flight, so that no core waits while the
		// next block fills.
		if err := pz.SetConcurrency(gzipBlock, 2*max(n, 1)); err != nil {
			return nil, err
		}
		return pz, nil
	}
	return nil, checkCompression(c)
}

type writeCloser struct{ io.WriteCloser }

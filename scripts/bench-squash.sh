#!/usr/bin/env bash
# Benchmark of whittle squash on a large synthetic image (6 layers, 300k
# files, about 1 GB uncompressed, gzip; deletions, opaque directories,
# overwrites). The image is generated once and cached (shared with
# scripts/bench-analyze.sh).
#
# Before measuring, it squashes once (not timed) to write the merged
# layers' tars, uncompressed, to TMPDIR: the floors compress them. Then, in
# one run, as separate processes, alternating, it measures:
#   read:      decompress and read every layer once, one layer at a time
#   floor:     read the 5 layers above the lowest once, then compress their
#              merged layer's tar once with the same codec and level on all
#              cores (from the page cache, no digests): the floor of squash
#   floor-every: read every layer of the image once (the kept lowest one
#              too, as squash reads it to check it), then compress the 5
#              layers' merged tar as floor does: the baseline the issue
#              names ("read every layer once plus compressing the merged
#              bytes once")
#   squash:    squash.Squash, the 5 layers above the lowest merged into one
#   squash-noahead: the same without reading layers ahead (WithReadAhead(0))
#   floor-all: as floor, all 6 layers and their merged tar
#   all:       squash.Squash, all 6 layers merged into one
#   all-noahead: the same without reading layers ahead
#   extract:   go-containerregistry's mutate.Extract of all 6 layers,
#              compressed the same way on all cores into one layer file,
#              with its two digests (what "all" replaces)
# and prints wall and CPU time, squash's ratios to its floor and all's to
# floor-all and extract, and the peak RSS of each (getrusage's ru_maxrss,
# what /usr/bin/time -v prints as "Maximum resident set size").
#
#   scripts/bench-squash.sh [-files N] [-bytes N] [-runs N] [-compression gzip|zstd] [-level L]
#
# -level is a number (gzip 1-9, zstd 1-22) or fastest, default, better, best
# (whittle squash --compression-level). Targets: squash within 1.3x of
# floor (wall), and all ahead of extract.
#
# Environment: WHITTLE_BENCH_DIR (default ~/.cache/whittle-bench) holds the
# image; TMPDIR receives the spool, the merged tars and the output layers.
# Never inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
files=300000 bytes=1073741824 runs=2 compression=gzip level=default
while [ $# -gt 0 ]; do
	case "$1" in
	-files) files=$2; shift 2 ;;
	-bytes) bytes=$2; shift 2 ;;
	-runs) runs=$2; shift 2 ;;
	-compression) compression=$2; shift 2 ;;
	-level) level=$2; shift 2 ;;
	*) echo "usage: $0 [-files N] [-bytes N] [-runs N] [-compression gzip|zstd] [-level L]" >&2; exit 2 ;;
	esac
done
dir=${WHITTLE_BENCH_DIR:-$HOME/.cache/whittle-bench}
mkdir -p "$dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-squash.XXXXXX")
trap 'rm -rf "$work"' EXIT
bin=$work/bench-squash
go build -o "$bin" ./bench/squash

img=$("$bin" -mode generate -dir "$dir" -files "$files" -bytes "$bytes" | sed -n 's/.*"image":"\([^"]*\)".*/\1/p')
echo "image: $img ($(du -sh "$img" | cut -f1) on disk); $compression level $level; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
codec=(-compression "$compression" -level "$level")
"$bin" -mode merged -image "$img" -tmp "$work" "${codec[@]}" -merged "$work/merged.tar" >/dev/null
"$bin" -mode merged -all -image "$img" -tmp "$work" "${codec[@]}" -merged "$work/merged-all.tar" >/dev/null
cat "$img"/blobs/sha256/* "$work"/merged*.tar >/dev/null # warm the page cache

field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
best() { sort -g | awk 'NR == 1'; }
modes="read floor floor-every squash squash-noahead floor-all all all-noahead extract"
declare -A wall cpu rss
for mode in $modes; do wall[$mode]=""; cpu[$mode]=""; rss[$mode]=0; done
for r in $(seq "$runs"); do
	for mode in $modes; do
		case $mode in
		floor) args=(-mode floor -merged "$work/merged.tar") ;;
		floor-all) args=(-mode floor -all -merged "$work/merged-all.tar") ;;
		floor-every) args=(-mode floor -readall -merged "$work/merged.tar") ;;
		squash-noahead) args=(-mode squash -ahead 0) ;;
		all-noahead) args=(-mode all -ahead 0) ;;
		*) args=(-mode "$mode") ;;
		esac
		out=$("$bin" "${args[@]}" -image "$img" -tmp "$work" "${codec[@]}")
		shown=${out/\"mode\":\"squash\"/\"mode\":\"$mode\"}
		shown=${shown/\"mode\":\"all\"/\"mode\":\"$mode\"}
		echo "run $r: ${shown/\"mode\":\"floor\"/\"mode\":\"$mode\"}"
		wall[$mode]+="$(echo "$out" | field seconds)"$'\n'
		cpu[$mode]+="$(echo "$out" | field cpu_seconds)"$'\n'
		m=$(echo "$out" | field max_rss_mb)
		rss[$mode]=$(awk -v a="${rss[$mode]}" -v b="$m" 'BEGIN{print (b>a)?b:a}')
	done
done
echo "files $files, bytes $bytes, $compression level $level (best of $runs runs)"
for mode in $modes; do
	w=$(printf '%s' "${wall[$mode]}" | best)
	c=$(printf '%s' "${cpu[$mode]}" | best)
	printf '%-14s wall %7.2fs  cpu %7.2fs  peak RSS %5.0f MB\n' "$mode" "$w" "$c" "${rss[$mode]}"
done
ratio() { # ratio NAME A B: A's best wall and CPU over B's
	awk -v n="$1" -v aw="$(printf '%s' "${wall[$2]}" | best)" -v bw="$(printf '%s' "${wall[$3]}" | best)" \
		-v ac="$(printf '%s' "${cpu[$2]}" | best)" -v bc="$(printf '%s' "${cpu[$3]}" | best)" \
		'BEGIN{printf "%-18s wall x%.2f  cpu x%.2f\n", n, aw/bw, ac/bc}'
}
ratio "squash/floor" squash floor
ratio "squash/floor-every" squash floor-every
ratio "squash/noahead" squash squash-noahead
ratio "all/noahead" all all-noahead
ratio "all/floor-all" all floor-all
ratio "all/extract" all extract

#!/usr/bin/env bash
# Benchmark of whittle squash on a large synthetic image (6 layers, 300k
# files, about 1 GB uncompressed, gzip; deletions, opaque directories,
# overwrites). The image is generated once and cached (shared with
# scripts/bench-analyze.sh).
#
# In one run, as separate processes, it measures:
#   baseline: decompress and read every layer once, one layer at a time
#   squash:   squash.Squash, the 5 layers above the lowest merged into one
#   all:      squash.Squash, all 6 layers merged into one
#   zstd:     as squash, the merged layer compressed with zstd
#   extract:  go-containerregistry's mutate.Extract of all 6 layers,
#             gzip-compressed into one layer file (what "all" replaces)
# and prints wall and CPU time, their ratio to the baseline, and peak RSS.
#
#   scripts/bench-squash.sh [-files N] [-bytes N] [-runs N]
#
# Environment: WHITTLE_BENCH_DIR (default ~/.cache/whittle-bench) holds the
# image; TMPDIR receives the spool and the output layer. Never inside the
# repository.
set -euo pipefail
cd "$(dirname "$0")/.."
files=300000 bytes=1073741824 runs=1
while [ $# -gt 0 ]; do
	case "$1" in
	-files) files=$2; shift 2 ;;
	-bytes) bytes=$2; shift 2 ;;
	-runs) runs=$2; shift 2 ;;
	*) echo "usage: $0 [-files N] [-bytes N] [-runs N]" >&2; exit 2 ;;
	esac
done
dir=${WHITTLE_BENCH_DIR:-$HOME/.cache/whittle-bench}
mkdir -p "$dir"
bin=$(mktemp -d)/bench-squash
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/squash

img=$("$bin" -mode generate -dir "$dir" -files "$files" -bytes "$bytes" | sed -n 's/.*"image":"\([^"]*\)".*/\1/p')
echo "image: $img ($(du -sh "$img" | cut -f1) on disk)"
cat "$img"/blobs/sha256/* >/dev/null # warm the page cache

field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
best() { sort -g | head -1; }
modes="baseline squash all zstd extract"
declare -A wall cpu rss
for mode in $modes; do wall[$mode]=""; cpu[$mode]=""; rss[$mode]=0; done
for r in $(seq "$runs"); do
	for mode in $modes; do
		out=$("$bin" -mode "$mode" -image "$img" -tmp "${TMPDIR:-/tmp}")
		echo "run $r: $out"
		wall[$mode]+="$(echo "$out" | field seconds)"$'\n'
		cpu[$mode]+="$(echo "$out" | field cpu_seconds)"$'\n'
		m=$(echo "$out" | field max_rss_mb)
		rss[$mode]=$(awk -v a="${rss[$mode]}" -v b="$m" 'BEGIN{print (b>a)?b:a}')
	done
done
bw=$(printf '%s' "${wall[baseline]}" | best)
bc=$(printf '%s' "${cpu[baseline]}" | best)
echo "files $files, bytes $bytes (best of $runs runs; ratios to the baseline)"
for mode in $modes; do
	w=$(printf '%s' "${wall[$mode]}" | best)
	c=$(printf '%s' "${cpu[$mode]}" | best)
	awk -v m="$mode" -v w="$w" -v c="$c" -v bw="$bw" -v bc="$bc" -v r="${rss[$mode]}" 'BEGIN{
		printf "%-9s wall %7.2fs (x%5.2f)  cpu %7.2fs (x%5.2f)  peak RSS %5.0f MB\n", m, w, w/bw, c, c/bc, r }'
done

#!/usr/bin/env bash
# Benchmark of the layer cache (docs/cache.md) on the large synthetic image
# of scripts/bench-analyze.sh (6 layers, 300k files, about 1 GB
# uncompressed, gzip; a dpkg database of -packages packages).
#
# In one run, as separate processes, each run in turn measures:
#   nocache: account.Analyze with package attribution, as whittle analyze
#            runs it, without a cache
#   cold:    the same with an empty cache directory (every layer read and
#            its entry stored)
#   warm:    the same again on that directory (no layer content read)
# and prints wall and CPU time, peak RSS, the ratios cold/nocache and
# warm/nocache, and the size of the cache directory.
#
#   scripts/bench-cache.sh [-files N] [-bytes N] [-packages N] [-jobs N] [-runs N]
#
# Environment: WHITTLE_BENCH_DIR (default ~/.cache/whittle-bench) holds the
# image. Never inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
files=300000 bytes=1073741824 packages=1000 jobs=$(nproc) runs=2
while [ $# -gt 0 ]; do
	case "$1" in
	-files) files=$2; shift 2 ;;
	-bytes) bytes=$2; shift 2 ;;
	-packages) packages=$2; shift 2 ;;
	-jobs) jobs=$2; shift 2 ;;
	-runs) runs=$2; shift 2 ;;
	*) echo "usage: $0 [-files N] [-bytes N] [-packages N] [-jobs N] [-runs N]" >&2; exit 2 ;;
	esac
done
dir=${WHITTLE_BENCH_DIR:-$HOME/.cache/whittle-bench}
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/bench-analyze
go build -o "$bin" ./bench/analyze

img=$("$bin" -mode generate -dir "$dir" -files "$files" -bytes "$bytes" -packages "$packages" | sed -n 's/.*"image":"\([^"]*\)".*/\1/p')
echo "image: $img ($(du -sh "$img" | cut -f1) on disk)"
cat "$img"/blobs/sha256/* > /dev/null # warm the page cache

field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
best() { sort -g | awk 'NR == 1'; }
declare -A wall cpu rss
modes="nocache cold warm"
for mode in $modes; do wall[$mode]=""; cpu[$mode]=""; rss[$mode]=0; done
for r in $(seq "$runs"); do
	cache=$tmp/cache-$r
	for mode in $modes; do
		case $mode in
		nocache) out=$("$bin" -mode analyze -attribute -image "$img" -jobs "$jobs") ;;
		*) out=$("$bin" -mode analyze -attribute -cache "$cache" -image "$img" -jobs "$jobs") ;;
		esac
		echo "run $r $mode: $out"
		wall[$mode]+="$(echo "$out" | field seconds)"$'\n'
		cpu[$mode]+="$(echo "$out" | field cpu_seconds)"$'\n'
		m=$(echo "$out" | field max_rss_mb)
		rss[$mode]=$(awk -v a="${rss[$mode]}" -v b="$m" 'BEGIN{print (b>a)?b:a}')
	done
	echo "run $r cache directory: $(du -sb "$cache" | cut -f1) bytes"
done
nw=$(printf '%s' "${wall[nocache]}" | best) nc=$(printf '%s' "${cpu[nocache]}" | best)
cw=$(printf '%s' "${wall[cold]}" | best) cc=$(printf '%s' "${cpu[cold]}" | best)
ww=$(printf '%s' "${wall[warm]}" | best) wc=$(printf '%s' "${cpu[warm]}" | best)
awk -v nw="$nw" -v nc="$nc" -v cw="$cw" -v cc="$cc" -v ww="$ww" -v wc="$wc" -v nr="${rss[nocache]}" -v cr="${rss[cold]}" -v wr="${rss[warm]}" -v j="$jobs" -v f="$files" 'BEGIN{
	printf "files %d, jobs %d (best of runs)\n", f, j
	printf "nocache: wall %.2fs cpu %.2fs peak RSS %.0f MB\n", nw, nc, nr
	printf "cold:    wall %.2fs cpu %.2fs peak RSS %.0f MB\n", cw, cc, cr
	printf "warm:    wall %.2fs cpu %.2fs peak RSS %.0f MB\n", ww, wc, wr
	printf "ratio cold/nocache: wall %.2f, cpu %.2f\n", cw/nw, cc/nc
	printf "ratio warm/nocache: wall %.2f, cpu %.2f\n", ww/nw, wc/nc
}'

#!/usr/bin/env bash
# Benchmark of whittle diff on two large synthetic images (each 6 layers,
# 300k files, about 1 GB uncompressed, gzip, a dpkg database of 1,000
# packages). The images are generated once and cached.
#
# In one run, as separate processes, alternating, it measures:
#   analyze old, analyze new, analyze mix: account.Analyze of each image
#             alone, as whittle analyze runs it
#   diff new: diff.Diff of old and new, which hold no layer in common
#   diff mix: diff.Diff of old and mix (old's three bottom layers under
#             new's three top ones), which share three layers, read once
# and prints the ratio of each diff to analyzing both of its images (the
# sum of the two analyses' wall and CPU times; target <= 2), and the peak
# RSS of each.
#
#   scripts/bench-diff.sh [-files N] [-bytes N] [-jobs N] [-runs N]
#
# Environment: WHITTLE_BENCH_DIR (default ~/.cache/whittle-bench) holds the
# images. Never inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
files=300000 bytes=1073741824 jobs=$(nproc) runs=2
while [ $# -gt 0 ]; do
	case "$1" in
	-files) files=$2; shift 2 ;;
	-bytes) bytes=$2; shift 2 ;;
	-jobs) jobs=$2; shift 2 ;;
	-runs) runs=$2; shift 2 ;;
	*) echo "usage: $0 [-files N] [-bytes N] [-jobs N] [-runs N]" >&2; exit 2 ;;
	esac
done
dir=${WHITTLE_BENCH_DIR:-$HOME/.cache/whittle-bench}
mkdir -p "$dir"
bin=$(mktemp -d)/bench-diff
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/diff

gen=$("$bin" -mode generate -dir "$dir" -files "$files" -bytes "$bytes")
path() { echo "$gen" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
old=$(path old) new=$(path new) mix=$(path mix)
for p in "$old" "$new" "$mix"; do echo "image: $p ($(du -sh "$p" | cut -f1) on disk)"; done

field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
best() { sort -g | awk 'NR == 1'; }
declare -A wall cpu rss
modes="analyze-old analyze-new analyze-mix diff-new diff-mix"
for mode in $modes; do wall[$mode]=""; cpu[$mode]=""; rss[$mode]=0; done
for r in $(seq "$runs"); do
	for mode in $modes; do
		cat "$old"/blobs/sha256/* "$new"/blobs/sha256/* "$mix"/blobs/sha256/* > /dev/null # the page cache warm for all
		case $mode in
		analyze-old) out=$("$bin" -mode analyze -image "$old" -jobs "$jobs") ;;
		analyze-new) out=$("$bin" -mode analyze -image "$new" -jobs "$jobs") ;;
		analyze-mix) out=$("$bin" -mode analyze -image "$mix" -jobs "$jobs") ;;
		diff-new) out=$("$bin" -mode diff -old "$old" -new "$new" -jobs "$jobs") ;;
		diff-mix) out=$("$bin" -mode diff -old "$old" -new "$mix" -jobs "$jobs") ;;
		esac
		echo "run $r $mode: $out"
		wall[$mode]+="$(echo "$out" | field seconds)"$'\n'
		cpu[$mode]+="$(echo "$out" | field cpu_seconds)"$'\n'
		m=$(echo "$out" | field max_rss_mb)
		rss[$mode]=$(awk -v a="${rss[$mode]}" -v b="$m" 'BEGIN{print (b>a)?b:a}')
	done
done
declare -A bw bc
for mode in $modes; do
	bw[$mode]=$(printf '%s' "${wall[$mode]}" | best) bc[$mode]=$(printf '%s' "${cpu[$mode]}" | best)
	printf '%-12s wall %6.2fs cpu %6.2fs peak RSS %5.0f MB\n' "$mode" "${bw[$mode]}" "${bc[$mode]}" "${rss[$mode]}"
done
awk -v ao="${bw[analyze-old]}" -v an="${bw[analyze-new]}" -v am="${bw[analyze-mix]}" -v dn="${bw[diff-new]}" -v dm="${bw[diff-mix]}" \
	-v cao="${bc[analyze-old]}" -v can="${bc[analyze-new]}" -v cam="${bc[analyze-mix]}" -v cdn="${bc[diff-new]}" -v cdm="${bc[diff-mix]}" -v j="$jobs" -v f="$files" 'BEGIN{
	printf "files %d per image, jobs %d (best of runs)\n", f, j
	printf "ratio diff/(analyze old + analyze new), no layer shared: wall %.2f, cpu %.2f (target <= 2)\n", dn/(ao+an), cdn/(cao+can)
	printf "ratio diff/(analyze old + analyze mix), 3 of 6 layers shared: wall %.2f, cpu %.2f (target <= 2)\n", dm/(ao+am), cdm/(cao+cam)
}'

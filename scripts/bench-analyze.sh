#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Benchmark of whittle analyze on a large synthetic image (6 layers, 300k
# files, about 1 GB uncompressed, gzip; deletions, opaque directories,
# overwrites, duplicates). The image is generated once and cached.
#
# In one run, as separate processes, it measures:
#   baseline: decompress and read every layer once (same parallelism)
#   analyze:  account.Analyze as whittle analyze runs it (diff_ids and
#             blob lengths checked, every file hashed, the merged tree,
#             caches, duplicates and dive's figures)
#   analyze-nodup: the same without the duplicate search (no per-file
#             hash), to show what that costs
#   analyze-verify: the same with the sha256 of every compressed blob
#             checked too (whittle analyze --verify-blobs)
#   analyze-packages: analyze with package attribution (the package
#             databases captured as the layers stream, then
#             packages.Attribute over every visible file); the image holds
#             a dpkg database of -packages packages (default 1000) owning
#             about half the visible files
# and prints wall and CPU time ratios and the peak RSS of each.
#
#   scripts/bench-analyze.sh [-files N] [-bytes N] [-packages N] [-jobs N] [-runs N]
#
# Environment: WHITTLE_BENCH_DIR (default ~/.cache/whittle-bench) holds the
# image. Never inside the repository.
#
# Real-image mode:
#
#   scripts/bench-analyze.sh -real [-save TAR] [-dive PATH] [-jobs N] [-runs N] [-cpuprofile FILE]
#
# measures, on the `docker save` archive TAR (uncompressed layers; default
# WHITTLE_BENCH_DIR/real-debian.tar, built when missing: see
# build_real_image below, which needs root and the Docker Engine), in one
# run, as separate processes, alternating:
#   sha256:  the sha256 of every layer's stream, each once, as analyze reads
#            it, with the same parallelism: the floor of an analysis that
#            verifies every layer
#   analyze: account.Analyze as whittle analyze runs it
#   analyze-packages: the same with package attribution (the package
#            databases captured as the layers stream, then
#            packages.Attribute), as whittle analyze runs by default
#   dive:    with -dive PATH (a dive binary, or a directory of dive's Go
#            source, built to a temporary directory), dive's CI mode on the
#            same archive (`dive --ci --source docker-archive TAR`, its rules
#            turned off); without -dive, the output says dive was not run
# and prints the ratios analyze/sha256 (target <= 1.3), dive/analyze
# (target >= 5) and analyze-packages/analyze (target <= 1.10), with the peak RSS of each. -cpuprofile writes the CPU
# profile of one more, untimed, analyze.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = -real ]; then
	shift
	# shellcheck source=lib/bench-real.sh
	. scripts/lib/bench-real.sh
	real_main "$@"
	exit
fi
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
bin=$(mktemp -d)/bench-analyze
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/analyze

img=$("$bin" -mode generate -dir "$dir" -files "$files" -bytes "$bytes" -packages "$packages" | sed -n 's/.*"image":"\([^"]*\)".*/\1/p')
echo "image: $img ($(du -sh "$img" | cut -f1) on disk)"
cat "$img"/blobs/sha256/* > /dev/null # warm the page cache

field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
best() { sort -g | awk 'NR == 1'; }
declare -A wall cpu rss
modes="baseline analyze analyze-nodup analyze-verify analyze-packages"
for mode in $modes; do wall[$mode]=""; cpu[$mode]=""; rss[$mode]=0; done
for r in $(seq "$runs"); do
	for mode in $modes; do
		case $mode in
		analyze-nodup) out=$("$bin" -mode analyze -duplicates=false -image "$img" -jobs "$jobs") ;;
		analyze-verify) out=$("$bin" -mode analyze -verify-blobs -image "$img" -jobs "$jobs") ;;
		analyze-packages) out=$("$bin" -mode analyze -attribute -image "$img" -jobs "$jobs") ;;
		*) out=$("$bin" -mode "$mode" -image "$img" -jobs "$jobs") ;;
		esac
		echo "run $r: $out"
		wall[$mode]+="$(echo "$out" | field seconds)"$'\n'
		cpu[$mode]+="$(echo "$out" | field cpu_seconds)"$'\n'
		m=$(echo "$out" | field max_rss_mb)
		rss[$mode]=$(awk -v a="${rss[$mode]}" -v b="$m" 'BEGIN{print (b>a)?b:a}')
	done
done
bw=$(printf '%s' "${wall[baseline]}" | best) aw=$(printf '%s' "${wall[analyze]}" | best)
bc=$(printf '%s' "${cpu[baseline]}" | best) ac=$(printf '%s' "${cpu[analyze]}" | best)
nw=$(printf '%s' "${wall[analyze-nodup]}" | best) nc=$(printf '%s' "${cpu[analyze-nodup]}" | best)
vw=$(printf '%s' "${wall[analyze-verify]}" | best) vc=$(printf '%s' "${cpu[analyze-verify]}" | best)
pw=$(printf '%s' "${wall[analyze-packages]}" | best) pc=$(printf '%s' "${cpu[analyze-packages]}" | best)
awk -v bw="$bw" -v aw="$aw" -v bc="$bc" -v ac="$ac" -v nw="$nw" -v nc="$nc" -v vw="$vw" -v vc="$vc" -v pw="$pw" -v pc="$pc" -v br="${rss[baseline]}" -v ar="${rss[analyze]}" -v nr="${rss[analyze-nodup]}" -v vr="${rss[analyze-verify]}" -v pr="${rss[analyze-packages]}" -v j="$jobs" -v f="$files" 'BEGIN{
	printf "files %d, jobs %d (best of runs)\n", f, j
	printf "baseline:      wall %.2fs cpu %.2fs peak RSS %.0f MB\n", bw, bc, br
	printf "analyze:       wall %.2fs cpu %.2fs peak RSS %.0f MB\n", aw, ac, ar
	printf "analyze-nodup: wall %.2fs cpu %.2fs peak RSS %.0f MB\n", nw, nc, nr
	printf "analyze-verify: wall %.2fs cpu %.2fs peak RSS %.0f MB\n", vw, vc, vr
	printf "analyze-packages: wall %.2fs cpu %.2fs peak RSS %.0f MB\n", pw, pc, pr
	printf "ratio analyze/baseline: wall %.2f, cpu %.2f (target <= 1.3); peak RSS %.0f MB (target < 400)\n", aw/bw, ac/bc, ar
	printf "ratio analyze-nodup/baseline: wall %.2f, cpu %.2f\n", nw/bw, nc/bc
	printf "ratio analyze-verify/baseline: wall %.2f, cpu %.2f\n", vw/bw, vc/bc
	printf "ratio analyze-packages/analyze: wall %.3f, cpu %.3f (target <= 1.10)\n", pw/aw, pc/ac
}'

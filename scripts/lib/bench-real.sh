# shellcheck shell=bash source-path=SCRIPTDIR
# The real-image mode of scripts/bench-analyze.sh (see its header): builds a
# naive Debian image of about 1 GB with the Docker Engine when no archive is
# given, saves it uncompressed, and measures analyze against the sha256 of
# every layer (and dive, when given) in one run.

# shellcheck source=common.sh
. scripts/lib/common.sh
# shellcheck source=debian.sh
. scripts/lib/debian.sh
# shellcheck source=images.sh
. scripts/lib/images.sh

REAL_RUN=""  # the build's run directory (dockerd's state and socket)

real_cleanup() {
	local rc=$?
	set +e
	[ "${#SVC_NAMES[@]}" -eq 0 ] || svc_stop_all
	if [ -n "$REAL_RUN" ]; then
		umount_under "$REAL_RUN"
		rm -rf "$REAL_RUN"
	fi
	[ -z "${REAL_BIN:-}" ] || rm -rf "$REAL_BIN"
	exit "$rc"
}

# build_real_image DEST: build the naive image with a dockerd of our own
# (its state in a run directory, stopped by PID) from the local Debian base
# (debootstrap, cached as the end-to-end tier caches it; no registry), and
# `docker save` it, uncompressed, to DEST (through a temporary file).
# Layers (about 1.1 GB in all): the base (200 MB); apt-get install of a
# toolchain, recommended packages and package lists included (730 MB, the
# layer that dominates); a 100 MB file added, then deleted in the next
# layer; a copy of the documentation and of Python's library (duplicates).
build_real_image() {
	local dest=$1 ctx
	[ "$(id -u)" -eq 0 ] || die "building the real image needs root (or pass -save TAR)"
	apt_ensure docker.io debootstrap
	REAL_RUN=$(mktemp -d /tmp/wbr.XXXXXX)
	mkdir -p "$REAL_RUN/root" "$REAL_RUN/exec" "$REAL_RUN/logs"
	svc_start dockerd "$REAL_RUN/logs/dockerd.log" \
		dockerd --bridge=none --iptables=false --ip-masq=false \
		--data-root "$REAL_RUN/root" --exec-root "$REAL_RUN/exec" \
		-H "unix://$REAL_RUN/docker.sock" --pidfile "$REAL_RUN/dockerd.pid"
	svc_also_stop containerd "$REAL_RUN/exec/containerd/containerd.pid"
	export DOCKER_HOST=unix://$REAL_RUN/docker.sock DOCKER_BUILDKIT=0
	WAIT_SERVICE=dockerd wait_until 60 "dockerd on $DOCKER_HOST" docker version
	debian_base_tar "${E2E_CACHE:-/var/cache/whittle-e2e}" \
		"${E2E_DEBIAN_MIRROR:-http://deb.debian.org/debian}" "$REAL_RUN" "$REAL_RUN/logs/debootstrap.log"
	docker import "$DEBIAN_BASE_TAR" local/debian:bookworm >/dev/null
	ctx=$REAL_RUN/ctx
	mkdir -p "$ctx"
	head -c 100M /dev/urandom >"$ctx/data.bin"
	cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM local/debian:bookworm
RUN apt-get update && apt-get install -y build-essential python3 git curl ca-certificates
COPY data.bin /opt/data.bin
RUN rm /opt/data.bin
RUN cp -a /usr/share/doc /opt/doc-copy && cp -a /usr/lib/python3 /opt/python3-copy
DOCKERFILE
	log "docker build of the real image (apt-get from Debian's archive; a few minutes)"
	img_build whittle-bench/real-debian:latest "$ctx"
	docker save -o "$dest.tmp.$$" whittle-bench/real-debian:latest
	mv "$dest.tmp.$$" "$dest"
	log "saved $dest ($(stat -c %s "$dest") bytes)"
	svc_stop_all
	umount_under "$REAL_RUN"
	rm -rf "$REAL_RUN"
	REAL_RUN=""
}

real_main() {
	local save="" dive="" jobs runs=3 profile="" dir
	jobs=$(nproc)
	while [ $# -gt 0 ]; do
		case "$1" in
		-save) save=$2; shift 2 ;;
		-dive) dive=$2; shift 2 ;;
		-jobs) jobs=$2; shift 2 ;;
		-runs) runs=$2; shift 2 ;;
		-cpuprofile) profile=$2; shift 2 ;;
		*) echo "usage: $0 -real [-save TAR] [-dive PATH] [-jobs N] [-runs N] [-cpuprofile FILE]" >&2; exit 2 ;;
		esac
	done
	trap real_cleanup EXIT
	REAL_BIN=$(mktemp -d)
	dir=${WHITTLE_BENCH_DIR:-$HOME/.cache/whittle-bench}
	mkdir -p "$dir"
	if [ -z "$save" ]; then
		save=$dir/real-debian.tar
		[ -s "$save" ] || build_real_image "$save"
	fi
	[ -s "$save" ] || die "no archive at $save"
	save=$(realpath "$save")
	go build -o "$REAL_BIN/bench-analyze" ./bench/analyze
	local bin=$REAL_BIN/bench-analyze modes="sha256 analyze analyze-packages"
	if [ -n "$dive" ]; then
		if [ -d "$dive" ]; then
			(cd "$dive" && go build -o "$REAL_BIN/dive" .) || die "could not build dive from $dive"
			dive=$REAL_BIN/dive
		fi
		[ -x "$dive" ] || die "$dive is not an executable"
		modes="$modes dive"
	fi
	echo "archive: $save ($(du -h "$save" | cut -f1)), layers (uncompressed bytes):"
	local l
	tar -xOf "$save" manifest.json | jq -r '.[0].Layers[]' | while read -r l; do
		tar -tvf "$save" "$l" | awk '{ printf "  %s %d\n", $6, $3 }'
	done
	cat "$save" >/dev/null # warm the page cache

	field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }
	declare -A wall cpu rss
	local mode r out m
	for mode in $modes; do wall[$mode]=""; cpu[$mode]=""; rss[$mode]=0; done
	for r in $(seq "$runs"); do
		for mode in $modes; do
			case $mode in
			dive) out=$(CI=true "$bin" -mode exec -- "$dive" --ci --source docker-archive \
				--lowestEfficiency=0 --highestWastedBytes=disabled --highestUserWastedPercent=disabled "$save" 2>/dev/null) ;;
			analyze-packages) out=$("$bin" -mode analyze -attribute -ref "docker-archive:$save" -jobs "$jobs") ;;
			*) out=$("$bin" -mode "$mode" -ref "docker-archive:$save" -jobs "$jobs") ;;
			esac
			echo "run $r: $out"
			wall[$mode]+="$(echo "$out" | field seconds)"$'\n'
			cpu[$mode]+="$(echo "$out" | field cpu_seconds)"$'\n'
			m=$(echo "$out" | field max_rss_mb)
			rss[$mode]=$(awk -v a="${rss[$mode]}" -v b="$m" 'BEGIN{print (b>a)?b:a}')
		done
	done
	if [ -n "$profile" ]; then
		"$bin" -mode analyze -ref "docker-archive:$save" -jobs "$jobs" -cpuprofile "$profile" >/dev/null
		echo "CPU profile of one more analyze: $profile"
	fi
	best() { printf '%s' "$1" | sort -g | head -1; }
	local sw sc aw ac pw pc dw="" dc=""
	sw=$(best "${wall[sha256]}") sc=$(best "${cpu[sha256]}")
	aw=$(best "${wall[analyze]}") ac=$(best "${cpu[analyze]}")
	echo "jobs $jobs, best of $runs runs"
	printf 'sha256 of every layer: wall %.2fs cpu %.2fs peak RSS %.0f MB\n' "$sw" "$sc" "${rss[sha256]}"
	printf 'analyze:               wall %.2fs cpu %.2fs peak RSS %.0f MB\n' "$aw" "$ac" "${rss[analyze]}"
	awk -v sw="$sw" -v aw="$aw" -v sc="$sc" -v ac="$ac" 'BEGIN{
		printf "ratio analyze/sha256: wall %.2f, cpu %.2f (target <= 1.3)\n", aw/sw, ac/sc }'
	pw=$(best "${wall[analyze-packages]}") pc=$(best "${cpu[analyze-packages]}")
	printf 'analyze with packages: wall %.2fs cpu %.2fs peak RSS %.0f MB\n' "$pw" "$pc" "${rss[analyze-packages]}"
	awk -v pw="$pw" -v aw="$aw" -v pc="$pc" -v ac="$ac" 'BEGIN{
		printf "ratio analyze-packages/analyze: wall %.3f, cpu %.3f (target <= 1.10)\n", pw/aw, pc/ac }'
	if [ -n "$dive" ]; then
		dw=$(best "${wall[dive]}") dc=$(best "${cpu[dive]}")
		printf 'dive:                  wall %.2fs cpu %.2fs peak RSS %.0f MB\n' "$dw" "$dc" "${rss[dive]}"
		awk -v dw="$dw" -v aw="$aw" -v dc="$dc" -v ac="$ac" 'BEGIN{
			printf "ratio dive/analyze: wall %.2f, cpu %.2f (target >= 5)\n", dw/aw, dc/ac }'
	else
		echo "dive: not run (no -dive PATH given)"
	fi
}

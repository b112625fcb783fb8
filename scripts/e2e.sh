#!/usr/bin/env bash
# End-to-end tier: whittle against a real Docker Engine, a real registry,
# skopeo and umoci. See docs/testing.md.
#
# It installs what it needs (Debian packages), builds whittle, starts its own
# dockerd and registry (each with its own state under a run directory, stopped
# by PID when the script ends, however it ends), makes local base images, and
# runs every scripts/e2e.d/*.sh in name order with:
#
#   DOCKER_HOST   unix socket of the dockerd started here
#   WHITTLE       path of the whittle binary built from this tree
#   REGISTRY      host:port of the plain-HTTP registry on loopback
#   E2E_WORK      an empty scratch directory, one per script
#   E2E_SRC       the repository root
#   E2E_LIB       scripts/lib (common.sh, assert.sh, images.sh, debian.sh)
#   DEBIAN_BASE   local/debian:bookworm (debootstrap minbase, imported)
#   BUSYBOX_BASE  local/busybox:latest (busybox-static, imported)
#   DEBIAN_BASE_TAR  the tar DEBIAN_BASE was imported from
#
# Knobs (environment):
#   E2E_ONLY=PATTERN        run only scripts whose file name matches the glob
#                           (e.g. '10-*' or '*squash*')
#   E2E_DIR=DIR             where run directories go (default: <repo>/.e2e)
#   E2E_CACHE=DIR           cache of the Debian base tar (default
#                           /var/cache/whittle-e2e)
#   E2E_KEEP=1              keep the run directory (images, logs) afterwards
#   E2E_SCRIPT_TIMEOUT=SEC  limit for one script (default 1800)
#   E2E_DEBIAN_MIRROR=URL   debootstrap mirror (default http://deb.debian.org/debian)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E_LIB=$E2E_SRC/scripts/lib
# shellcheck source=lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=lib/debian.sh
. "$E2E_LIB/debian.sh"

E2E_DIR=${E2E_DIR:-$E2E_SRC/.e2e}
E2E_CACHE=${E2E_CACHE:-/var/cache/whittle-e2e}
E2E_SCRIPT_TIMEOUT=${E2E_SCRIPT_TIMEOUT:-1800}
E2E_DEBIAN_MIRROR=${E2E_DEBIAN_MIRROR:-http://deb.debian.org/debian}
E2E_ONLY=${E2E_ONLY:-*}

PACKAGES=(
	docker.io docker-registry skopeo umoci debootstrap busybox-static
	jq curl ca-certificates tar gzip coreutils findutils util-linux chromium git gpg gpg-agent
)

RUN=""    # this run's directory under E2E_DIR (state, logs, scratch)
SHORT=""  # a short directory under /tmp for sockets (unix paths are limited)
FAILED_SERVICES=0
PHASE=setup
SCRIPT_PID="" # the e2e.d script running now (its timeout process)

# ---------------------------------------------------------------- cleanup

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$SCRIPT_PID" ]; then
		stop_pid "running script" "$SCRIPT_PID"
	fi
	if [ "${#SVC_NAMES[@]}" -gt 0 ]; then
		step "stopping services"
		local name dead=0
		for name in "${SVC_NAMES[@]}"; do
			svc_alive "$name" || dead=1
		done
		# Service logs help when a service died or the setup failed; a
		# failing script has its own log above.
		if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ "$PHASE" != scripts ]; then
			svc_logs 80
		elif [ "$dead" -ne 0 ]; then
			svc_logs 80 dead
		fi
		svc_stop_all
	fi
	[ -z "$SHORT" ] || umount_under "$SHORT"
	if [ -n "$RUN" ]; then
		umount_under "$RUN"
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			log "kept $RUN"
		else
			rm -rf "$RUN"
		fi
	fi
	[ -z "$SHORT" ] || rm -rf "$SHORT"
	log "e2e exit status $rc"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- setup steps

# remove_stale_runs: run directories of earlier runs whose script is gone (the
# PID in their pid file is not running): unmount what they left, delete them.
remove_stale_runs() {
	local d
	for d in "$E2E_DIR"/run.*; do
		[ -d "$d" ] || continue
		if [ -s "$d/pid" ] && kill -0 "$(cat "$d/pid")" 2>/dev/null; then
			continue # a run in progress
		fi
		log "removing stale run directory $d"
		umount_under "$d"
		rm -rf "$d"
	done
	# Socket directories of runs that were killed: no live dockerd, and an
	# hour old (a run being set up now has a new one).
	for d in /tmp/wte.*; do
		[ -d "$d" ] || continue
		[ -n "$(find "$d" -maxdepth 0 -mmin +60)" ] || continue
		if [ -s "$d/dockerd.pid" ] && kill -0 "$(cat "$d/dockerd.pid")" 2>/dev/null; then
			continue
		fi
		umount_under "$d"
		rm -rf "$d"
	done
}

install_packages() {
	step "packages"
	apt_ensure "${PACKAGES[@]}"
	local c
	for c in dockerd docker docker-registry skopeo umoci debootstrap jq curl chromium; do
		have "$c" || die "$c not found after installing packages"
	done
	have busybox || [ -x /bin/busybox ] || die "busybox not found after installing busybox-static"
}

build_whittle() {
	step "building whittle"
	have go || PATH=$PATH:/usr/local/go/bin
	have go || die "go not found"
	mkdir -p "$RUN/bin"
	(cd "$E2E_SRC" && go build -o "$RUN/bin/whittle" ./cmd/whittle)
	WHITTLE=$RUN/bin/whittle
	log "built $WHITTLE ($(stat -c %s "$WHITTLE") bytes)"
	# Use the Docker CLI that came with the engine, whatever else is on PATH.
	if [ -x /usr/bin/docker ]; then
		ln -sf /usr/bin/docker "$RUN/bin/docker"
	fi
	PATH=$RUN/bin:$PATH
}

start_dockerd() {
	step "dockerd"
	local d=$RUN/docker
	mkdir -p "$d/root" "$SHORT/exec"
	svc_start dockerd "$RUN/logs/dockerd.log" \
		dockerd --bridge=none --iptables=false --ip-masq=false \
		--data-root "$d/root" --exec-root "$SHORT/exec" \
		-H "unix://$SHORT/docker.sock" --pidfile "$SHORT/dockerd.pid"
	# dockerd starts its own containerd when none runs; stop it too if it
	# outlives dockerd.
	svc_also_stop containerd "$SHORT/exec/containerd/containerd.pid"
	export DOCKER_HOST=unix://$SHORT/docker.sock
	WAIT_SERVICE=dockerd wait_until 60 "dockerd on $DOCKER_HOST" docker version
	log "docker: $(docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}'), storage driver $(docker info --format '{{.Driver}}')"
}

start_registry() {
	step "registry"
	local port
	port=$(pick_port 5000)
	REGISTRY=127.0.0.1:$port
	mkdir -p "$RUN/registry/data"
	cat >"$RUN/registry/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $RUN/registry/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
	svc_start registry "$RUN/logs/registry.log" docker-registry serve "$RUN/registry/config.yml"
	WAIT_SERVICE=registry wait_until 30 "registry on $REGISTRY" curl -fsS "http://$REGISTRY/v2/"
	# Another process could have taken the port between the check and the
	# start: then our registry exits with "address already in use".
	sleep 0.5
	svc_alive registry || die "registry exited (port $port taken?)"
}

make_base_images() {
	step "base images"
	debian_base_tar "$E2E_CACHE" "$E2E_DEBIAN_MIRROR" "$RUN" "$RUN/logs/debootstrap.log"
	DEBIAN_BASE=local/debian:bookworm
	docker import "$DEBIAN_BASE_TAR" "$DEBIAN_BASE" >/dev/null
	log "imported $DEBIAN_BASE from $DEBIAN_BASE_TAR"

	local bb=$RUN/busybox-rootfs busybox_bin applet
	busybox_bin=$(command -v busybox || echo /bin/busybox)
	mkdir -p "$bb/bin" "$bb/etc" "$bb/root" "$bb/tmp"
	chmod 1777 "$bb/tmp"
	cp "$busybox_bin" "$bb/bin/busybox"
	for applet in $("$bb/bin/busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$bb/bin/$applet"
	done
	tar -C "$bb" --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name \
		-cf "$RUN/busybox.tar" .
	BUSYBOX_BASE=local/busybox:latest
	docker import "$RUN/busybox.tar" "$BUSYBOX_BASE" >/dev/null
	rm -rf "$bb"
	log "imported $BUSYBOX_BASE ($(stat -c %s "$busybox_bin")-byte busybox)"
}

# ---------------------------------------------------------------- scripts

run_scripts() {
	step "end-to-end scripts (E2E_ONLY=$E2E_ONLY)"
	local scripts=() s name rc start passed=() failed=()
	for s in "$E2E_SRC"/scripts/e2e.d/*.sh; do
		[ -f "$s" ] || continue
		name=$(basename "$s")
		# shellcheck disable=SC2053 # E2E_ONLY is a glob on purpose
		[[ $name == $E2E_ONLY ]] && scripts+=("$s")
	done
	[ "${#scripts[@]}" -gt 0 ] || die "no script in scripts/e2e.d matches '$E2E_ONLY'"

	export DOCKER_HOST WHITTLE REGISTRY E2E_SRC E2E_LIB DEBIAN_BASE BUSYBOX_BASE DEBIAN_BASE_TAR
	export DOCKER_BUILDKIT=0 PATH
	# whittle's layer cache (docs/cache.md) is the run's, shared by its
	# scripts: later scripts read warm what earlier ones cached.
	export XDG_CACHE_HOME=$RUN/cache
	local results=()
	for s in "${scripts[@]}"; do
		name=$(basename "$s" .sh)
		E2E_WORK=$RUN/work/$name
		mkdir -p "$E2E_WORK"
		export E2E_WORK
		step "$name"
		start=$SECONDS
		rc=0
		# In the background, so that a signal to this script is handled at
		# once (bash runs traps only between foreground commands).
		(cd "$E2E_WORK" && exec timeout -k 30 "$E2E_SCRIPT_TIMEOUT" bash "$s") </dev/null \
			> >(tee "$RUN/logs/$name.log") 2>&1 &
		SCRIPT_PID=$!
		wait "$SCRIPT_PID" || rc=$?
		SCRIPT_PID=""
		if [ "$rc" -eq 124 ]; then
			warn "$name timed out after ${E2E_SCRIPT_TIMEOUT}s"
		fi
		for svc in dockerd registry; do
			if ! svc_alive "$svc"; then
				warn "$svc died during $name"
				FAILED_SERVICES=1
				[ "$rc" -ne 0 ] || rc=1
			fi
		done
		if [ "$rc" -eq 0 ]; then
			passed+=("$name")
			results+=("$(printf 'PASS  %-28s %5ds' "$name" $((SECONDS - start)))")
		else
			failed+=("$name")
			results+=("$(printf 'FAIL  %-28s %5ds  (exit %s, log above)' "$name" $((SECONDS - start)) "$rc")")
		fi
		[ "${E2E_KEEP:-0}" = 1 ] || rm -rf "$E2E_WORK"
		if [ "$FAILED_SERVICES" -ne 0 ]; then
			warn "a service died: not running the remaining scripts"
			break
		fi
	done

	step "summary"
	printf '%s\n' "${results[@]}"
	local skipped=$((${#scripts[@]} - ${#passed[@]} - ${#failed[@]}))
	[ "$skipped" -eq 0 ] || printf 'not run: %d script(s)\n' "$skipped"
	printf 'e2e: %d passed, %d failed\n' "${#passed[@]}" $((${#failed[@]} + skipped))
	[ "${#failed[@]}" -eq 0 ] && [ "$skipped" -eq 0 ]
}

# ---------------------------------------------------------------- main

main() {
	[ "$(id -u)" -eq 0 ] || die "the end-to-end tier runs as root (it installs packages and starts dockerd)"
	mkdir -p "$E2E_DIR"
	remove_stale_runs
	RUN=$(mktemp -d "$E2E_DIR/run.XXXXXX")
	SHORT=$(mktemp -d /tmp/wte.XXXXXX)
	echo "$$" >"$RUN/pid"
	mkdir -p "$RUN/logs" "$RUN/work"
	log "run directory $RUN"

	install_packages
	build_whittle
	start_dockerd
	start_registry
	make_base_images
	PHASE=scripts
	run_scripts
}

main "$@"

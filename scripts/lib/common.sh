# shellcheck shell=bash
# Shared shell helpers for whittle's scripts: logging, package installs,
# waiting, and services started in the background and stopped by PID.
#
# Source it from bash with `set -euo pipefail` in force:
#   . "$E2E_SRC/scripts/lib/common.sh"
# It defines functions only (and a few arrays for the service list); it starts
# nothing and changes no option of the calling shell.

# ---------------------------------------------------------------- logging

# log MSG...: a progress line on stderr, with the seconds since the script began.
log() { printf '[%4ds] %s\n' "$SECONDS" "$*" >&2; }

# step TITLE: a section header.
step() { printf '\n[%4ds] ==== %s\n' "$SECONDS" "$*" >&2; }

# warn MSG...: a warning on stderr.
warn() { printf '[%4ds] WARNING: %s\n' "$SECONDS" "$*" >&2; }

# die MSG...: print an error and exit 1 (the EXIT trap of the caller still runs).
die() {
	printf '[%4ds] ERROR: %s\n' "$SECONDS" "$*" >&2
	exit 1
}

# have CMD: whether CMD is on PATH.
have() { command -v "$1" >/dev/null 2>&1; }

# take N: the first N lines of standard input. Unlike head, it reads its input
# to the end, so the command before it in a pipeline never dies of SIGPIPE
# (exit 141, which pipefail makes the pipeline's status).
take() { awk -v n="$1" 'NR <= n'; }

# ---------------------------------------------------------------- packages

# pkg_installed PKG: whether the Debian package PKG is installed.
pkg_installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == *'install ok installed'* ]]
}

# apt_ensure PKG...: install the Debian packages that are not installed yet;
# nothing is downloaded when all are there. Services that the packages would
# start (dockerd, the registry) are kept from starting: scripts start their own.
apt_ensure() {
	local p missing=()
	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		log "packages already installed: $*"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "installing ${missing[*]} needs root"
	log "installing: ${missing[*]}"
	# A policy-rc.d that refuses every service start, only for the time of the
	# install and only if the machine has none of its own.
	local policy=/usr/sbin/policy-rc.d made_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made_policy=1
	fi
	local rc=0 apt_log apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
	apt_log=$(mktemp /tmp/apt-ensure.XXXXXX.log)
	local try
	for try in 1 2 3; do
		rc=0
		{
			timeout 600 apt-get "${apt_opts[@]}" update -q &&
				DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 timeout 1200 \
					apt-get "${apt_opts[@]}" install -y -q "${missing[@]}"
		} >>"$apt_log" 2>&1 || rc=$?
		[ "$rc" -ne 0 ] || break
		warn "apt-get failed (exit $rc, try $try of 3)"
		sleep $((try * 5))
		# An install cut short leaves dpkg half-configured; finish it.
		DEBIAN_FRONTEND=noninteractive timeout 600 dpkg --configure -a >>"$apt_log" 2>&1 || true
	done
	if [ "$made_policy" -eq 1 ]; then rm -f "$policy"; fi
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$apt_log" >&2
		die "apt-get could not install ${missing[*]} (exit $rc; log $apt_log)"
	fi
	log "installed (log $apt_log): $(grep -c '^Setting up' "$apt_log") packages set up"
	for p in "${missing[@]}"; do
		pkg_installed "$p" || die "package $p is still not installed"
	done
}

# ---------------------------------------------------------------- waiting

# wait_until SECONDS WHAT CMD...: run CMD every half second until it succeeds;
# fail after SECONDS. If the environment names a service in WAIT_SERVICE,
# stop early when that service has died.
wait_until() {
	local limit=$1 what=$2
	shift 2
	local deadline=$((SECONDS + limit))
	while ! "$@" >/dev/null 2>&1; do
		if [ -n "${WAIT_SERVICE:-}" ] && ! svc_alive "$WAIT_SERVICE"; then
			die "$WAIT_SERVICE exited while waiting for $what"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			die "timed out after ${limit}s waiting for $what"
		fi
		sleep 0.5
	done
	log "ready: $what"
}

# port_free PORT: whether nothing listens on 127.0.0.1:PORT.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_port PREFERRED: PREFERRED if free, else the first free port above it.
pick_port() {
	local p=$1
	while ! port_free "$p"; do
		p=$((p + 1))
		[ "$p" -lt $(($1 + 200)) ] || die "no free port in $1..$p"
	done
	echo "$p"
}

# ---------------------------------------------------------------- services

# Services started by svc_start, in start order.
SVC_NAMES=()
SVC_PIDS=()
SVC_LOGS=()
SVC_EXTRA_PIDFILES=() # "name=pidfile" of processes a service spawned itself

# svc_start NAME LOGFILE CMD...: start CMD in the background with no stdin and
# its output in LOGFILE, and remember its PID. Must be called from the shell
# that will stop it (not from a command substitution).
svc_start() {
	local name=$1 logfile=$2
	shift 2
	"$@" </dev/null >"$logfile" 2>&1 &
	local pid=$!
	SVC_NAMES+=("$name")
	SVC_PIDS+=("$pid")
	SVC_LOGS+=("$logfile")
	log "started $name (pid $pid): $*"
}

# svc_also_stop NAME PIDFILE: at stop time, also stop the process whose PID is
# in PIDFILE (a child that a service spawned, such as dockerd's containerd),
# if it is still there once the services have stopped and its command line
# still names NAME.
svc_also_stop() { SVC_EXTRA_PIDFILES+=("$1=$2"); }

# svc_pid NAME: the PID of a started service.
svc_pid() {
	local i
	for i in "${!SVC_NAMES[@]}"; do
		if [ "${SVC_NAMES[$i]}" = "$1" ]; then
			echo "${SVC_PIDS[$i]}"
			return 0
		fi
	done
	return 1
}

# svc_alive NAME: whether the service is still running.
svc_alive() {
	local pid
	pid=$(svc_pid "$1") || return 1
	kill -0 "$pid" 2>/dev/null
}

# svc_logs [LINES [dead]]: print the last LINES (default 60) lines of every
# service's log (with "dead": only of the services no longer running).
svc_logs() {
	local n=${1:-60} only=${2:-} i state
	for i in "${!SVC_NAMES[@]}"; do
		state=running
		kill -0 "${SVC_PIDS[$i]}" 2>/dev/null || state=exited
		[ "$only" != dead ] || [ "$state" = exited ] || continue
		printf '\n---- %s (pid %s, %s): last %s lines of %s\n' \
			"${SVC_NAMES[$i]}" "${SVC_PIDS[$i]}" "$state" "$n" "${SVC_LOGS[$i]}" >&2
		tail -n "$n" "${SVC_LOGS[$i]}" >&2 2>/dev/null || true
	done
}

# stop_pid NAME PID: TERM, wait up to 20 s, then KILL.
stop_pid() {
	local name=$1 pid=$2 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		warn "$name (pid $pid) did not stop on TERM; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	log "stopped $name (pid $pid)"
}

# svc_stop_all: stop every started service, last started first, then the
# processes they spawned that outlived them. Safe to call more than once.
svc_stop_all() {
	local i entry pidfile pid
	for ((i = ${#SVC_NAMES[@]} - 1; i >= 0; i--)); do
		stop_pid "${SVC_NAMES[$i]}" "${SVC_PIDS[$i]}"
	done
	for entry in "${SVC_EXTRA_PIDFILES[@]}"; do
		pidfile=${entry#*=}
		[ -s "$pidfile" ] || continue
		pid=$(cat "$pidfile" 2>/dev/null) || continue
		case $pid in '' | *[!0-9]*) continue ;; esac
		# Only if that PID is still the named program (not a reused PID).
		grep -qa -- "${entry%%=*}" "/proc/$pid/cmdline" 2>/dev/null || continue
		stop_pid "${entry%%=*}" "$pid"
	done
}

# ---------------------------------------------------------------- mounts

# umount_under DIR: lazily unmount every mount point at or below DIR (left by
# a daemon that was killed), deepest first.
umount_under() {
	local dir
	dir=$(realpath -m "$1")
	awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || warn "could not unmount $m"
	done
}

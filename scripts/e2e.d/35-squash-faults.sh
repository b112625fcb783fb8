#!/usr/bin/env bash
# whittle squash under faults: killed and interrupted midway.
#
# Builds an image of several hundred MB of random content on the Debian
# base, then runs `whittle squash` with a private $TMPDIR and:
#   - SIGKILL while it spools the merged layers: nothing is left in $TMPDIR
#     (its temporary files have no name) nor beside the destination;
#   - SIGKILL while it writes a docker-archive, then an oci: layout: $TMPDIR
#     is empty, the destination does not exist, and what is left beside it
#     is one hidden .NAME.whittle-tmp-PID-N named with the killed process;
#     the next squash to the same place succeeds and removes it;
#   - SIGTERM while it writes, SIGINT while it reads: it exits within a
#     second, 143 or 130, says what was interrupted and that nothing was
#     written, and leaves nothing. "Within a second" is measured from the
#     signal to the exit, less what the kernel alone takes to end the
#     process (freeing hundreds of MB of files): the time SIGKILL took in
#     the same phase of this run, which on a loaded machine nears a second;
#     the raw figures are logged;
#   - the source archive's sha256 is the same before and after.
# Environment: see scripts/e2e.sh.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}"
W=$E2E_WORK
T=$W/tmp   # whittle's private $TMPDIR
OUT=$W/out # where destinations go
IN=$W/big.tar
mkdir -p "$T" "$OUT" "$W/ctx"

step "build an image of 400 MB of random content, in two layers above the base"
cat >"$W/ctx/Dockerfile" <<EOF
FROM $DEBIAN_BASE
RUN head -c 300000000 /dev/urandom >/big1
RUN head -c 100000000 /dev/urandom >/big2
EOF
img_build e2e/faults:1 "$W/ctx"
docker save -o "$IN" e2e/faults:1
docker rmi -f e2e/faults:1 >/dev/null
SUM_BEFORE=$(sha256sum "$IN" | cut -d' ' -f1)
log "$IN: $(stat -c %s "$IN") bytes, sha256 $SUM_BEFORE"

SQ_PID=""
# start_squash DST: whittle squash SRC DST in the background, with the
# private $TMPDIR; its pid in SQ_PID, stderr in $W/sq.err.
start_squash() {
	TMPDIR=$T "$WHITTLE" squash --keep-layers 1 "docker-archive:$IN" "$1" >/dev/null 2>"$W/sq.err" &
	SQ_PID=$!
}

# wait_for SECONDS CMD...: poll CMD until it succeeds, while squash runs.
wait_for() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		if "${@:2}"; then return 0; fi
		kill -0 "$SQ_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# spooling: squash has a file open in $TMPDIR (the spool, which has no name).
spooling() { [ -n "$(find "/proc/$SQ_PID/fd" -lname "$T/*" -print -quit 2>/dev/null)" ]; }

# writing_dst: more than 50 MB of the destination are written beside it.
writing_dst() { [ -n "$(find "$OUT" -path "*whittle-tmp-$SQ_PID-*" -type f -size +50M -print -quit 2>/dev/null)" ]; }

# stop_squash SIGNAL: send SIGNAL, wait for the exit; sets RC and MS, the
# milliseconds from the signal to the exit.
RC=0 MS=0 KILL_MS=0
stop_squash() {
	local t0 t1
	t0=$(date +%s%N)
	kill "-$1" "$SQ_PID"
	RC=0
	wait "$SQ_PID" || RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
	log "squash (pid $SQ_PID) ended $MS ms after SIG$1, exit $RC"
}

# listing DIR: what DIR holds, hidden entries too, one a line.
listing() { (cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort); }

# check_empty DESC DIR
check_empty() { check_eq "$1" "" "$(listing "$2" | tr '\n' ' ')"; }

# ---------------------------------------------------------------- SIGKILL

step "SIGKILL while spooling the merged layers"
start_squash "docker-archive:$OUT/app-sq.tar"
if wait_for 60 spooling; then
	stop_squash KILL
	check_eq "killed while spooling: exit status" 137 "$RC"
	check_empty "killed while spooling: \$TMPDIR holds nothing" "$T"
	check_empty "killed while spooling: the destination's directory holds nothing" "$OUT"
else
	_check_fail "squash never had a spool open in \$TMPDIR: $(cat "$W/sq.err")"
fi

# kill_writing KIND DST NAME: SIGKILL squash while it writes DST (NAME is
# its base name), check the leftovers, run squash again to the same place.
kill_writing() {
	local kind=$1 dst=$2 name=$3 killed
	step "SIGKILL while writing a $kind"
	start_squash "$dst"
	killed=$SQ_PID
	if ! wait_for 300 writing_dst; then
		_check_fail "$kind: squash never wrote 50 MB of the destination: $(cat "$W/sq.err")"
		wait "$SQ_PID" || true
		return 0
	fi
	stop_squash KILL
	if [ "$kind" = docker-archive ]; then
		KILL_MS=$MS # the floor for the SIGTERM check, in the same phase
	fi
	check_eq "$kind: killed while writing: exit status" 137 "$RC"
	check_empty "$kind: killed while writing: \$TMPDIR holds nothing" "$T"
	local left
	left=$(listing "$OUT")
	if [[ $left =~ ^\.$name\.whittle-tmp-$killed-[0-9]+$ ]]; then
		_check_ok "$kind: what the kill left is one recognisable name beside the destination: $left"
	else
		_check_fail "$kind: the destination's directory holds: $(echo "$left" | tr '\n' ' ')"
	fi
	step "$kind: squash again to the same place"
	if TMPDIR=$T "$WHITTLE" squash --keep-layers 1 "docker-archive:$IN" "$dst" >"$W/again.txt" 2>&1; then
		_check_ok "$kind: squash after the kill succeeds"
	else
		_check_fail "$kind: squash after the kill: $(cat "$W/again.txt")"
	fi
	check_eq "$kind: the leftover is removed, the destination written" "$name" "$(listing "$OUT" | tr '\n' ' ' | sed 's/ $//')"
	check_empty "$kind: \$TMPDIR holds nothing" "$T"
	check_cmd "$kind: the result reads" "$WHITTLE" analyze "$dst" --format json
	rm -rf "${OUT:?}/$name"
}
kill_writing docker-archive "docker-archive:$OUT/app-sq.tar" app-sq.tar
kill_writing "oci: layout" "oci:$OUT/lay:v1" lay

# ---------------------------------------------------------------- SIGTERM, SIGINT

step "SIGTERM while writing the destination"
start_squash "docker-archive:$OUT/app-sq.tar"
if wait_for 300 writing_dst; then
	stop_squash TERM
	check_eq "SIGTERM: exit status" 143 "$RC"
	if [ "$MS" -le $((KILL_MS + 1000)) ]; then
		_check_ok "SIGTERM: answered within a second ($MS ms; SIGKILL took $KILL_MS ms)"
	else
		_check_fail "SIGTERM: answered after $MS ms (SIGKILL took $KILL_MS ms)"
	fi
	msg=$(cat "$W/sq.err")
	want="whittle: squash interrupted (SIGTERM) while writing docker-archive:$OUT/app-sq.tar: nothing was written to $OUT/app-sq.tar"
	check_eq "SIGTERM: the message" "$want" "$msg"
	check_empty "SIGTERM: \$TMPDIR holds nothing" "$T"
	check_empty "SIGTERM: the destination's directory holds nothing" "$OUT"
else
	_check_fail "SIGTERM: squash never wrote 50 MB of the destination: $(cat "$W/sq.err")"
fi

step "SIGINT while reading the merged layers"
start_squash "oci:$OUT/lay"
if wait_for 60 spooling; then
	stop_squash INT
	check_eq "SIGINT: exit status" 130 "$RC"
	if [ "$MS" -le 1000 ]; then
		_check_ok "SIGINT: answered within a second ($MS ms)"
	else
		_check_fail "SIGINT: answered after $MS ms"
	fi
	msg=$(cat "$W/sq.err")
	if [[ $msg =~ ^whittle:\ squash\ interrupted\ \(SIGINT\)\ while\ reading\ layer\ [12]\ of\ 2\ to\ merge:\ nothing\ was\ written\ to\ $OUT/lay$ ]]; then
		_check_ok "SIGINT: the message: $msg"
	else
		_check_fail "SIGINT: the message: $msg"
	fi
	check_empty "SIGINT: \$TMPDIR holds nothing" "$T"
	check_empty "SIGINT: the destination's directory holds nothing" "$OUT"
else
	_check_fail "SIGINT: squash never had a spool open in \$TMPDIR: $(cat "$W/sq.err")"
fi

check_eq "the source is unchanged (sha256)" "$SUM_BEFORE" "$(sha256sum "$IN" | cut -d' ' -f1)"
rm -f "$IN"

check_done

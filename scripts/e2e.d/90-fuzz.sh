#!/usr/bin/env bash
# Bounded fuzzing of the readers of untrusted images (issue 11).
#
# Runs each native Go fuzz target below for E2E_FUZZTIME (default 30s), one
# after the other (the machine's cores go to the fuzzing workers):
#   pkg/layer     FuzzWalk       the layer walker (gzip, zstd, plain tar)
#   pkg/imageref  FuzzArchive    the docker-archive reader, then every layer
#                                read and merged as analyze does
#   pkg/imageref  FuzzOCILayout  the OCI image layout reader, the same way
# Each target starts from its seeds: valid images and the hostile cases of
# issue 11 (hard links to nothing, to themselves, to directories, whiteouts
# of . and .., whiteouts shaped as directories, short diff_ids, a 2 TiB
# sparse file, a zstd bomb). A crash (panic, hang past the fuzzer's own
# timeout) fails the script; a run whose only failure is the fuzzer's own
# deadline race (go.dev/issue/75804: "context deadline exceeded", no failing
# input) passes once the corpus replays clean; go writes the input under the package's
# testdata/fuzz/<target>/, whose path and first bytes are printed: commit it
# as a regression seed once fixed. New inputs are minimized with at most 20
# runs each (-fuzzminimizetime 20x): the default, 60 s each, would spend the
# whole time minimizing. About 3.5 minutes with the default time.
# Uses none of the services scripts/e2e.sh starts.
# Environment: see scripts/e2e.sh (E2E_SRC, E2E_WORK); E2E_FUZZTIME.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"

: "${E2E_SRC:?}" "${E2E_WORK:?}"
have go || PATH=$PATH:/usr/local/go/bin
have go || die "go not found"
FUZZTIME=${E2E_FUZZTIME:-30s}

TARGETS=(
	"./pkg/layer FuzzWalk"
	"./pkg/imageref FuzzArchive"
	"./pkg/imageref FuzzOCILayout"
)

# deadline_race LOG: whether a failed fuzzing run failed only because its
# time ran out: "context deadline exceeded" and no failing input, panic,
# hang or test failure of its own.
deadline_race() {
	grep -q '^[[:space:]]*context deadline exceeded$' "$1" &&
		! grep -Eq 'Failing input written|panic:|fuzzing process hung|test timed out|_test\.go:[0-9]+:' "$1"
}

for t in "${TARGETS[@]}"; do
	read -r pkg target <<<"$t"
	out=$E2E_WORK/$target.log
	step "fuzzing $target ($pkg) for $FUZZTIME"
	start=$SECONDS
	rc=0
	(cd "$E2E_SRC" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 20x "$pkg") >"$out" 2>&1 || rc=$?
	log "$target: exit $rc after $((SECONDS - start))s; $(grep -Eo 'execs: [0-9]+' "$out" | tail -n 1 || true)"
	if [ "$rc" -eq 0 ]; then
		_check_ok "$target: no crasher in $FUZZTIME"
		continue
	fi
	if deadline_race "$out"; then
		# Go's fuzzing coordinator can report its own -fuzztime deadline as
		# a failure when a worker is mid-run as time runs out (go.dev/issue/
		# 75804, fixed in Go 1.27): "context deadline exceeded" and no
		# failing input. The seeds and the committed corpus are replayed to
		# be sure nothing reproducible was found.
		log "$target: the fuzzer's end-of-time race (go.dev/issue/75804): no failing input written; replaying the corpus"
		if (cd "$E2E_SRC" && go test -count=1 -run "^${target}\$" "$pkg") >"$out.replay" 2>&1; then
			_check_ok "$target: no crasher in $FUZZTIME (corpus replay passed)"
			continue
		fi
		cat "$out.replay" >&2
	fi
	_check_fail "$target: the fuzzer failed (exit $rc)"
	tail -n 40 "$out" | sed 's/^/        /'
	# "Failing input written to testdata/fuzz/FuzzX/HASH"
	crasher=$(sed -n 's/.*Failing input written to \(testdata\/fuzz\/[^ ]*\).*/\1/p' "$out" | tail -n 1)
	if [ -n "$crasher" ] && [ -f "$E2E_SRC/${pkg#./}/$crasher" ]; then
		log "crasher: $E2E_SRC/${pkg#./}/$crasher"
		head -c 2000 "$E2E_SRC/${pkg#./}/$crasher" | sed 's/^/        /'
		echo
		log "re-run it: go test -run '^${target}\$/$(basename "$crasher")\$' $pkg"
	fi
done

check_done

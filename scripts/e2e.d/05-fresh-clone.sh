#!/usr/bin/env bash
# The README's set-up on a fresh clone, as a new user runs it.
#
# Clones the committed HEAD of the repository into an empty temporary
# directory (nothing beside the clone: no shared test data), and runs the
# README's two set-up commands there,
#   go run ./cmd/whittle analyze examples/app.tar
#   go test ./...
# as a new user would: empty GOCACHE, GOMODCACHE and GOPATH (the modules
# come from the Go module proxy), a new empty HOME (no Go or git settings),
# and from the caller's environment only PATH and what reaching the proxy
# may need: no WHITTLE_SHARED, DOCKER_HOST or GOFLAGS. Both must pass; it
# prints how long each took. It uses none of the services scripts/e2e.sh
# starts, and removes everything it made.
# Environment: see scripts/e2e.sh (E2E_SRC).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"

: "${E2E_SRC:?}"
have go || PATH=$PATH:/usr/local/go/bin
have go || die "go not found"
have git || die "git not found"

T=$(mktemp -d "${TMPDIR:-/tmp}/whittle-fresh.XXXXXX")
# The module cache is read-only: make it writable before removing it.
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
CLONE=$T/src/whittle
mkdir -p "$T/src" "$T/home" "$T/gocache" "$T/gomodcache" "$T/gopath"

# fresh CMD...: CMD in the clone, in the new user's environment.
fresh() {
	local v pass=()
	for v in SSL_CERT_FILE SSL_CERT_DIR HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy \
		GOPROXY GOSUMDB GONOSUMDB GOPRIVATE GONOPROXY GOINSECURE; do
		[ -z "${!v:-}" ] || pass+=("$v=${!v}")
	done
	(cd "$CLONE" && exec env -i "${pass[@]}" PATH="$PATH" HOME="$T/home" \
		GOCACHE="$T/gocache" GOMODCACHE="$T/gomodcache" GOPATH="$T/gopath" "$@")
}

# timed DESC OUT CMD...: run CMD (output to OUT) and check that it exits 0,
# saying how long it took; the last lines of OUT are shown on failure.
timed() {
	local desc=$1 out=$2 start took rc=0
	shift 2
	start=$EPOCHREALTIME
	"$@" >"$out" 2>&1 || rc=$?
	took=$(elapsed "$start")
	if [ "$rc" -eq 0 ]; then
		_check_ok "$desc: exit 0 after $took"
	else
		_check_fail "$desc: exit $rc after $took"
		tail -n 60 "$out" | sed 's/^/        /'
	fi
	return "$rc"
}

# elapsed START: seconds since START (an $EPOCHREALTIME), to a tenth.
elapsed() { awk -v s="$1" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", e - s }'; }

step "fresh clone of $E2E_SRC"
git clone -q "$E2E_SRC" "$CLONE"
log "HEAD $(git -C "$CLONE" log -1 --format='%h %s')"
check_eq "what the clone's directory holds" "whittle" "$(ls -A "$T/src")"
log "$(fresh go version), GOFLAGS='$(fresh go env GOFLAGS)'"

step "README, first command: go run ./cmd/whittle analyze examples/app.tar"
if timed "go run ./cmd/whittle analyze examples/app.tar" "$T/analyze.out" \
	fresh go run ./cmd/whittle analyze examples/app.tar; then
	sed -n '/^Image /,+8p' "$T/analyze.out" | sed 's/^/    /'
	check_cmd "the analysis names the image" grep -q '^Image examples/app.tar$' "$T/analyze.out"
	# The example's package database is complete: a package section
	# without "incomplete", "unknown" or "not attributed" lines.
	sed -n '/^Packages/,/^$/p' "$T/analyze.out" | sed 's/^/    /'
	check_cmd "the analysis has a complete package section" grep -q '^Packages$' "$T/analyze.out"
	check_eq "lines saying the packages are incomplete or unknown" 0 \
		"$(grep -c -E 'incomplete|unknown|not attributed' "$T/analyze.out" || true)"
fi

step "README, second command: go test ./..."
if timed "go test ./..." "$T/test.out" fresh go test ./...; then
	sed 's/^/    /' "$T/test.out"
	check_gt "packages tested" "$(grep -c '^ok ' "$T/test.out")" 0
fi
check_gt "modules downloaded into the empty module cache" \
	"$(find "$T/gomodcache/cache/download" -name '*.zip' 2>/dev/null | wc -l)" 0

check_done

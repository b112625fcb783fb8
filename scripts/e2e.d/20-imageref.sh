#!/usr/bin/env bash
# Image references against the real tools (pkg/imageref's TestE2E).
#
# Reads one image five ways (docker-daemon:, a `docker save` tar, an OCI
# archive made by skopeo, a zstd OCI layout made by skopeo, the real
# registry) and checks each gives the layers the Docker Engine reports; then
# writes it to every kind of sink and checks the real tools accept it:
# `docker load` of the archive, skopeo inspect and umoci unpack of the OCI
# layout, skopeo inspect and copy of the oci-archive: tar, skopeo inspect of
# the pushed image, and the engine's own view of the image loaded by
# docker-daemon:.
#
# Then the CLI: `docker save IMAGE | whittle analyze -` gives the figures of
# the same image read from the daemon and leaves nothing in TMPDIR; `whittle
# squash` into oci-archive: is read by skopeo (inspect, and copy into the
# engine with the layers whittle reports).
# Environment: see scripts/e2e.sh (DOCKER_HOST, REGISTRY, BUSYBOX_BASE).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"

: "${REGISTRY:?}" "${E2E_SRC:?}" "${E2E_WORK:?}" "${DOCKER_HOST:?}" "${WHITTLE:?}"
have go || PATH=$PATH:/usr/local/go/bin

step "imageref: go test -run TestE2E ./pkg/imageref"
cd "$E2E_SRC"
WHITTLE_E2E=1 TMPDIR=$E2E_WORK go test -count=1 -run 'TestE2E$' -v ./pkg/imageref
_check_ok "go test -run TestE2E ./pkg/imageref"

# The image TestE2E left in the engine.
IMG=e2e/imageref-dive:latest
W=$E2E_WORK/cli
mkdir -p "$W/tmp"

step "imageref: docker save | whittle analyze -"
docker save "$IMG" | TMPDIR=$W/tmp "$WHITTLE" analyze --format json - >"$W/stdin.json"
"$WHITTLE" analyze --format json "docker-daemon:$IMG" >"$W/daemon.json"
check_eq "analyze -: reference" '"-"' "$(jq .image.reference "$W/stdin.json")"
jq -S 'del(.image.reference)' "$W/daemon.json" >"$W/daemon.figures"
jq -S 'del(.image.reference)' "$W/stdin.json" >"$W/stdin.figures"
check_same_file "analyze -: the figures of docker-daemon:$IMG" "$W/daemon.figures" "$W/stdin.figures"
check_eq "analyze -: nothing left in TMPDIR" "" "$(ls -A "$W/tmp")"
# A stream that is cut short: an error naming standard input, nothing left.
if docker save "$IMG" | head -c 100000 | TMPDIR=$W/tmp "$WHITTLE" analyze - 2>"$W/cut.err"; then
	_check_fail "analyze - of a cut stream: exit 0"
else
	check_eq "analyze - of a cut stream: the error" \
		"whittle: opening standard input: reading tar headers: the archive is truncated: unexpected EOF" "$(cat "$W/cut.err")"
fi
check_eq "analyze - of a cut stream: nothing left in TMPDIR" "" "$(ls -A "$W/tmp")"

step "imageref: whittle squash into oci-archive:, read by skopeo"
"$WHITTLE" squash --all --format json "docker-daemon:$IMG" "oci-archive:$W/sq.tar:sq" >"$W/sq.json"
check_eq "skopeo inspect oci-archive: sees whittle's digest" "$(jq -r .digest "$W/sq.json")" \
	"$(skopeo --insecure-policy inspect --format '{{.Digest}}' "oci-archive:$W/sq.tar:sq")"
check_cmd "skopeo copy oci-archive: into the engine" skopeo --insecure-policy copy -q \
	--dest-daemon-host "$DOCKER_HOST" "oci-archive:$W/sq.tar:sq" docker-daemon:e2e/imageref-sq:ociarchive
"$WHITTLE" analyze --format json "oci-archive:$W/sq.tar:sq" >"$W/sq-analyze.json"
check_eq "the engine's layers are those whittle reads" "$(jq -c '[.layers[].diff_id]' "$W/sq-analyze.json")" \
	"$(docker image inspect --format '{{json .RootFS.Layers}}' e2e/imageref-sq:ociarchive)"
check_eq "squash --all: no waste left" 0 "$(jq .image.wasted_bytes "$W/sq-analyze.json")"
if "$WHITTLE" squash --all "docker-daemon:$IMG" "oci-archive:$W/sq.tar:sq" 2>"$W/again.err"; then
	_check_fail "squash over an existing oci-archive without --force: exit 0"
else
	check_eq "squash over an existing oci-archive without --force" \
		"whittle: writing oci-archive:$W/sq.tar:sq: $W/sq.tar already exists (use --force to replace it)" "$(cat "$W/again.err")"
fi
check_done

#!/usr/bin/env bash
# WH803 on pip that Python installed itself (no OS package), against the
# files its RECORD lists, stat'ed inside the container.
#
# Builds, on the local Debian base, an image whose RUN installs python3 and
# python3-venv and makes a virtual environment at /venv (ensurepip installs
# pip into it from Debian's python3-pip-whl). Then:
#   - one WH803 finding has a package of manager pip: the version of its
#     dist-info directory, at the RUN's layer, with that RUN's instruction;
#   - its bytes and files equal the regular files the RECORD lists, each
#     inode once, stat'ed in the container;
#   - python3-pip-whl, the OS package of pip's wheel, is the other WH803
#     finding (the package rule), not counted in the first;
#   - with --packages=false, no WH803.
# Environment: see scripts/e2e.sh.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}"
W=$E2E_WORK
REF=e2e/pip-record:1
export LC_ALL=C

step "build an image with a virtual environment"
mkdir -p "$W/ctx"
cat >"$W/ctx/Dockerfile" <<EOF
FROM $DEBIAN_BASE
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/* && python3 -m venv /venv
EOF
img_build "$REF" "$W/ctx"

step "whittle analyze"
"$WHITTLE" analyze --no-cache --format json "docker-daemon:$REF" >"$W/report.json"
"$WHITTLE" analyze --no-cache "docker-daemon:$REF" | sed -n '/^Findings about the image/,$p' | sed 's/^/    /' >&2
J=$W/report.json
f=$(jq -c '[.findings[] | select(.rule == "WH803" and .packages[0].manager == "pip")]' "$J")
check_eq "one WH803 finding about pip by its RECORD" 1 "$(jq length <<<"$f")"
check_eq "at the RUN's layer" 1 "$(jq '.[0].layer' <<<"$f")"
check_cmd "with the RUN's instruction" grep -q 'python3 -m venv /venv' <<<"$(jq -r '.[0].created_by' <<<"$f")"

step "the RECORD in the container"
# "version|dev:inode size" of every regular file the RECORD lists.
docker run --rm --network none "$REF" sh -c '
	set -e
	cd /venv/lib/python3*/site-packages
	rec=$(ls -d pip-*.dist-info)/RECORD
	echo "version ${rec#pip-}" | sed "s/.dist-info\/RECORD$//"
	cut -d, -f1 "$rec" | xargs -r -d "\n" stat -c "%F|%d:%i|%s" 2>/dev/null || true' >"$W/record.txt"
version=$(awk '$1 == "version" { print $2 }' "$W/record.txt")
read -r files bytes <<<"$(awk -F'|' '($1 == "regular file" || $1 == "regular empty file") && !seen[$2]++ { n++; b += $3 } END { printf "%d %d\n", n, b }' "$W/record.txt")"
log "pip $version: $files files, $bytes bytes as the RECORD lists them"
check_eq "the version: the dist-info directory's" "$version" "$(jq -r '.[0].packages[0].version' <<<"$f")"
check_eq "its bytes and files: the RECORD's files, stat'ed, each inode once" "$bytes $files" \
	"$(jq -r '.[0] | "\(.bytes) \(.packages[0].files)"' <<<"$f")"
check_gt "pip's files hold bytes" "$bytes" 1000000
check_eq "python3-pip-whl: the package rule's finding, apart" 1 \
	"$(jq '[.findings[] | select(.rule == "WH803" and (.packages | map(.name) | index("python3-pip-whl")))] | length' "$J")"

step "--packages=false"
check_eq "no WH803 without attribution" 0 \
	"$("$WHITTLE" analyze --no-cache --packages=false --format json "docker-daemon:$REF" | jq '[.findings[] | select(.rule == "WH803")] | length')"

check_done

#!/usr/bin/env bash
# Image references against the real tools (pkg/imageref's TestE2E).
#
# Reads one image five ways (docker-daemon:, a `docker save` tar, an OCI
# archive made by skopeo, a zstd OCI layout made by skopeo, the real
# registry) and checks each gives the layers the Docker Engine reports; then
# writes it to every kind of sink and checks the real tools accept it:
# `docker load` of the archive, skopeo inspect and umoci unpack of the OCI
# layout, skopeo inspect of the pushed image, and the engine's own view of
# the image loaded by docker-daemon:.
# Environment: see scripts/e2e.sh (DOCKER_HOST, REGISTRY, BUSYBOX_BASE).
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"

: "${REGISTRY:?}" "${E2E_SRC:?}" "${E2E_WORK:?}" "${DOCKER_HOST:?}"
have go || PATH=$PATH:/usr/local/go/bin

step "imageref: go test -run TestE2E ./pkg/imageref"
cd "$E2E_SRC"
WHITTLE_E2E=1 TMPDIR=$E2E_WORK go test -count=1 -run 'TestE2E$' -v ./pkg/imageref

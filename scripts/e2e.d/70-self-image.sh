#!/usr/bin/env bash
# whittle's own container image, built from the repository's Dockerfile.
#
# No registry can be pulled from here, so the script makes the builder
# image itself: the local Debian base with git from Debian's archive, the
# host's Go toolchain (/usr/local/go) and the host's CA bundle (which holds
# whatever CA the way to the Go module proxy needs) added, passed as the
# Dockerfile's GO_IMAGE. The build context is a git clone of the
# repository holding the working tree as it is (tracked files and untracked
# ones git does not ignore), so the binary is stamped with HEAD, and
# "modified" exactly when the working tree differs from it. Modules come
# from the Go module proxy (docker build --network host); the final stage
# (scratch) pulls nothing. It checks that:
#   - whittle lint reports nothing on the Dockerfile, even at info, and
#     whittle fix --check has nothing to repair;
#   - the image builds, is one layer (the binary, the CA bundle, /tmp with
#     mode 1777), runs as a non-root user with ENTRYPOINT ["/whittle"];
#   - whittle analyze shows zero wasted, cache and duplicate bytes in it
#     (from the daemon, and with the CI gate at --max-wasted-bytes 0);
#   - the container (docker run --network none) prints its version: the
#     revision is HEAD's, the modified flag matches git status, and
#     --version prints the same first line;
#   - the container analyzes a docker save tar of the busybox base mounted
#     into it, with the same figures as the host's whittle, writes a report
#     to its /tmp, lints a mounted Dockerfile, and analyzes a docker save
#     tar of its own image: zero waste again.
# It prints the build time, the image and binary sizes.
# Environment: see scripts/e2e.sh.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${E2E_WORK:?}" "${E2E_SRC:?}" "${DEBIAN_BASE:?}" "${BUSYBOX_BASE:?}"
have git || die "git not found"
W=$E2E_WORK/self
SRC=$W/src
IMG=e2e/whittle:self
BUILDER=e2e/go-builder:local
GOROOT_HOST=${GOROOT_HOST:-/usr/local/go}
rm -rf "$W"
mkdir -p "$W/builder" "$W/in"

# ---------------------------------------------------------------- context

step "self-image: the build context, a clone holding the working tree"
git clone -q --no-checkout "$E2E_SRC" "$SRC"
git -C "$SRC" reset -q # the index at HEAD, the work tree empty
(cd "$E2E_SRC" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do
		if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
	done | tar --null -T - -cf -) | tar -C "$SRC" -xf -
HEAD_REV=$(git -C "$SRC" rev-parse HEAD)
WANT_MODIFIED=false
[ -z "$(git -C "$SRC" status --porcelain)" ] || WANT_MODIFIED=true
log "HEAD $HEAD_REV, working tree modified: $WANT_MODIFIED"
git -C "$SRC" status --short | take 20 | sed 's/^/    /' >&2

# ---------------------------------------------------------------- lint

step "self-image: whittle lint and fix --check on the Dockerfile"
out=$("$WHITTLE" lint --fail-level info "$SRC/Dockerfile" 2>&1) && rc=0 || rc=$?
check_eq "lint --fail-level info Dockerfile exits" 0 "$rc"
check_eq "lint's findings" "" "$out"
check_cmd "fix --check Dockerfile (nothing to repair)" "$WHITTLE" fix --check -q "$SRC/Dockerfile"

# ---------------------------------------------------------------- builder

step "self-image: the builder image ($BUILDER, Go from $GOROOT_HOST)"
[ -x "$GOROOT_HOST/bin/go" ] || die "no Go toolchain at $GOROOT_HOST"
log "$("$GOROOT_HOST/bin/go" version)"
CA_BUNDLE=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
[ -s "$CA_BUNDLE" ] || die "no CA bundle at $CA_BUNDLE"
cp "$CA_BUNDLE" "$W/builder/ca-certificates.crt"
tar -C "$(dirname "$GOROOT_HOST")" --exclude=go/test --exclude=go/doc \
	-cf "$W/builder/go.tar" "$(basename "$GOROOT_HOST")"
cat >"$W/builder/Dockerfile" <<EOF
FROM $DEBIAN_BASE
RUN apt-get update && apt-get install -y --no-install-recommends git \\
	&& apt-get clean && rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ADD go.tar /usr/local/
ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOTOOLCHAIN=local
EOF
start=$SECONDS
check_cmd "builds $BUILDER" img_build "$BUILDER" "$W/builder"
log "builder image in $((SECONDS - start)) s"
rm -f "$W/builder/go.tar"

# ---------------------------------------------------------------- build

step "self-image: docker build -t $IMG --build-arg GO_IMAGE=$BUILDER"
# Proxy settings reach the build as Docker's predefined build args.
proxy_args=()
for v in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
	[ -z "${!v:-}" ] || proxy_args+=(--build-arg "$v=${!v}")
done
start=$SECONDS
if ! img_build "$IMG" "$SRC" --build-arg "GO_IMAGE=$BUILDER" "${proxy_args[@]}"; then
	_check_fail "docker build of the repository's Dockerfile"
	check_done || exit 1
fi
BUILD_SECS=$((SECONDS - start))
_check_ok "docker build of the repository's Dockerfile (${BUILD_SECS} s)"

size=$(docker image inspect -f '{{.Size}}' "$IMG")
check_eq "image user" "65532:65532" "$(docker image inspect -f '{{.Config.User}}' "$IMG")"
check_eq "image entrypoint" '["/whittle"]' "$(docker image inspect -f '{{json .Config.Entrypoint}}' "$IMG")"
check_eq "image layers" 1 "$(img_diff_ids "$IMG" | wc -l)"
docker save -o "$W/self.tar" "$IMG"
chmod 644 "$W/self.tar"
check_eq "the layer's entries" "-,etc/ssl/certs/ca-certificates.crt -,whittle d,etc d,etc/ssl d,etc/ssl/certs d,tmp" \
	"$(save_layer_entries "$W/self.tar" 0 | awk '{ print $1 "," $3 }' | LC_ALL=C sort | paste -sd' ' -)"
layer=$(tar -xOf "$W/self.tar" manifest.json | jq -r '.[0].Layers[0]')
check_eq "/tmp's mode" drwxrwxrwt "$(tar -xOf "$W/self.tar" "$layer" | tar -tv -f - | awk '$NF == "tmp/" || $NF == "./tmp/" { print $1 }')"
bin_size=$(save_layer_entries "$W/self.tar" 0 | awk '$3 == "whittle" { print $2 }')
check_eq "the image's CA bundle is the builder's" "$(sha256sum <"$CA_BUNDLE")" \
	"$(tar -xOf "$W/self.tar" "$layer" | tar -xOf - etc/ssl/certs/ca-certificates.crt | sha256sum)"

# ---------------------------------------------------------------- analyze

step "self-image: whittle analyze of $IMG"
"$WHITTLE" analyze --format json "docker-daemon:$IMG" >"$W/self.json"
for k in wasted_bytes cache_bytes duplicate_bytes; do
	check_eq "docker-daemon:$IMG: $k" 0 "$(jq ".image.$k" "$W/self.json")"
done
check_eq "docker-daemon:$IMG: size_bytes (= the layer's regular-file bytes, GNU tar)" \
	"$(save_layer_sizes "$W/self.tar")" "$(jq .image.size_bytes "$W/self.json")"
check_cmd "analyze --ci --max-wasted-bytes 0 passes" \
	"$WHITTLE" analyze --ci --max-wasted-bytes 0 "docker-daemon:$IMG"
"$WHITTLE" analyze "docker-daemon:$IMG" 2>/dev/null | sed -n '1,12p' | sed 's/^/    /' >&2

# ---------------------------------------------------------------- run

step "self-image: docker run --network none $IMG"
# run ARGS...: the container, with no network; its stdout.
run() { docker run --rm --network none "$@"; }

if run "$IMG" version >"$W/version.txt" 2>"$W/version.err"; then
	_check_ok "whittle version runs in the container"
else
	_check_fail "whittle version in the container: $(cat "$W/version.err")"
fi
sed 's/^/    /' "$W/version.txt" >&2
field() { sed -n "s/^$1: *//p" "$W/version.txt"; }
check_eq "version: revision" "$HEAD_REV" "$(field revision)"
check_eq "version: modified" "$WANT_MODIFIED" "$(field modified)"
check_eq "version: platform" "linux/$(dpkg --print-architecture)" "$(field platform)"
check_eq "version: go" "$("$GOROOT_HOST/bin/go" env GOVERSION)" "$(field go)"
check_eq "--version prints the first line of version" "$(head -n 1 "$W/version.txt")" "$(run "$IMG" --version 2>&1)"

docker save -o "$W/in/busybox.tar" "$BUSYBOX_BASE"
chmod 644 "$W/in/busybox.tar"
cp "$SRC/Dockerfile" "$W/in/Dockerfile"
chmod 644 "$W/in/Dockerfile"
MOUNT=(-v "$W/in:/in:ro")

if run "${MOUNT[@]}" "$IMG" analyze --format json /in/busybox.tar >"$W/bb.container.json" 2>"$W/bb.err"; then
	_check_ok "the container analyzes a docker save tar of $BUSYBOX_BASE"
else
	_check_fail "analyze in the container: $(cat "$W/bb.err")"
fi
"$WHITTLE" analyze --format json "$W/in/busybox.tar" >"$W/bb.host.json"
# The same account but for the reference as given on the command line.
same='del(.image.reference)'
check_eq "the container's account of $BUSYBOX_BASE equals the host's" \
	"$(jq -S "$same" "$W/bb.host.json" | sha256sum)" "$(jq -S "$same" "$W/bb.container.json" | sha256sum)"
check_gt "$BUSYBOX_BASE: size_bytes" "$(jq .image.size_bytes "$W/bb.container.json")" 0
check_cmd "the container writes a report into its /tmp (-o)" \
	run "${MOUNT[@]}" "$IMG" analyze --format json -o /tmp/report.json /in/busybox.tar
check_cmd "the container lints a mounted Dockerfile (--fail-level info)" \
	run "${MOUNT[@]}" "$IMG" lint --fail-level info /in/Dockerfile

cp "$W/self.tar" "$W/in/self.tar"
if run "${MOUNT[@]}" "$IMG" analyze --format json /in/self.tar >"$W/self.container.json" 2>"$W/self.err"; then
	check_eq "the container's analyze of its own image: wasted_bytes" 0 "$(jq .image.wasted_bytes "$W/self.container.json")"
else
	_check_fail "analyze of its own image in the container: $(cat "$W/self.err")"
fi

step "self-image: sizes"
printf '    build (builder image ready, modules from the proxy): %d s\n' "$BUILD_SECS" >&2
printf '    image: %s bytes (docker image inspect), binary %s bytes, compressed layer %s bytes\n' \
	"$size" "$bin_size" "$(jq '.image.compressed_bytes' "$W/self.json")" >&2
# The size the README and docs/integrations.md give, to the nearest MB.
mb=$(((size + 500000) / 1000000))
check_eq "README's image size (one N MB layer), in MB" "$mb" \
	"$(sed -n 's/.*(one \([0-9][0-9]*\) MB layer.*/\1/p' "$E2E_SRC/README.md")"
check_eq "docs/integrations.md's image size (about N MB), in MB" "$mb" \
	"$(sed -n 's/.*The image is about \([0-9][0-9]*\) MB.*/\1/p' "$E2E_SRC/docs/integrations.md")"
check_done

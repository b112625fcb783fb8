#!/usr/bin/env bash
# whittle squash against real images.
#
# Builds naive images with the real Docker Engine (one on the busybox base,
# one on the Debian base: files made in one RUN and deleted or overwritten in
# a later one, hard links, symlinks, owners, modes, mtimes), squashes each and
# checks that:
#   - the squashed image loads into the Docker Engine and its own functional
#     check passes under `docker run` (content, links, owners, config);
#   - the base layers are kept as they were, and one layer replaces the rest;
#   - umoci unpacks input and output to the same filesystem (content,
#     ownership, modes, hard links, symlinks, mtimes);
#   - size_bytes(out) = size_bytes(in) - wasted bytes of the merged layers,
#     as analyze counts them, and --dry-run reports exactly that;
#   - two runs write the same bytes;
#   - the result pushed to the real registry by whittle pulls back with
#     skopeo to the same filesystem and digest;
#   - docker-daemon: works as source and destination; --base finds the
#     base's layers; --compression zstd gives the same filesystem, a layer
#     the zstd and gzip tools decompress to its diff_id, the same digest
#     on one core and on two;
#   - --prune caches (Debian) drops exactly the cache files and still runs;
#   - dive's test images squash to the same filesystem and still run.
# Environment: see scripts/e2e.sh.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${REGISTRY:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}" "${BUSYBOX_BASE:?}"
W=$E2E_WORK

# mtime_listing ROOTFS: path and modification time of every entry.
mtime_listing() {
	(cd "$1" && find . -mindepth 1 -printf '%P %y %T@\n') | LC_ALL=C sort
}

# unpack_listing OCI_DIR:TAG NAME: umoci unpack, then $W/NAME.listing
# (rootfs_listing) and $W/NAME.mtimes; the bundle is removed.
unpack_listing() {
	local b=$W/$2-bundle
	img_unpack "$1" "$b"
	rootfs_listing "$b/rootfs" >"$W/$2.listing"
	mtime_listing "$b/rootfs" >"$W/$2.mtimes"
	rm -rf "$b"
}

# range_wasted ANALYZE_JSON KEPT: wasted bytes of the layers above KEPT.
range_wasted() {
	jq --argjson k "$2" '[.layers[$k:][].wasted_bytes] | add // 0' "$1"
}

# squash_image NAME CONTEXT_DIR: build, squash, check (see the header).
squash_image() {
	local name=$1 ctx=$2
	local ref=e2e/sq-$name:1 in=$W/$name.tar out=$W/$name-sq.tar sq=e2e/sq-$name:squashed
	step "$name: build and save"
	img_build "$ref" "$ctx"
	docker save -o "$in" "$ref"
	local in_layers
	in_layers=$(img_diff_ids "$ref" | wc -l)
	log "$ref: $in_layers layers"

	step "$name: whittle squash"
	if ! "$WHITTLE" squash "docker-archive:$in" "docker-archive:$out" --tag "$sq" >"$W/$name-sq.txt" 2>&1; then
		_check_fail "$name: whittle squash"
		sed 's/^/        /' "$W/$name-sq.txt"
		return 0
	fi
	sed 's/^/    /' "$W/$name-sq.txt"
	_check_ok "$name: whittle squash docker-archive:$in docker-archive:$out"
	"$WHITTLE" squash --dry-run --format json "docker-archive:$in" >"$W/$name-dry.json"
	local kept saved
	kept=$(jq '.plan.kept | length' "$W/$name-dry.json")
	saved=$(jq '.saved_bytes' "$W/$name-dry.json")
	check_eq "$name: the imported base layer is kept (from history)" 1 "$kept"
	check_eq "$name: the rest is merged" "$((in_layers - 1))" "$(jq '.plan.merged | length' "$W/$name-dry.json")"

	step "$name: docker load and run"
	check_cmd "$name: docker load" docker load -q -i "$out"
	check_eq "$name: squashed layers in the daemon" "$(img_diff_ids "$ref" | take "$kept" | paste -sd' ') 1" \
		"$(img_diff_ids "$sq" | take "$kept" | paste -sd' ') $(($(img_diff_ids "$sq" | wc -l) - kept))"
	local run_out
	run_out=$(docker run --rm --network none "$sq" 2>&1 || true)
	log "docker run $sq: $run_out"
	check_eq "$name: functional check in the squashed image" CHECK-OK "$(grep -o 'CHECK-OK' <<<"$run_out" | take 1)"
	check_eq "$name: the input's own check gives the same output" "$(docker run --rm --network none "$ref" 2>&1 || true)" "$run_out"
	check_eq "$name: config kept (Env, Cmd, Entrypoint, WorkingDir, User, Labels, ExposedPorts, Volumes, Healthcheck)" \
		"$(docker image inspect --format '{{json .Config.Env}} {{json .Config.Cmd}} {{json .Config.Entrypoint}} {{.Config.WorkingDir}} {{.Config.User}} {{json .Config.Labels}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{json .Config.Healthcheck}}' "$ref")" \
		"$(docker image inspect --format '{{json .Config.Env}} {{json .Config.Cmd}} {{json .Config.Entrypoint}} {{.Config.WorkingDir}} {{.Config.User}} {{json .Config.Labels}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{json .Config.Healthcheck}}' "$sq")"
	check_eq "$name: docker history lists every step plus the merged layer" \
		"$(($(docker history -q --no-trunc "$ref" | wc -l) + 1))" "$(docker history -q --no-trunc "$sq" | wc -l)"

	step "$name: umoci unpack of input and output"
	img_to_oci "docker-archive:$in" "$W/$name-in-oci" 1
	img_to_oci "docker-archive:$out" "$W/$name-out-oci" 1
	unpack_listing "$W/$name-in-oci:1" "$name-in"
	unpack_listing "$W/$name-out-oci:1" "$name-out"
	check_same_file "$name: same files, content, owners, modes, links ($(wc -l <"$W/$name-in.listing") entries)" \
		"$W/$name-in.listing" "$W/$name-out.listing"
	check_same_file "$name: same mtimes" "$W/$name-in.mtimes" "$W/$name-out.mtimes"

	step "$name: sizes against analyze"
	"$WHITTLE" analyze --format json "docker-archive:$in" >"$W/$name-in.json"
	"$WHITTLE" analyze --format json "docker-archive:$out" >"$W/$name-out.json"
	local wasted in_size out_size
	wasted=$(range_wasted "$W/$name-in.json" "$kept")
	in_size=$(jq .image.size_bytes "$W/$name-in.json")
	out_size=$(jq .image.size_bytes "$W/$name-out.json")
	check_gt "$name: analyze's wasted bytes of the merged layers" "$wasted" 0
	check_eq "$name: size_bytes(out) = size_bytes(in) - wasted(range)" "$((in_size - wasted))" "$out_size"
	check_eq "$name: --dry-run saved_bytes = wasted(range)" "$wasted" "$saved"
	check_eq "$name: no waste left above the base" 0 "$(range_wasted "$W/$name-out.json" "$kept")"
	log "size_bytes $in_size -> $out_size; compressed $(jq .image.compressed_bytes "$W/$name-in.json") -> $(jq .image.compressed_bytes "$W/$name-out.json")"

	step "$name: reproducible"
	"$WHITTLE" squash "docker-archive:$in" "docker-archive:$W/$name-sq2.tar" --tag "$sq" >/dev/null
	check_same_file "$name: a second run writes the same archive" "$out" "$W/$name-sq2.tar"
	rm -f "$W/$name-sq2.tar"

	step "$name: registry"
	local pushed=$REGISTRY/e2e/sq-$name:squashed digest
	if "$WHITTLE" squash --insecure --format json "docker-archive:$in" "$pushed" >"$W/$name-push.json" 2>"$W/$name-push.err"; then
		_check_ok "$name: whittle squash ... $pushed"
		digest=$(jq -r .digest "$W/$name-push.json")
		check_eq "$name: the registry serves whittle's digest" "$digest" \
			"$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$pushed")"
		img_to_oci "docker://$pushed" "$W/$name-pulled" 1 --src-tls-verify=false
		unpack_listing "$W/$name-pulled:1" "$name-pulled"
		check_same_file "$name: pulled back with skopeo, same filesystem" "$W/$name-in.listing" "$W/$name-pulled.listing"
	else
		_check_fail "$name: whittle squash ... $pushed"
		sed 's/^/        /' "$W/$name-push.err"
	fi

	step "$name: docker-daemon: source and destination"
	if "$WHITTLE" squash "docker-daemon:$ref" "docker-daemon:e2e/sq-$name:fromdaemon" >"$W/$name-daemon.txt" 2>&1; then
		_check_ok "$name: whittle squash docker-daemon:$ref docker-daemon:e2e/sq-$name:fromdaemon"
		check_eq "$name: functional check of the daemon round trip" "$run_out" \
			"$(docker run --rm --network none "e2e/sq-$name:fromdaemon" 2>&1 || true)"
	else
		_check_fail "$name: whittle squash from and to the daemon"
		sed 's/^/        /' "$W/$name-daemon.txt"
	fi
	rm -rf "$W/$name-in-oci" "$W/$name-out-oci" "$W/$name-pulled"
}

# ---------------------------------------------------------------- busybox

mkdir -p "$W/busybox"
cat >"$W/busybox/check.sh" <<'EOF'
set -e
cd /data
sha256sum -c -s /data/SUMS
test "$(cat dir/new)" = new && test ! -e dir/a && test ! -e big && test -f gone
test "$(readlink link)" = keep
test "$(stat -c '%h %u:%g %a' keep)" = "2 1000:1000 4750"
test "$(stat -c '%h' /opt/tool/tool)" = 2 && test ! -e /opt/tool/build.tmp
test "$(stat -c %Y over)" = 981173106
echo CHECK-OK
EOF
cat >"$W/busybox/Dockerfile" <<EOF
FROM $BUSYBOX_BASE
RUN mkdir -p /data/dir /data/gone /opt/tool \\
 && head -c 3145728 /dev/urandom > /data/big \\
 && head -c 65536 /dev/urandom > /data/dir/a \\
 && head -c 3000 /dev/urandom > /data/gone/x \\
 && head -c 10000 /dev/urandom > /data/keep \\
 && ln /data/keep /data/keep.link && ln -s keep /data/link \\
 && head -c 4096 /dev/urandom > /data/over \\
 && chown 1000:1000 /data/keep && chmod 4750 /data/keep
RUN head -c 500000 /dev/urandom > /opt/tool/build.tmp && cp /opt/tool/build.tmp /opt/tool/tool
RUN ln /opt/tool/tool /opt/tool/tool.hard
RUN rm /data/big /opt/tool/build.tmp \\
 && rm -r /data/dir && mkdir /data/dir && echo new > /data/dir/new \\
 && rm -r /data/gone && echo replaced > /data/gone \\
 && head -c 2048 /dev/urandom > /data/over && touch -d '2001-02-03 04:05:06' /data/over
RUN cd /data && sha256sum keep keep.link over gone dir/new /opt/tool/tool /opt/tool/tool.hard > /data/SUMS
COPY check.sh /check.sh
ENV E2E=busybox
LABEL org.example.test=squash
EXPOSE 8080
VOLUME /data/vol
HEALTHCHECK CMD true
CMD ["sh", "/check.sh"]
EOF
squash_image busybox "$W/busybox"

step "busybox: --base, and zstd in OCI layouts"
if "$WHITTLE" squash --dry-run --format json --base "docker-daemon:$BUSYBOX_BASE" "docker-daemon:e2e/sq-busybox:1" >"$W/base.json" 2>"$W/base.err"; then
	check_eq "busybox: --base keeps the layers shared with the base" "base 1" "$(jq -r '"\(.plan.base_from) \(.plan.kept | length)"' "$W/base.json")"
else
	_check_fail "busybox: whittle squash --base"
	sed 's/^/        /' "$W/base.err"
fi
# umoci 0.4 reads no zstd layer: skopeo turns input and output back into gzip.
img_to_oci "docker-archive:$W/busybox.tar" "$W/zstd-in" 1 --dest-compress --dest-compress-format zstd
if "$WHITTLE" squash --compression zstd "oci:$W/zstd-in:1" "oci:$W/zstd-out:1" >"$W/zstd.txt" 2>&1; then
	_check_ok "busybox: whittle squash --compression zstd oci:... oci:..."
	check_eq "busybox: the merged layer is zstd" application/vnd.oci.image.layer.v1.tar+zstd \
		"$(skopeo inspect --raw "oci:$W/zstd-out:1" | jq -r '.layers[-1].mediaType')"
	skopeo --insecure-policy copy -q --dest-compress --dest-compress-format gzip "oci:$W/zstd-out:1" "oci:$W/zstd-gz:1"
	unpack_listing "$W/zstd-gz:1" zstd-out
	check_same_file "busybox: zstd result, same filesystem" "$W/busybox-in.listing" "$W/zstd-out.listing"
	# The reference zstd decoder reads the merged layer (written by
	# concurrent jobs as one frame) to its diff_id; on one core, and in
	# a second run, the same bytes.
	zdig=$(jq -r '.layers[-1].digest' "$W/zstd-out/blobs/sha256/$(jq -r '.manifests[0].digest' "$W/zstd-out/index.json" | cut -d: -f2)")
	zcfg=$(jq -r '.config.digest' "$W/zstd-out/blobs/sha256/$(jq -r '.manifests[0].digest' "$W/zstd-out/index.json" | cut -d: -f2)")
	check_eq "busybox: zstd -d of the merged layer hashes to its diff_id" \
		"$(jq -r '.rootfs.diff_ids[-1]' "$W/zstd-out/blobs/sha256/${zcfg#sha256:}")" \
		"sha256:$(zstd -dc "$W/zstd-out/blobs/sha256/${zdig#sha256:}" | sha256sum | cut -d' ' -f1)"
	for procs in 1 2; do
		GOMAXPROCS=$procs "$WHITTLE" squash --compression zstd --format json "oci:$W/zstd-in:1" "oci:$W/zstd-p$procs:1" >"$W/zstd-p$procs.json" 2>&1 || true
		check_eq "busybox: zstd merged layer with GOMAXPROCS=$procs, the same digest" "$zdig" "$(jq -r '.layer.digest' "$W/zstd-p$procs.json")"
	done
	# gzip at --compression-level 9 (pgzip's blocks as one stream):
	# GNU gzip reads it to its diff_id.
	if "$WHITTLE" squash --compression-level 9 --format json "oci:$W/zstd-in:1" "oci:$W/gz9:1" >"$W/gz9.json" 2>&1; then
		g=$(jq -r '.layer.digest' "$W/gz9.json")
		check_eq "busybox: gzip -d of the level-9 merged layer hashes to its diff_id" "$(jq -r '.layer.diff_id' "$W/gz9.json")" \
			"sha256:$(gzip -dc "$W/gz9/blobs/sha256/${g#sha256:}" | sha256sum | cut -d' ' -f1)"
	else
		_check_fail "busybox: whittle squash --compression-level 9"
		sed 's/^/        /' "$W/gz9.json"
	fi
else
	_check_fail "busybox: whittle squash --compression zstd"
	sed 's/^/        /' "$W/zstd.txt"
fi
rm -rf "$W/zstd-in" "$W/zstd-out" "$W/zstd-gz" "$W/zstd-p1" "$W/zstd-p2" "$W/gz9"

# ---------------------------------------------------------------- debian

mkdir -p "$W/debian"
# A naive Dockerfile: apt in separate RUNs, lists removed in a later one.
# When the build cannot reach Debian's archive, the same steps run on files
# of the base instead, so that the script still checks a real Debian image.
if docker run --rm --network host "$DEBIAN_BASE" sh -c 'timeout 60 apt-get update >/dev/null 2>&1'; then
	INSTALL='RUN apt-get update
RUN apt-get install -y --no-install-recommends jq
RUN rm -rf /var/lib/apt/lists/*'
	CHECK='jq -e .ok /home/app/whittle.json >/dev/null'
else
	warn "Debian's archive cannot be reached from a build: no apt in the Debian image"
	INSTALL='RUN cp -a /usr/share/doc /opt/doc && mkdir -p /var/lib/apt/lists && cp /etc/os-release /var/lib/apt/lists/fake_Release
RUN rm -rf /opt/doc/a* /opt/doc/b*'
	CHECK='grep -q true /home/app/whittle.json'
fi
cat >"$W/debian/Dockerfile" <<EOF
FROM $DEBIAN_BASE
$INSTALL
RUN echo '{"ok":true}' > /etc/whittle.json && useradd -m -u 1234 app \\
 && cp /etc/whittle.json /home/app/ && chown app:app /home/app/whittle.json && chmod 640 /home/app/whittle.json
RUN head -c 1000000 /dev/urandom > /tmp/scratch && rm /tmp/scratch
USER app
WORKDIR /home/app
ENV WHITTLE_E2E=1
CMD ["sh", "-c", "$CHECK && echo CHECK-OK \$WHITTLE_E2E \$(id -u) \$(pwd)"]
EOF
squash_image debian "$W/debian"

step "debian: --prune caches"
if "$WHITTLE" squash --prune caches --format json "docker-archive:$W/debian.tar" "docker-archive:$W/debian-pruned.tar" --tag e2e/sq-debian:pruned >"$W/debian-pruned.json" 2>"$W/debian-pruned.err"; then
	_check_ok "debian: whittle squash --prune caches"
	jq -r '.pruned[] | "    pruned \(.category): \(.files) files, \(.bytes) bytes"' "$W/debian-pruned.json"
	check_eq "debian: saved = wasted + pruned" "$(jq '.saved_bytes' "$W/debian-pruned.json")" \
		"$(jq '.wasted_bytes + ([.pruned[].bytes] | add // 0)' "$W/debian-pruned.json")"
	docker load -q -i "$W/debian-pruned.tar" >/dev/null
	check_eq "debian: pruned image still runs" "$(docker run --rm --network none e2e/sq-debian:1 2>&1 || true)" \
		"$(docker run --rm --network none e2e/sq-debian:pruned 2>&1 || true)"
	img_to_oci "docker-archive:$W/debian-pruned.tar" "$W/debian-pruned-oci" 1
	unpack_listing "$W/debian-pruned-oci:1" debian-pruned
	jq -r '.pruned[].paths[]' "$W/debian-pruned.json" | LC_ALL=C sort >"$W/debian-pruned.paths"
	LC_ALL=C awk 'NR == FNR { drop[$0] = 1; next } !($1 in drop)' "$W/debian-pruned.paths" "$W/debian-in.listing" >"$W/debian-in-minus-pruned.listing"
	check_same_file "debian: the filesystem is the input's without the $(wc -l <"$W/debian-pruned.paths") pruned files" \
		"$W/debian-in-minus-pruned.listing" "$W/debian-pruned.listing"
else
	_check_fail "debian: whittle squash --prune caches"
	sed 's/^/        /' "$W/debian-pruned.err"
fi

# ---------------------------------------------------------------- dive

DIVE=$E2E_SRC/testdata/compat/dive
for f in test-docker-image.tar test-kaniko-image.tar; do
	step "dive fixture $f"
	n=dive-${f%%-image.tar}
	if [ ! -f "$DIVE/$f" ]; then
		_check_fail "$f: not found in $DIVE"
		continue
	fi
	if ! "$WHITTLE" squash "docker-archive:$DIVE/$f" "docker-archive:$W/$n-sq.tar" --tag "e2e/$n:squashed" >"$W/$n.txt" 2>&1; then
		_check_fail "$f: whittle squash"
		sed 's/^/        /' "$W/$n.txt"
		continue
	fi
	sed 's/^/    /' "$W/$n.txt"
	img_to_oci "docker-archive:$DIVE/$f" "$W/$n-in-oci" 1
	img_to_oci "docker-archive:$W/$n-sq.tar" "$W/$n-out-oci" 1
	unpack_listing "$W/$n-in-oci:1" "$n-in"
	unpack_listing "$W/$n-out-oci:1" "$n-out"
	check_same_file "$f: same filesystem after squash ($(wc -l <"$W/$n-in.listing") entries)" "$W/$n-in.listing" "$W/$n-out.listing"
	check_same_file "$f: same mtimes" "$W/$n-in.mtimes" "$W/$n-out.mtimes"
	docker load -q -i "$W/$n-sq.tar" >/dev/null
	want_size=$(sed -n 's|^root/saved.txt f .* size=\([0-9]*\) .*|\1|p' "$W/$n-in.listing")
	check_eq "$f: the squashed image runs" "$want_size gone" \
		"$(docker run --rm --network none "e2e/$n:squashed" sh -c 'wc -c < /root/saved.txt; test -e /root/example || echo gone' 2>&1 | tr -s ' \n' ' ' | sed 's/ $//')"
	rm -rf "$W/$n-in-oci" "$W/$n-out-oci"
done

check_done

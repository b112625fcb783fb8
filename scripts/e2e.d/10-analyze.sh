#!/usr/bin/env bash
# whittle analyze against real images, read ten ways.
#
# Builds two images with the real Docker Engine (one on the busybox base, one
# on the Debian base), each with a RUN that creates files and a later RUN that
# deletes some of them, replaces a directory and overwrites a file, so the
# wasted bytes are known by construction. Then analyzes each image from the
# daemon (docker-daemon:), a `docker save` tar (docker-archive:, and as a bare
# path), an OCI layout made by skopeo (uncompressed layers, also as a bare
# directory; and zstd layers), the real registry (bare and docker://), and with
# dive's --source docker and --source docker-archive, and checks that:
#   - all ten give the same figures (sizes, waste, caches, duplicates, files,
#     per-layer diff_ids and sizes, the list of wasted files);
#   - diff_ids equal what the daemon reports, and each layer's size_bytes the
#     regular-file bytes that GNU tar lists in that layer of the docker save tar;
#   - wasted_bytes equals what the Dockerfile deleted or overwrote;
#   - visible_bytes, files, duplicate_bytes and the caches by category equal
#     what the merged root filesystem unpacked by umoci holds (hard links
#     counted once);
#   - for the busybox image, every figure equals its value by construction,
#     and the CI gate passes and fails at the exact wasted-bytes boundary.
# Environment: see scripts/e2e.sh.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${REGISTRY:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}" "${BUSYBOX_BASE:?}" "${DEBIAN_BASE_TAR:?}"
W=$E2E_WORK

# minus A B: A - B if both are integers, else "n/a".
minus() {
	if [[ $1 =~ ^-?[0-9]+$ && $2 =~ ^-?[0-9]+$ ]]; then echo $(($1 - $2)); else echo n/a; fi
}

# cache_oracle ROOTFS: "CATEGORY BYTES" lines, sorted, for the cache
# categories a Debian or busybox root filesystem can hold, as the README
# defines them: apt-lists (var/lib/apt/lists/** but the lock), apt-archives
# (var/cache/apt/archives/**.deb and var/cache/apt/*.bin), tmp (tmp/**,
# var/tmp/**). Visible regular files, each inode once; zero categories left out.
cache_oracle() {
	local root=$1
	{
		[ ! -d "$root/var/lib/apt/lists" ] ||
			find "$root/var/lib/apt/lists" -type f ! -path "$root/var/lib/apt/lists/lock" -printf 'apt-lists %i %s\n'
		[ ! -d "$root/var/cache/apt/archives" ] ||
			find "$root/var/cache/apt/archives" -type f -name '*.deb' -printf 'apt-archives %i %s\n'
		[ ! -d "$root/var/cache/apt" ] ||
			find "$root/var/cache/apt" -maxdepth 1 -type f -name '*.bin' -printf 'apt-archives %i %s\n'
		local d
		for d in tmp var/tmp; do
			[ ! -d "$root/$d" ] || find "$root/$d" -mindepth 1 -type f -printf 'tmp %i %s\n'
		done
	} | sort -u -k1,2 | awk '{ s[$1] += $3 } END { for (c in s) if (s[c] > 0) print c, s[c] }' | sort
}

# ---------------------------------------------------------------- whittle

# project JSON: the figures that every source must agree on (not digests or
# compressed sizes, which depend on how the source stores the layers).
project() {
	jq -S '{
		image: (.image | {size_bytes, wasted_bytes, visible_bytes, cache_bytes, duplicate_bytes, files, platform}),
		layers: [.layers[] | {index, diff_id, size_bytes, wasted_bytes, created_by,
			files_added, files_modified, files_deleted}],
		waste: ([.waste[] | {path, layer, bytes, reason, shadowed_by}] | sort_by(.path, .layer)),
		caches: ([.caches[] | {category, bytes, files}] | sort_by(.category)),
		duplicates: ([.duplicates[] | {digest, size, paths, bytes}] | sort_by(.digest))
	}' "$1"
}

# analyze NAME SOURCE [FLAGS...]: run whittle analyze --format json on
# SOURCE into $W/NAME.json and its projection into $W/NAME.proj; fails (with a
# FAIL line) when whittle fails or its output is not a report.
analyze() {
	local name=$1 src=$2 start took
	shift 2
	start=$(date +%s.%N)
	if ! "$WHITTLE" analyze --format json "$@" "$src" >"$W/$name.json" 2>"$W/$name.err"; then
		_check_fail "whittle analyze $* $src"
		sed 's/^/        /' "$W/$name.err" | tail -n 20
		return 1
	fi
	took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2fs", b - a }')
	if ! jq -e '.image.size_bytes | numbers' "$W/$name.json" >/dev/null 2>&1 ||
		! project "$W/$name.json" >"$W/$name.proj" 2>"$W/$name.err"; then
		_check_fail "whittle analyze $* $src: output is not a JSON report"
		head -c 2000 "$W/$name.json" | sed 's/^/        /'
		return 1
	fi
	_check_ok "whittle analyze $* $src ($took)"
}

# ---------------------------------------------------------------- one image

# check_image NAME CONTEXT_DIR WANT_WASTED [roundtrip]: build, read every
# way, compare. With "roundtrip", also check that the image pulled back from
# the registry unpacks to the same filesystem. Sets ORACLE_* and GOT_* for the
# by-construction checks made by the caller.
check_image() {
	local name=$1 ctx=$2 want_wasted=$3 roundtrip=${4:-}
	GOT_SIZE=missing GOT_WASTED=missing GOT_VISIBLE=missing GOT_CACHE=missing
	GOT_DUP=missing GOT_FILES=missing GOT_LAYER_SIZES=missing GOT_WASTE_LIST=missing
	local ref=e2e/$name:1 save=$W/$name.tar oci=$W/$name-oci zoci=$W/$name-zstd
	step "$name: build and copy"
	img_build "$ref" "$ctx"
	img_diff_ids "$ref" >"$W/$name.diffids"
	log "$ref: $(wc -l <"$W/$name.diffids") layers"
	docker save -o "$save" "$ref"
	img_to_oci "docker-daemon:$ref" "$oci" 1
	img_to_oci "docker-archive:$save" "$zoci" 1 --dest-compress --dest-compress-format zstd
	local pushed
	pushed=$(img_push "$ref")
	check_cmd "$name: registry has the manifest" curl -fsS -o /dev/null \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REGISTRY/v2/e2e/$name/manifests/1"

	step "$name: oracles (GNU tar over the docker save layers; umoci's merged rootfs)"
	local tar_sizes tar_total
	tar_sizes=$(save_layer_sizes "$save" | paste -sd' ')
	tar_total=$(tr ' ' '\n' <<<"$tar_sizes" | awk '{ s += $1 } END { print s + 0 }')
	local bundle=$W/$name-bundle u_visible u_files u_dup
	img_unpack "$oci:1" "$bundle"
	read -r u_visible u_files u_dup <<<"$(rootfs_figures "$bundle/rootfs")"
	cache_oracle "$bundle/rootfs" >"$W/$name.caches"
	if [ "$roundtrip" = roundtrip ]; then
		# The registry round trip keeps the filesystem (this also exercises
		# the listing helper that other scripts compare root filesystems with).
		img_to_oci "docker://$pushed" "$W/$name-pulled" 1 --src-tls-verify=false
		img_unpack "$W/$name-pulled:1" "$W/$name-pulled-bundle"
		rootfs_listing "$bundle/rootfs" >"$W/$name.listing"
		rootfs_listing "$W/$name-pulled-bundle/rootfs" >"$W/$name-pulled.listing"
		check_same_file "$name: the registry copy unpacks to the same filesystem ($(wc -l <"$W/$name.listing") entries)" \
			"$W/$name.listing" "$W/$name-pulled.listing"
		rm -rf "$W/$name-pulled-bundle" "$W/$name-pulled"
	fi
	rm -rf "$bundle"
	log "layer regular-file bytes: $tar_sizes (total $tar_total)"
	log "rootfs: $u_visible bytes in $u_files files, $u_dup duplicate bytes"
	# The two oracles must agree with each other and with the construction
	# before whittle is compared with them.
	check_eq "$name: oracles: layer bytes - deleted/overwritten bytes = rootfs bytes" \
		"$u_visible" "$((tar_total - want_wasted))"
	ORACLE_LAYER_SIZES=$tar_sizes ORACLE_VISIBLE=$u_visible ORACLE_FILES=$u_files ORACLE_DUP=$u_dup

	step "$name: whittle analyze, every source"
	local s ok=()
	analyze "$name.daemon" "docker-daemon:$ref" && ok+=(daemon)
	analyze "$name.archive" "docker-archive:$save" && ok+=(archive)
	analyze "$name.oci" "oci:$oci:1" && ok+=(oci)
	analyze "$name.zstd" "oci:$zoci:1" && ok+=(zstd)
	analyze "$name.registry" "$pushed" --insecure && ok+=(registry)
	# The same sources named other ways: a bare tar path, a bare layout
	# directory, and the registry with its docker:// prefix.
	analyze "$name.tarpath" "$save" && ok+=(tarpath)
	analyze "$name.ocidir" "$oci" && ok+=(ocidir)
	analyze "$name.docker" "docker://$pushed" --insecure && ok+=(docker)
	# dive's spellings: --source docker (the daemon), --source docker-archive.
	analyze "$name.divedaemon" "$ref" --source docker && ok+=(divedaemon)
	analyze "$name.divetar" "$save" --source docker-archive && ok+=(divetar)
	if [ "${#ok[@]}" -eq 0 ]; then
		_check_fail "$name: no source could be analyzed; nothing more to check"
		return 0
	fi
	for s in "${ok[@]:1}"; do
		check_same_file "$name: $s figures equal the ${ok[0]}'s" "$W/$name.${ok[0]}.proj" "$W/$name.$s.proj"
	done

	local j=$W/$name.${ok[0]}.json
	GOT_SIZE=$(jq -r '.image.size_bytes | numbers // "missing"' "$j")
	GOT_WASTED=$(jq -r '.image.wasted_bytes | numbers // "missing"' "$j")
	GOT_VISIBLE=$(jq -r '.image.visible_bytes | numbers // "missing"' "$j")
	GOT_CACHE=$(jq -r '.image.cache_bytes | numbers // "missing"' "$j")
	GOT_DUP=$(jq -r '.image.duplicate_bytes | numbers // "missing"' "$j")
	GOT_FILES=$(jq -r '.image.files | numbers // "missing"' "$j")
	GOT_LAYER_SIZES=$(jq -r '[.layers[]?.size_bytes] | join(" ")' "$j")
	GOT_WASTE_LIST=$(jq -r '[.waste[]? | "\(.path) \(.bytes) \(.reason)"] | sort | join("|")' "$j")

	step "$name: against the oracles"
	check_eq "$name: diff_ids equal the daemon's RootFS.Layers" \
		"$(paste -sd' ' "$W/$name.diffids")" "$(jq -r '[.layers[]?.diff_id] | join(" ")' "$j")"
	check_eq "$name: per-layer size_bytes equal GNU tar's regular-file bytes" "$tar_sizes" "$GOT_LAYER_SIZES"
	check_eq "$name: size_bytes equals the sum over the layer tars" "$tar_total" "$GOT_SIZE"
	check_gt "$name: wasted_bytes" "$GOT_WASTED" 0
	check_eq "$name: wasted_bytes equals what the Dockerfile deleted or overwrote" "$want_wasted" "$GOT_WASTED"
	check_eq "$name: visible_bytes = size_bytes - wasted_bytes" "$(minus "$GOT_SIZE" "$GOT_WASTED")" "$GOT_VISIBLE"
	check_eq "$name: the waste list adds up to wasted_bytes" "$GOT_WASTED" "$(jq '[.waste[]?.bytes] | add // 0' "$j")"

	check_eq "$name: visible_bytes equals umoci's rootfs regular-file bytes" "$u_visible" "$GOT_VISIBLE"
	check_eq "$name: size_bytes - wasted_bytes equals umoci's rootfs bytes" "$u_visible" "$(minus "$GOT_SIZE" "$GOT_WASTED")"
	check_eq "$name: files equals umoci's rootfs regular files (inodes)" "$u_files" "$GOT_FILES"
	check_eq "$name: duplicate_bytes equals umoci's rootfs duplicates (sha256)" "$u_dup" "$GOT_DUP"
	check_eq "$name: caches by category equal umoci's rootfs ($(paste -sd' ' "$W/$name.caches"))" \
		"$(paste -sd'|' "$W/$name.caches")" \
		"$(jq -r '[.caches[]? | select(.bytes > 0) | "\(.category) \(.bytes)"] | sort | join("|")' "$j")"
	check_eq "$name: cache_bytes equals the sum of umoci's rootfs caches" \
		"$(awk '{ s += $2 } END { print s + 0 }' "$W/$name.caches")" "$GOT_CACHE"

	step "$name: figures"
	printf '  %-10s %12s %12s %12s %10s %10s %7s %12s\n' source size wasted visible cache duplicate files compressed
	for s in "${ok[@]}"; do
		jq -r --arg s "$s" '[$s, .image.size_bytes, .image.wasted_bytes, .image.visible_bytes,
			.image.cache_bytes, .image.duplicate_bytes, .image.files, .image.compressed_bytes] | @tsv' \
			"$W/$name.$s.json" |
			awk -F'\t' '{ printf "  %-10s %12s %12s %12s %10s %10s %7s %12s\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
	done
	printf '  %-10s %12s %12s %12s %10s %10s %7s\n' oracle "$tar_total" "$want_wasted" "$u_visible" "-" "$u_dup" "$u_files"
}

# ---------------------------------------------------------------- busybox

step "busybox image"
mkdir -p "$W/busybox"
cat >"$W/busybox/Dockerfile" <<EOF
FROM $BUSYBOX_BASE
RUN mkdir -p /data/dir /data/gone /tmp \\
 && head -c 3145728 /dev/urandom > /data/big \\
 && head -c 3000 /dev/urandom > /data/gone/x \\
 && head -c 65536 /dev/urandom > /data/dir/a \\
 && head -c 1000 /dev/urandom > /data/dir/b \\
 && head -c 4096 /dev/urandom > /data/over \\
 && head -c 10000 /dev/urandom > /data/keep \\
 && ln /data/keep /data/keep.link \\
 && cp /data/keep /data/keep.copy \\
 && head -c 20000 /dev/urandom > /tmp/scratch
RUN rm /data/big \\
 && rm -r /data/dir && mkdir /data/dir && echo new > /data/dir/new \\
 && rm -r /data/gone && echo replaced > /data/gone \\
 && head -c 2048 /dev/urandom > /data/over
EOF
# By construction: /data/big deleted (a whiteout), /data/dir emptied and made
# again (overlay2 writes an opaque marker), /data/gone replaced by a file,
# /data/over overwritten.
BB_WASTED=$((3145728 + 65536 + 1000 + 3000 + 4096))
BB_BIN=$(docker run --rm --network none "$BUSYBOX_BASE" stat -c %s /bin/busybox)
check_image busybox "$W/busybox" "$BB_WASTED" roundtrip
BB_LAYERS="$BB_BIN $((3145728 + 65536 + 1000 + 3000 + 4096 + 10000 + 10000 + 20000)) $((4 + 9 + 2048))"
BB_VISIBLE=$((BB_BIN + 10000 + 10000 + 20000 + 4 + 9 + 2048))
check_eq "busybox: oracle layer sizes by construction" "$BB_LAYERS" "$ORACLE_LAYER_SIZES"
check_eq "busybox: oracle rootfs bytes by construction" "$BB_VISIBLE" "$ORACLE_VISIBLE"
check_eq "busybox: oracle rootfs files by construction" 7 "$ORACLE_FILES"
check_eq "busybox: oracle rootfs duplicates by construction" 10000 "$ORACLE_DUP"
check_eq "busybox: layer sizes by construction" "$BB_LAYERS" "$GOT_LAYER_SIZES"
check_eq "busybox: visible_bytes by construction" "$BB_VISIBLE" "$GOT_VISIBLE"
check_eq "busybox: files by construction (busybox keep keep.copy scratch over dir/new gone)" 7 "$GOT_FILES"
check_eq "busybox: duplicate_bytes by construction (keep.copy)" 10000 "$GOT_DUP"
check_eq "busybox: cache_bytes by construction (/tmp/scratch)" 20000 "$GOT_CACHE"
# The CI gate on the real image, at the exact boundary: wasted bytes that
# equal the limit pass, one byte over fails (exit 1).
gate() {
	"$WHITTLE" analyze --max-wasted-bytes "$1" "docker-archive:$W/busybox.tar" >"$W/gate.out" 2>&1 && echo 0 || echo $?
}
check_eq "busybox: CI gate --max-wasted-bytes $BB_WASTED (= wasted) exits" 0 "$(gate "$BB_WASTED")"
check_eq "busybox: CI gate --max-wasted-bytes $((BB_WASTED - 1)) (wasted - 1) exits" 1 "$(gate $((BB_WASTED - 1)))"
if "$WHITTLE" analyze "docker-daemon:e2e/busybox:1" >"$W/busybox.txt" 2>&1 && grep -qi wasted "$W/busybox.txt"; then
	_check_ok "busybox: the text report renders ($(wc -l <"$W/busybox.txt") lines)"
else
	_check_fail "busybox: the text report"
	head -n 20 "$W/busybox.txt" | sed 's/^/        /'
fi
check_eq "busybox: waste list by construction" \
	'/data/big 3145728 deleted|/data/dir/a 65536 opaque|/data/dir/b 1000 opaque|/data/gone/x 3000 parent-replaced|/data/over 4096 overwritten' \
	"$GOT_WASTE_LIST"

# ---------------------------------------------------------------- debian

step "debian image"
mkdir -p "$W/debian"
cat >"$W/debian/Dockerfile" <<EOF
FROM $DEBIAN_BASE
RUN head -c 2000000 /dev/urandom > /opt/blob \\
 && head -c 300000 /dev/urandom > /opt/keep \\
 && mkdir /opt/tree \\
 && for i in 1 2 3 4 5; do head -c 10000 /dev/urandom > /opt/tree/f\$i; done
RUN rm /opt/blob && rm -rf /opt/tree && printf 'whittle e2e\n' > /etc/debian_version
EOF
DEB_VERSION_BYTES=$(tar -xOf "$DEBIAN_BASE_TAR" ./etc/debian_version | wc -c)
# By construction: deleted 2000000 + 5 * 10000, overwritten the base's /etc/debian_version.
DEB_WASTED=$((2000000 + 5 * 10000 + DEB_VERSION_BYTES))
check_image debian "$W/debian" "$DEB_WASTED"
DEB_LAYERS="$((2000000 + 300000 + 5 * 10000)) 12"
check_eq "debian: oracle layer sizes above the base by construction" "$DEB_LAYERS" "$(cut -d' ' -f2- <<<"$ORACLE_LAYER_SIZES")"
check_eq "debian: layer sizes above the base by construction" "$DEB_LAYERS" "$(cut -d' ' -f2- <<<"$GOT_LAYER_SIZES")"
check_eq "debian: waste list by construction" \
	"/etc/debian_version $DEB_VERSION_BYTES overwritten|/opt/blob 2000000 deleted$(for i in 1 2 3 4 5; do printf '|/opt/tree/f%s 10000 parent-deleted' "$i"; done)" \
	"$GOT_WASTE_LIST"

check_done

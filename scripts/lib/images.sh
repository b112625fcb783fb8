# shellcheck shell=bash
# Image helpers for end-to-end scripts: build, copy between transports, and
# independent oracles (GNU tar over layer tars, umoci's merged root
# filesystem) to check whittle's figures against. Needs the environment that
# scripts/e2e.sh exports (DOCKER_HOST, REGISTRY) and common.sh sourced first.

# img_build REF CONTEXT_DIR [DOCKER_BUILD_ARGS...]: docker build with the
# host network (so RUN can reach Debian's archive). The build's output is
# shown only when it fails (its last 40 lines).
img_build() {
	local ref=$1 ctx=$2 out rc=0
	shift 2
	out=$(mktemp)
	docker build --network host -t "$ref" "$@" "$ctx" >"$out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$out" >&2
		rm -f "$out"
		warn "docker build of $ref failed (exit $rc)"
		return "$rc"
	fi
	rm -f "$out"
}

# img_diff_ids REF: the daemon's RootFS.Layers, one per line, bottom first.
img_diff_ids() {
	docker image inspect --format '{{json .RootFS.Layers}}' "$1" | jq -r '.[]'
}

# img_to_oci SOURCE DIR TAG [SKOPEO_ARGS...]: copy SOURCE (a skopeo transport
# reference: docker-daemon:REF, docker-archive:PATH, ...) into the OCI layout
# DIR under TAG. Extra arguments go to skopeo copy (e.g. --dest-compress
# --dest-compress-format zstd).
img_to_oci() {
	local src=$1 dir=$2 tag=$3
	shift 3
	skopeo --insecure-policy copy -q --src-daemon-host "$DOCKER_HOST" "$@" "$src" "oci:$dir:$tag"
}

# img_push REF: push a daemon image to the e2e registry as $REGISTRY/REF and
# print that name.
img_push() {
	docker tag "$1" "$REGISTRY/$1"
	docker push -q "$REGISTRY/$1" >/dev/null
	echo "$REGISTRY/$1"
}

# img_unpack OCI_DIR:TAG DEST: the merged root filesystem of an OCI layout, by
# umoci, in DEST/rootfs.
img_unpack() {
	local log
	log=$(mktemp)
	if ! umoci unpack --image "$1" "$2" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "umoci unpack --image $1 failed"
	fi
	rm -f "$log"
}

# save_layer_sizes SAVE_TAR: one line per layer, bottom first, of a `docker
# save` tar: the regular-file bytes GNU tar lists in the layer (a hard link
# counts 0, as in the tar headers).
save_layer_sizes() {
	local save=$1 l
	tar -xOf "$save" manifest.json | jq -r '.[0].Layers[]' | while read -r l; do
		tar -xOf "$save" "$l" | tar -tv --numeric-owner -f - |
			awk '$1 ~ /^-/ { s += $3 } END { print s + 0 }'
	done
}

# rootfs_figures ROOTFS: "VISIBLE FILES DUPLICATE" of a merged root
# filesystem: regular-file bytes and count with each inode counted once, and
# the bytes of non-empty files whose content equals an earlier file's (hard
# links to one file are one file). Paths must not hold newlines.
rootfs_figures() {
	local root=$1 tmp visible files dup
	tmp=$(mktemp -d)
	find "$root" -type f -printf '%i %s %p\n' | sort -k1,1n -u -s >"$tmp/inodes"
	awk '$2 > 0' "$tmp/inodes" | cut -d' ' -f3- | xargs -r -d '\n' sha256sum >"$tmp/sums"
	visible=$(awk '{ s += $2 } END { print s + 0 }' "$tmp/inodes")
	files=$(wc -l <"$tmp/inodes")
	dup=$(awk 'NR == FNR { p = $0; sub(/^[^ ]* [^ ]* /, "", p); size[p] = $2; next }
		{ h = substr($0, 1, 64); p = substr($0, 67); n[h]++; sz[h] = size[p] }
		END { for (h in n) t += sz[h] * (n[h] - 1); print t + 0 }' "$tmp/inodes" "$tmp/sums")
	rm -rf "$tmp"
	echo "$visible $files $dup"
}

# rootfs_listing ROOTFS: a canonical description of a root filesystem, one
# line per entry in path order: path, type, mode, uid, gid, size and sha256
# for regular files, target for symlinks, and the inode group for hard links
# (as the first path of the group). Modification times are left out. Two
# root filesystems are the same filesystem when their listings are equal.
rootfs_listing() {
	local root=$1 tmp
	tmp=$(mktemp -d)
	(cd "$root" && find . -mindepth 1 -printf '%P\t%y\t%m\t%U\t%G\t%i\t%n\t%s\t%l\n') |
		LC_ALL=C sort >"$tmp/entries"
	(cd "$root" && awk -F'\t' '$2 == "f" && $8 > 0 { print $1 }' "$tmp/entries" |
		xargs -r -d '\n' sha256sum) >"$tmp/sums"
	LC_ALL=C awk -F'\t' '
		NR == FNR { sums[substr($0, 67)] = substr($0, 1, 64); next }
		{
			path = $1; type = $2; extra = ""
			if (type == "f") {
				extra = "size=" $8 " sha256=" ((path in sums) ? sums[path] : "empty")
				if ($7 > 1) { if (!($6 in first)) first[$6] = path; extra = extra " link=" first[$6] }
			} else if (type == "l") {
				extra = "target=" $9
			}
			printf "%s %s %s %s:%s %s\n", path, type, $3, $4, $5, extra
		}' "$tmp/sums" "$tmp/entries"
	rm -rf "$tmp"
}

# save_layer_entries SAVE_TAR INDEX: the entries of layer INDEX (0 = bottom)
# of a `docker save` tar, by GNU tar, one per line: "TYPE SIZE PATH", TYPE
# the first letter of the mode (- regular file, d directory, l symlink, h
# hard link), PATH without a leading ./ or a trailing / (link targets cut).
save_layer_entries() {
	local save=$1 idx=$2 l
	l=$(tar -xOf "$save" manifest.json | jq -r ".[0].Layers[$idx]")
	tar -xOf "$save" "$l" | tar -tv --numeric-owner -f - |
		awk '{ t = substr($1, 1, 1); s = $3; $1 = $2 = $3 = $4 = $5 = ""; p = substr($0, 6)
			sub(/^\.\//, "", p); if (t == "h") sub(/ link to .*/, "", p); if (t == "l") sub(/ -> .*/, "", p)
			sub(/\/$/, "", p); if (p != "" && p != ".") print t, s, p }'
}

# save_layer_bytes SAVE_TAR INDEX REGEX [EXCLUDE_REGEX]: the regular-file
# bytes of layer INDEX whose path matches REGEX (and not EXCLUDE_REGEX).
save_layer_bytes() {
	save_layer_entries "$1" "$2" |
		awk -v re="$3" -v ex="${4:-^$}" '$1 == "-" && $3 ~ re && $3 !~ ex { s += $2 } END { print s + 0 }'
}

# save_hidden_bytes SAVE_TAR EARLIER LATER: the regular-file bytes of layer
# EARLIER that layer LATER hides (an entry at the same path, a whiteout of
# the path or a parent, an opaque marker in a parent) and no layer between
# them hid first.
save_hidden_bytes() {
	local save=$1 a=$2 b=$3 i tmp
	tmp=$(mktemp -d)
	save_layer_entries "$save" "$a" >"$tmp/files"
	for ((i = a + 1; i <= b; i++)); do
		save_layer_entries "$save" "$i" | sed "s/^/$i /"
	done >"$tmp/upper"
	awk -v later="$b" '
		FNR == NR {
			l = $1; t = $2; p = $0; sub(/^[^ ]* [^ ]* [^ ]* /, "", p)
			n = split(p, parts, "/"); base = parts[n]; dir = (n > 1) ? substr(p, 1, length(p) - length(base) - 1) : ""
			if (base == ".wh..wh..opq") { opq[l, dir] = 1; next }
			if (substr(base, 1, 4) == ".wh.") { wh[l, (dir == "" ? "" : dir "/") substr(base, 5)] = 1; next }
			at[l, p] = 1
			if (t != "d") nondir[l, p] = 1
			next
		}
		$1 == "-" {
			p = $0; sub(/^[^ ]* [^ ]* /, "", p)
			hid = -1
			for (l = 0; l <= later && hid < 0; l++) {
				if (at[l, p] || wh[l, p]) { hid = l; break }
				q = p
				while (hid < 0) {
					k = split(q, parts, "/")
					if (k <= 1) { if (opq[l, ""]) hid = l; break }
					q = substr(q, 1, length(q) - length(parts[k]) - 1)
					if (opq[l, q] || wh[l, q] || nondir[l, q]) hid = l
				}
			}
			if (hid == later) s += $2
		}
		END { print s + 0 }' "$tmp/upper" "$tmp/files"
	rm -rf "$tmp"
}

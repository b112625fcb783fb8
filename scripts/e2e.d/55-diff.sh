#!/usr/bin/env bash
# whittle diff between real builds: the naive and the fixed build of each
# Dockerfile under scripts/e2e.d/fix/ (built as 40-fix.sh builds them:
# the naive one, then `whittle fix --write`, then the repaired one), checked
# against oracles that share no code with whittle:
#   - Docker's own sizes: `docker image inspect .Size` of both images, which
#     counts symbolic links' targets beside file content (their bytes are
#     taken from GNU tar's listing of `docker save`);
#   - umoci's unpacked root filesystems: visible bytes and files (find,
#     each inode once), every path added, removed or changed (a canonical
#     listing: type, mode, owner, size and sha256, link target, hard-link
#     group), and `diff -r` (every file whose content differs, every path
#     only in one tree);
#   - the installed packages, by `dpkg-query` run in each image: added,
#     removed and upgraded packages (the fixes keep every package, so the
#     Debian base is also compared with the fixed update-alone build, which
#     adds less and what it needs);
#   - the layers: the base layer shared, by diff_id from docker;
#   - the CI gate: --max-growth 0 passes from naive to fixed, fails back.
# It prints each case's figures. Environment: see scripts/e2e.sh.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}" "${E2E_SRC:?}"
W=$E2E_WORK
CASES=$E2E_SRC/scripts/e2e.d/fix

# Context files the Dockerfiles need, as 40-fix.sh makes them.
prepare() {
	local name=$1 dir=$2
	case $name in
	copy-chown)
		mkdir -p "$dir/data"
		head -c 4194304 /dev/urandom >"$dir/data/blob"
		;;
	local-archive)
		mkdir -p "$W/app"
		printf '#!/bin/sh\necho local-archive-ok\n' >"$W/app/hello.sh"
		chmod 755 "$W/app/hello.sh"
		head -c 3145728 /dev/urandom >"$W/app/payload"
		tar -C "$W/app" -czf "$dir/app.tar.gz" .
		;;
	esac
}

# symlink_bytes SAVE_TAR: the bytes of every symbolic link's target over
# all layers of a `docker save` tar, as Docker counts them in .Size.
symlink_bytes() {
	local save=$1 l
	tar -xOf "$save" manifest.json | jq -r '.[0].Layers[]' | while read -r l; do
		tar -xOf "$save" "$l" | tar -tv --numeric-owner -f - | awk '$1 ~ /^l/ { i = index($0, " -> "); s += length(substr($0, i + 4)) } END { print s + 0 }'
	done | awk '{ s += $1 } END { print s + 0 }'
}

# packages REF: "name:arch version" of every package dpkg holds installed.
packages() {
	docker run --rm --network none --entrypoint dpkg-query "$1" -W -f '${db:Status-Abbrev} ${Package}:${Architecture} ${Version}\n' |
		awk '$1 == "ii" { print $2, $3 }' | LC_ALL=C sort
}

# j FILTER: jq -r over the JSON report in $json.
j() { jq -r "$1" "$json"; }

# check_pair NAME OLD NEW: whittle diff of the daemon's images OLD and NEW
# against the oracles; the JSON report is left in $W/NAME.json, and the
# removed trees' scratch files are deleted.
check_pair() {
	local name=$1 old=$2 new=$3 side ref links visible files only tops base_id
	json=$W/$name.json
	if ! "$WHITTLE" diff --format json "docker-daemon:$old" "docker-daemon:$new" >"$json" 2>"$W/$name.err"; then
		_check_fail "$name: whittle diff: $(cat "$W/$name.err")"
		return
	fi
	"$WHITTLE" diff --top 8 "docker-daemon:$old" "docker-daemon:$new" 2>&1 | sed 's/^/    /' >&2

	# Docker's sizes: content plus symbolic links' targets, every layer.
	for side in old new; do
		ref=$old
		[ "$side" = new ] && ref=$new
		docker save -o "$W/$name.$side.tar" "$ref"
		links=$(symlink_bytes "$W/$name.$side.tar")
		check_eq "$name: $side size_bytes + symlink targets = docker's .Size" "$(docker image inspect -f '{{.Size}}' "$ref")" \
			"$(($(j ".$side.size_bytes") + links))"
		check_eq "$name: $side size_bytes = GNU tar's regular files" "$(save_layer_sizes "$W/$name.$side.tar" | awk '{ s += $1 } END { print s + 0 }')" \
			"$(j ".$side.size_bytes")"
		rm -f "$W/$name.$side.tar"
	done

	# umoci's trees: visible bytes and files, and every path that differs.
	for side in old new; do
		ref=$old
		[ "$side" = new ] && ref=$new
		img_to_oci "docker-daemon:$ref" "$W/$name.oci" "$side"
		img_unpack "$W/$name.oci:$side" "$W/$name.$side"
		read -r visible files _ < <(rootfs_figures "$W/$name.$side/rootfs")
		check_eq "$name: $side visible_bytes (umoci tree)" "$visible" "$(j ".$side.visible_bytes")"
		check_eq "$name: $side files (umoci tree)" "$files" "$(j ".$side.files")"
		rootfs_listing "$W/$name.$side/rootfs" >"$W/$name.$side.listing"
	done
	# The paths whose listing line differs, by kind of change.
	awk '
		{ p = $1; line = $0 }
		FILENAME == ARGV[1] { a[p] = line; next }
		{ b[p] = line }
		END {
			for (p in a) if (!(p in b)) print "removed /" p; else if (a[p] != b[p]) print "changed /" p
			for (p in b) if (!(p in a)) print "added /" p
		}' "$W/$name.old.listing" "$W/$name.new.listing" | LC_ALL=C sort >"$W/$name.want"
	j '.paths.items[] | "\(.change) \(.path)"' | LC_ALL=C sort >"$W/$name.got"
	if cmp -s "$W/$name.want" "$W/$name.got"; then
		_check_ok "$name: every path added, removed or changed, as umoci's trees differ ($(wc -l <"$W/$name.got") paths)"
	else
		_check_fail "$name: paths differ from umoci's trees (< umoci, > whittle):"
		{ diff "$W/$name.want" "$W/$name.got" || true; } | take 20 | sed 's/^/    /'
	fi
	# diff -r: the files whose content differs, and what only one tree has.
	(cd "$W" && { diff -rq --no-dereference "$name.old/rootfs" "$name.new/rootfs" || true; }) >"$W/$name.diffr"
	sed -n "s|^Files $name.old/rootfs\(/.*\) and .* differ\$|\1|p" "$W/$name.diffr" | LC_ALL=C sort >"$W/$name.diffr.content"
	j '.paths.items[] | select(.old.type == "file" and .new.type == "file" and (.what | index("content"))) | .path' | LC_ALL=C sort >"$W/$name.content"
	check_same_file "$name: files of other content, as diff -r finds them" "$W/$name.diffr.content" "$W/$name.content"
	only=$(grep -c '^Only in ' "$W/$name.diffr" || true)
	# diff -r names a path only in one tree once, not what lies under it.
	tops=$(j '.paths.items[] | select(.change != "changed") | .path' | awk '
		{ p[NR] = $0; in_set[$0] = 1 }
		END {
			for (i = 1; i <= NR; i++) {
				q = p[i]; top = 1
				while (sub(/\/[^\/]*$/, "", q) && q != "") if (q in in_set) { top = 0; break }
				n += top
			}
			print n + 0
		}')
	check_eq "$name: paths only in one tree (diff -r, whittle's outermost)" "$only" "$tops"
	check_eq "$name: change.visible_bytes (umoci trees)" \
		"$(($(rootfs_figures "$W/$name.new/rootfs" | cut -d' ' -f1) - $(rootfs_figures "$W/$name.old/rootfs" | cut -d' ' -f1)))" "$(j .change.visible_bytes)"
	check_eq "$name: the paths' byte changes add up to change.visible_bytes" "$(j .change.visible_bytes)" "$(j '[.paths.items[].delta_bytes] | add // 0')"

	# Packages: dpkg-query in each image.
	packages "$old" >"$W/$name.pkgs.old"
	packages "$new" >"$W/$name.pkgs.new"
	LC_ALL=C join -a1 -a2 -e - -o 0,1.2,2.2 "$W/$name.pkgs.old" "$W/$name.pkgs.new" |
		awk '$2 != $3 { c = ($2 == "-") ? "added" : ($3 == "-") ? "removed" : "version"; print c, $1, $2, $3 }' | LC_ALL=C sort >"$W/$name.pkgs.want"
	j '.packages.items[] | select(.change != "grown" and .change != "shrunk") |
		"\(if .change == "upgraded" or .change == "downgraded" or .change == "version-changed" then "version" else .change end) \(.name):\(.architecture) \(if .old_version == "" then "-" else .old_version end) \(if .new_version == "" then "-" else .new_version end)"' |
		LC_ALL=C sort >"$W/$name.pkgs.got"
	check_same_file "$name: packages added, removed, of another version (dpkg-query)" "$W/$name.pkgs.want" "$W/$name.pkgs.got"

	# Layers: the base (docker import) shared, by diff_id.
	base_id=$(img_diff_ids "$DEBIAN_BASE" | take 1)
	check_eq "$name: the base layer is shared" "shared $base_id" "$(j '.layers.items[0] | "\(.change) \(.diff_id)"')"
	check_eq "$name: layers shared + added = the new image's" "$(img_diff_ids "$new" | wc -l)" "$(j '.layers.shared + .layers.added')"
	rm -rf "$W/$name.oci" "$W/$name.old" "$W/$name.new"
}

printf '%-14s %12s %12s %12s %12s %8s %8s %8s\n' case naive fixed change docker-change added removed changed >"$W/figures.txt"
for dir in "$CASES"/*/; do
	name=$(basename "$dir")
	step "diff: $name"
	ctx=$W/$name
	mkdir -p "$ctx"
	cp -r "$dir"/. "$ctx"/
	prepare "$name" "$ctx"
	old=whittle-diff/$name:naive new=whittle-diff/$name:fixed
	if docker image inspect "whittle-fix/$name:before" "whittle-fix/$name:after" >/dev/null 2>&1; then
		# 40-fix.sh built both in this run (same Dockerfiles, same base):
		# take its images rather than build them again.
		docker tag "whittle-fix/$name:before" "$old"
		docker tag "whittle-fix/$name:after" "$new"
		log "$name: the naive and fixed images of 40-fix.sh"
	else
		check_cmd "$name: builds naive" img_build "$old" "$ctx" --build-arg "BASE=$DEBIAN_BASE"
		check_cmd "$name: fix --write" "$WHITTLE" fix --write -q "$ctx/Dockerfile"
		check_cmd "$name: builds fixed" img_build "$new" "$ctx" --build-arg "BASE=$DEBIAN_BASE"
	fi

	check_pair "$name" "$old" "$new"
	json=$W/$name.json
	docker_change=$(($(docker image inspect -f '{{.Size}}' "$new") - $(docker image inspect -f '{{.Size}}' "$old")))
	# The gate: the fixed build is smaller.
	check_cmd "$name: --max-growth 0 passes from naive to fixed" "$WHITTLE" diff --max-growth 0 --max-growth-ratio 0 -o "$W/$name.md" --format markdown "docker-daemon:$old" "docker-daemon:$new"
	set +e
	"$WHITTLE" diff --max-growth 0 "docker-daemon:$new" "docker-daemon:$old" >"$W/$name.back" 2>&1
	rc=$?
	set -e
	check_eq "$name: --max-growth 0 fails from fixed to naive (exit)" 1 "$rc"
	printf '%-14s %12s %12s %12s %12s %8s %8s %8s\n' "$name" "$(j .old.size_bytes)" "$(j .new.size_bytes)" "$(j .change.size_bytes)" "$docker_change" \
		"$(j .paths.added)" "$(j .paths.removed)" "$(j .paths.changed)" >>"$W/figures.txt"
done

# The fixes keep every package. The Debian base against the fixed
# update-alone build: less and what it needs added, their bytes owned.
step "diff: the base against an image that installs less"
check_pair base-less "$DEBIAN_BASE" whittle-diff/update-alone:fixed
json=$W/base-less.json
check_gt "base-less: packages added" "$(j '[.packages.items[] | select(.change == "added")] | length')" 0
check_eq "base-less: less is added, with bytes" "added true" "$(j '.packages.items[] | select(.name == "less") | "\(.change) \(.new_bytes > 0)"')"
check_eq "base-less: package bytes + no-package bytes = visible bytes" "$(j .new.visible_bytes)" "$(j '.packages.new.bytes + .packages.new.unowned_bytes')"

step "diff: the Markdown of one case, as a pull-request comment shows it"
sed 's/^/    /' "$W/build-deps.md" >&2 || true
step "diff: sizes (bytes): size_bytes naive, fixed, change; docker's .Size change; paths"
cat "$W/figures.txt"
check_done

#!/usr/bin/env bash
# whittle fix --verify against real builds with the Docker Engine started by
# scripts/e2e.sh (the docker CLI on PATH, DOCKER_HOST set), on the local
# Debian base (scripts/e2e.d/fix-verify/):
#   - harmless: the default (safe) repairs of an apt-get install; --verify
#     exits 0, saves bytes, and its figures equal Docker's: saved size_bytes
#     is the difference of `docker image inspect .Size` of the two images it
#     kept, each less its symbolic links' targets (which Docker counts and
#     size_bytes does not, as 55-diff.sh shows), taken from GNU tar's listing
#     of `docker save`; and the paths it reports gone or changed, by
#     category, are those that umoci's unpacked trees of the two images
#     differ by (a listing of type, mode, owner, size and sha256);
#   - recommends: --unsafe-fixes adds --no-install-recommends, which drops
#     psmisc (recommended by procps) and /usr/bin/pstree that the CMD runs;
#     --verify exits 1 and names /usr/bin/pstree, and the kept images prove
#     it: pstree runs in the original and is missing from the fixed one;
#   - buildah-tmp: the same with buildah (its own storage here) on the
#     busybox base: the safe repair removes a 300,000-byte file under /tmp,
#     and --verify saves exactly those bytes, with the compressed size known.
# Also: the Dockerfile and the context are left byte-identical, the images
# are removed afterwards unless --keep-images, --write writes only a repair
# proven harmless, and with no engine the error says which were looked for.
# Environment: see scripts/e2e.sh.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}" "${BUSYBOX_BASE:?}" "${E2E_SRC:?}" "${DOCKER_HOST:?}"
W=$E2E_WORK
CASES=$E2E_SRC/scripts/e2e.d/fix-verify

# symlink_bytes SAVE_TAR: the bytes of every symbolic link's target over
# all layers of a `docker save` tar, as Docker counts them in .Size.
symlink_bytes() {
	local save=$1 l
	tar -xOf "$save" manifest.json | jq -r '.[0].Layers[]' | while read -r l; do
		tar -xOf "$save" "$l" | tar -tv --numeric-owner -f - | awk '$1 ~ /^l/ { i = index($0, " -> "); s += length(substr($0, i + 4)) } END { print s + 0 }'
	done | awk '{ s += $1 } END { print s + 0 }'
}

# content_size REF: Docker's .Size less the symbolic links' targets: the
# regular-file bytes of every layer, as size_bytes defines them.
content_size() {
	local ref=$1 save=$W/size.tar links
	docker save -o "$save" "$ref"
	links=$(symlink_bytes "$save")
	rm -f "$save"
	echo $(($(docker image inspect -f '{{.Size}}' "$ref") - links))
}

# tree_state DIR: the sha256 of a listing of the directory (paths, types,
# sizes, modes, and each file's sha256), to prove nothing was written into
# it.
tree_state() {
	(cd "$1" && find . -printf '%p %y %s %m\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum | cut -c1-16
}

verify_images() { docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -E '^whittle-verify-[0-9a-f]{12}:' || true; }

# classify PATH: the category whittle should give a path (an independent
# restatement of docs/fix.md's list, in awk).
CLASSIFY='
function cat(p, dir) {
	if (dir) p = p "/"
	if (p ~ /^\/var\/lib\/apt\/lists\// && p != "/var/lib/apt/lists/lock") return "cache"
	if (p ~ /^\/var\/cache\/apt\/archives\/.*\.deb$/ || p ~ /^\/var\/cache\/apt\/[^\/]*\.bin$/) return "cache"
	if (p ~ /^\/(tmp|var\/tmp)\//) return "cache"
	if (p ~ /^\/usr\/(share|local\/share)\/(doc|man|info|locale)\// || p ~ /^\/usr\/share\/(gtk-doc|i18n)\// || p ~ /^\/usr\/local\/man\// || p ~ /^\/usr\/lib\/locale\//) return "documentation"
	if (p ~ /^\/var\/(lib\/dpkg|cache\/debconf|lib\/apt|cache\/apt|log\/apt|cache\/ldconfig)\// || p == "/var/log/dpkg.log" || p == "/var/log/alternatives.log") return "package-manager"
	return "suspect"
}'

step "fix --verify: harmless"
ctx=$W/harmless
mkdir -p "$ctx"
cp -r "$CASES/harmless/." "$ctx/"
before_state=$(tree_state "$ctx")
rc=0
"$WHITTLE" fix --verify --keep-images --format json --build-arg "BASE=$DEBIAN_BASE" "$ctx/Dockerfile" >"$W/harmless.json" 2>"$W/harmless.err" || rc=$?
check_eq "harmless: fix --verify exits" 0 "$rc"
[ "$rc" -eq 0 ] || tail -n 30 "$W/harmless.err" | sed 's/^/    /'
j() { jq -r "$1" "$W/harmless.json"; }
orig=$(j .verification.original.tag)
fixed=$(j .verification.fixed.tag)
check_eq "harmless: harmless" true "$(j .verification.harmless)"
check_eq "harmless: suspect paths" 0 "$(j '.verification.suspect | length')"
check_gt "harmless: saved size_bytes" "$(j .verification.saved.size_bytes)" 0
check_eq "harmless: compressed size known (docker save writes plain tars)" false "$(j .verification.saved.compressed_known)"
check_eq "harmless: changes made" "WH201 WH203" "$(j '[.changes[].rule] | sort | join(" ")')"
if docker image inspect "$orig" >/dev/null 2>&1 && docker image inspect "$fixed" >/dev/null 2>&1; then
	_check_ok "harmless: --keep-images kept $orig and $fixed"
	o=$(content_size "$orig")
	f=$(content_size "$fixed")
	check_eq "harmless: original size_bytes = docker .Size - symlink targets" "$o" "$(j .verification.original.size_bytes)"
	check_eq "harmless: fixed size_bytes = docker .Size - symlink targets" "$f" "$(j .verification.fixed.size_bytes)"
	check_eq "harmless: saved size_bytes = the difference of docker's sizes" "$((o - f))" "$(j .verification.saved.size_bytes)"
	out=$(docker run --rm --network none "$fixed" 2>&1 || true)
	check_eq "harmless: the fixed image works" "hello from the context" "$out"

	# umoci's trees: every path gone or changed, by category.
	for side in original fixed; do
		ref=$orig
		[ "$side" = fixed ] && ref=$fixed
		img_to_oci "docker-daemon:$ref" "$W/harmless.oci" "$side"
		img_unpack "$W/harmless.oci:$side" "$W/harmless.$side"
		rootfs_listing "$W/harmless.$side/rootfs" >"$W/harmless.$side.listing"
	done
	awk "$CLASSIFY"'
		{ p = "/" $1; line = $0; dir = ($2 == "d") }
		FILENAME == ARGV[1] { a[p] = line; d[p] = dir; next }
		{ b[p] = line; if (dir) d[p] = 1 }
		END {
			for (p in a) if (!(p in b)) n[cat(p, d[p]) " removed"]++; else if (a[p] != b[p]) n[cat(p, d[p]) " changed"]++
			for (k in n) print k, n[k]
		}' "$W/harmless.original.listing" "$W/harmless.fixed.listing" | LC_ALL=C sort >"$W/harmless.want"
	j '.verification.expected | group_by(.kind)[] | [(.[0].kind + " removed " + (map(.removed) | add | tostring)), (.[0].kind + " changed " + (map(.changed) | add | tostring))][]' |
		grep -v ' 0$' | LC_ALL=C sort >"$W/harmless.got"
	check_same_file "harmless: paths gone or changed by category = umoci's trees" "$W/harmless.want" "$W/harmless.got"
	docker rmi "$orig" "$fixed" >/dev/null
else
	_check_fail "harmless: --keep-images did not keep $orig and $fixed"
fi
sed 's/^/    /' "$W/harmless.err" | grep -v '^    Step\|^    ---\|^     ---' | tail -n 12 >&2 || true

# Text, images removed, and --write after the proof.
rc=0
"$WHITTLE" fix --verify --write --build-arg "BASE=$DEBIAN_BASE" "$ctx/Dockerfile" >"$W/harmless.txt" 2>"$W/harmless.err2" || rc=$?
check_eq "harmless: fix --verify --write exits" 0 "$rc"
sed 's/^/    /' "$W/harmless.txt" >&2
grep -q 'the repair is harmless' "$W/harmless.txt" && _check_ok "harmless: the text report says harmless" || _check_fail "harmless: text report: $(cat "$W/harmless.txt")"
check_eq "harmless: images left by --verify" "" "$(verify_images)"
"$WHITTLE" fix -q "$CASES/harmless/Dockerfile" >"$W/harmless.repaired"
check_same_file "harmless: --write wrote the repair" "$W/harmless.repaired" "$ctx/Dockerfile"
cp "$CASES/harmless/Dockerfile" "$ctx/Dockerfile"
check_eq "harmless: the context is unchanged" "$before_state" "$(tree_state "$ctx")"

step "fix --verify: an unsafe repair that drops a recommended package"
ctx=$W/recommends
mkdir -p "$ctx"
cp -r "$CASES/recommends/." "$ctx/"
before_state=$(tree_state "$ctx")
rc=0
"$WHITTLE" fix --unsafe-fixes --verify --write --keep-images --build-arg "BASE=$DEBIAN_BASE" "$ctx/Dockerfile" >"$W/recommends.txt" 2>"$W/recommends.err" || rc=$?
check_eq "recommends: fix --unsafe-fixes --verify exits" 1 "$rc"
[ "$rc" -le 1 ] || tail -n 30 "$W/recommends.err" | sed 's/^/    /'
sed 's/^/    /' "$W/recommends.txt" >&2
grep -Eq '^  removed +/usr/bin/pstree ' "$W/recommends.txt" && _check_ok "recommends: /usr/bin/pstree named" || _check_fail "recommends: /usr/bin/pstree not named"
grep -Eq '^  removed +psmisc ' "$W/recommends.txt" && _check_ok "recommends: package psmisc named" || _check_fail "recommends: psmisc not named"
grep -q 'not written: the repair is not proven harmless' "$W/recommends.err" && _check_ok "recommends: --write refused" || _check_fail "recommends: --write: $(tail -n 3 "$W/recommends.err")"
check_eq "recommends: the context is unchanged" "$before_state" "$(tree_state "$ctx")"
orig=$(sed -n 's/^.*: built with docker as \([^ ]*\) and \([^ ]*\)$/\1/p' "$W/recommends.txt")
fixed=$(sed -n 's/^.*: built with docker as \([^ ]*\) and \([^ ]*\)$/\2/p' "$W/recommends.txt")
# The oracle: the program is there in one image and gone from the other.
check_cmd "recommends: pstree runs in the original image" docker run --rm --network none "$orig"
if docker run --rm --network none "$fixed" >/dev/null 2>&1; then
	_check_fail "recommends: pstree runs in the fixed image"
else
	_check_ok "recommends: pstree fails in the fixed image"
fi
check_cmd "recommends: /usr/bin/pstree missing from the fixed image" docker run --rm --network none --entrypoint sh "$fixed" -c '! test -e /usr/bin/pstree'
docker rmi "$orig" "$fixed" >/dev/null || true
check_eq "recommends: images left" "" "$(verify_images)"

step "fix --verify: buildah"
# buildah (installed here) with its own storage under the scratch
# directory, vfs and chroot isolation as ENVIRONMENT.md describes, and the
# busybox base copied in from the Docker Engine.
apt_ensure buildah
B=$W/buildah
mkdir -p "$B"
printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' "$B/root" "$B/run" >"$B/storage.conf"
export CONTAINERS_STORAGE_CONF=$B/storage.conf BUILDAH_ISOLATION=chroot
docker save -o "$W/busybox.tar" "$BUSYBOX_BASE"
buildah pull -q "docker-archive:$W/busybox.tar" >/dev/null
buildah tag "$(buildah images -q | take 1)" localhost/whittle-verify-busybox:latest
buildah_images() { buildah images --format '{{.Name}}:{{.Tag}}' | grep -E 'whittle-verify-[0-9a-f]{12}:' || true; }
ctx=$W/buildah-tmp
mkdir -p "$ctx"
cp -r "$CASES/buildah-tmp/." "$ctx/"
before_state=$(tree_state "$ctx")
rc=0
"$WHITTLE" fix --verify --engine buildah --format json "$ctx/Dockerfile" >"$W/buildah.json" 2>"$W/buildah.err" || rc=$?
check_eq "buildah: fix --verify exits" 0 "$rc"
[ "$rc" -eq 0 ] || tail -n 30 "$W/buildah.err" | sed 's/^/    /'
j() { jq -r "$1" "$W/buildah.json"; }
check_eq "buildah: engine" buildah "$(j .verification.engine)"
check_eq "buildah: harmless" true "$(j .verification.harmless)"
# The oracle: the RUN's scratch file is 300,000 bytes (head -c), and it is
# the only content the repair removes.
check_eq "buildah: saved size_bytes = the scratch file's size" 300000 "$(j .verification.saved.size_bytes)"
check_eq "buildah: saved visible_bytes = the scratch file's size" 300000 "$(j .verification.saved.visible_bytes)"
check_eq "buildah: gone: one tmp file" "cache tmp 1 0 300000" "$(j '.verification.expected[] | "\(.kind) \(.name) \(.removed) \(.changed) \(.old_bytes - .new_bytes)"' | tr '\n' ';' | sed 's/;$//')"
check_eq "buildah: compressed size known (gzip layers)" true "$(j .verification.saved.compressed_known)"
check_gt "buildah: compressed bytes saved" "$(j .verification.saved.compressed_bytes)" 0
check_eq "buildah: images left" "" "$(buildah_images)"
check_eq "buildah: the context is unchanged" "$before_state" "$(tree_state "$ctx")"
unset CONTAINERS_STORAGE_CONF BUILDAH_ISOLATION

step "fix --verify: no engine"
rc=0
env PATH=/nonexistent "$WHITTLE" fix --verify -q "$ctx/Dockerfile" >/dev/null 2>"$W/none.err" || rc=$?
check_eq "no engine: exit" 2 "$rc"
# DOCKER_HOST names this run's engine: the error says it is there, but
# without the CLI.
want="no container engine to build with: docker: no docker CLI on PATH (a Docker Engine socket is at ${DOCKER_HOST#unix://}, but whittle builds through the docker CLI: put it on PATH); buildah: not on PATH."
grep -qF "$want" "$W/none.err" &&
	_check_ok "no engine: the error names what was looked for" || _check_fail "no engine: $(cat "$W/none.err")"

check_done

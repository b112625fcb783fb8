#!/usr/bin/env bash
# whittle fix against real builds.
#
# Each case under scripts/e2e.d/fix/ is a naive Dockerfile on the local
# Debian base. The script builds it, runs `whittle fix`, builds the repaired
# Dockerfile, and checks that:
#   - whittle fix --check fails on the original and passes on the repair
#     (and a second fix changes nothing);
#   - the repaired image builds, is smaller, and still works (docker run of
#     a command that proves the software is there and usable);
#   - whittle analyze --dockerfile on the original image pairs the
#     instructions with the real build's layers, and each measured cost
#     equals what GNU tar lists in its layers (see measure_check).
# It prints the sizes before and after. Environment: see scripts/e2e.sh.
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

# Context files the Dockerfiles need, made here so the repository holds no
# binaries: a 4 MiB file to chown, and a tar.gz holding a script and 3 MiB.
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

size() { docker image inspect -f '{{.Size}}' "$1"; }

# measure_check NAME DOCKERFILE: whittle analyze --dockerfile on the image
# built from the naive Dockerfile pairs every instruction with a layer of
# the real build, and each measured cost equals what GNU tar lists in the
# layers of `docker save`: apt lists and archives the layer ships, and the
# bytes of an earlier layer that a later one hides.
measure_check() {
	local name=$1 df=$2 json=$W/$1.measure.json save=$W/$1.before.tar rule line layer related cost paths want re
	if ! "$WHITTLE" analyze --format json --dockerfile "$df" "docker-daemon:whittle-fix/$name:before" >"$json" 2>"$W/$name.measure.err"; then
		_check_fail "$name: analyze --dockerfile: $(cat "$W/$name.measure.err")"
		return
	fi
	_check_ok "$name: analyze --dockerfile pairs $(jq '.dockerfile.instructions | length' "$json") instructions with layers"
	"$WHITTLE" analyze --dockerfile "$df" "docker-daemon:whittle-fix/$name:before" 2>/dev/null | sed -n '/^Dockerfile /,$p' | sed 's/^/    /' >&2
	docker save -o "$save" "whittle-fix/$name:before"
	while read -r rule line layer related cost paths; do
		case $rule in
		WH201 | WH204) want=$(save_layer_bytes "$save" "$layer" '^var/lib/apt/lists/' '^var/lib/apt/lists/lock$') ;;
		WH203) want=$(save_layer_bytes "$save" "$layer" '^var/cache/apt/(archives/.*[.]deb|[^/]*[.]bin)$') ;;
		WH101 | WH102 | WH103)
			related=$(jq -r --argjson l "$related" '.dockerfile.instructions[] | select(.line == $l) | .layer' "$json")
			want=$(save_hidden_bytes "$save" "$related" "$layer")
			;;
		WH105 | WH602 | WH605)
			# the files the finding names, or anything under them
			# shellcheck disable=SC2016 # a sed script, not an expansion
			re=$(echo "$paths" | tr ',' '\n' | sed -e 's|^/||' -e 's/[].[\*^$()+?{|]/\\&/g' -e 's|\\\*|[^/]*|g' -e 's|.*|^&(/.*)?$|' | paste -sd'|' -)
			want=$(save_layer_bytes "$save" "$layer" "$re")
			;;
		*) continue ;;
		esac
		check_eq "$name: $rule at line $line costs (GNU tar over docker save)" "$want" "$cost"
	done < <(jq -r '.dockerfile.findings[] | select(.measured and .layer >= 0) | "\(.rule) \(.line) \(.layer) \(.related_line // 0) \(.cost_bytes) \((.paths // []) | join(","))"' "$json")
	rm -f "$save"
}

declare -A WANT_OUT=(
	[build-deps]=build-deps-ok
	[update-alone]=less
	[copy-chown]=copy-chown-ok
	[local-archive]=local-archive-ok
	[multi-stage]=multi-stage-ok
)

printf '%-14s %12s %12s %8s\n' case before after saved >"$W/sizes.txt"
for dir in "$CASES"/*/; do
	name=$(basename "$dir")
	step "fix: $name"
	ctx=$W/$name
	mkdir -p "$ctx"
	cp -r "$dir"/. "$ctx"/
	prepare "$name" "$ctx"

	check_cmd "$name: builds before" img_build "whittle-fix/$name:before" "$ctx" --build-arg "BASE=$DEBIAN_BASE"
	measure_check "$name" "$ctx/Dockerfile"

	set +e
	"$WHITTLE" fix --check "$ctx/Dockerfile" 2>"$W/$name.check"
	rc=$?
	set -e
	check_eq "$name: fix --check on the original exits" 1 "$rc"

	"$WHITTLE" fix --diff "$ctx/Dockerfile" >"$W/$name.diff" 2>"$W/$name.summary" || true
	sed 's/^/    /' "$W/$name.summary" >&2
	sed 's/^/    /' "$W/$name.diff" >&2
	cp "$ctx/Dockerfile" "$W/$name.orig"
	check_cmd "$name: fix --write" "$WHITTLE" fix --write -q "$ctx/Dockerfile"
	check_cmd "$name: fix --check on the repair passes" "$WHITTLE" fix --check -q "$ctx/Dockerfile"
	"$WHITTLE" fix -q "$ctx/Dockerfile" >"$W/$name.again"
	check_same_file "$name: a second fix changes nothing" "$ctx/Dockerfile" "$W/$name.again"

	check_cmd "$name: builds after" img_build "whittle-fix/$name:after" "$ctx" --build-arg "BASE=$DEBIAN_BASE"
	before=$(size "whittle-fix/$name:before")
	after=$(size "whittle-fix/$name:after" 2>/dev/null || echo n/a)
	check_gt "$name: bytes saved" "$([[ $after =~ ^[0-9]+$ ]] && echo $((before - after)) || echo n/a)" 0

	for tag in before after; do
		out=$(docker run --rm --network none "whittle-fix/$name:$tag" 2>&1 | take 3 || true)
		case $out in
		*"${WANT_OUT[$name]}"*) _check_ok "$name: $tag image works" ;;
		*) _check_fail "$name: $tag image: want output with '${WANT_OUT[$name]}', got '$out'" ;;
		esac
	done
	printf '%-14s %12s %12s %8s\n' "$name" "$before" "$after" \
		"$([[ $after =~ ^[0-9]+$ ]] && awk -v b="$before" -v a="$after" 'BEGIN{printf "%.1f%%", 100*(b-a)/b}' || echo n/a)" >>"$W/sizes.txt"
done

step "fix: image sizes (bytes)"
cat "$W/sizes.txt"
check_done

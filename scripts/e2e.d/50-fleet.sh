#!/usr/bin/env bash
# whittle fleet against real images.
#
# Builds three images with the real Docker Engine: fleet-a on the Debian base
# (a RUN that writes 300 kB), fleet-b on fleet-a (one more RUN, which deletes
# that file: its bytes stay in fleet-a's layer), and fleet-c on the busybox
# base. Reads them from three sources at once (the daemon, a docker save tar
# and the registry) and checks whittle fleet against an oracle made from
# Docker's own data: each layer's diff_id from docker image inspect, its
# regular-file bytes from GNU tar over the docker save tar, and chain IDs
# computed here with sha256sum as the OCI image specification defines them:
#   - every image's size_bytes and the fleet's sum;
#   - the footprint, with each distinct chain ID counted once, and the saving;
#   - every image's unique bytes (layers no other image holds);
#   - the bases: fleet-a and fleet-b share all of fleet-a; nothing is shared
#     with fleet-c;
#   - the base images in use (both local bases are made by docker import):
#     moving everything onto busybox saves the Debian layer, and the other
#     way round.
# The same figures come out when every image is read from the daemon.
# Environment: see scripts/e2e.sh.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${REGISTRY:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}" "${BUSYBOX_BASE:?}"
W=$E2E_WORK/fleet
rm -rf "$W"
mkdir -p "$W/a" "$W/b" "$W/c"

step "fleet: build three images"
cat >"$W/a/Dockerfile" <<'EOF'
ARG BASE
FROM $BASE
RUN head -c 300000 /dev/urandom > /data.bin && mkdir -p /app && echo a > /app/a
EOF
cat >"$W/b/Dockerfile" <<'EOF'
FROM e2e/fleet-a:1
RUN rm /data.bin && echo bb > /app/b
EOF
cat >"$W/c/Dockerfile" <<'EOF'
ARG BASE
FROM $BASE
RUN head -c 50000 /dev/urandom > /c.bin
EOF
check_cmd "builds fleet-a" img_build e2e/fleet-a:1 "$W/a" --build-arg "BASE=$DEBIAN_BASE"
check_cmd "builds fleet-b" img_build e2e/fleet-b:1 "$W/b"
check_cmd "builds fleet-c" img_build e2e/fleet-c:1 "$W/c" --build-arg "BASE=$BUSYBOX_BASE"

step "fleet: the oracle from docker's own data"
# For each image: "CHAIN SIZE" per layer, bottom first.
for n in a b c; do
	ref=e2e/fleet-$n:1
	docker save -o "$W/$n.tar" "$ref"
	save_layer_sizes "$W/$n.tar" >"$W/$n.sizes"
	img_diff_ids "$ref" >"$W/$n.ids"
	chain=""
	while read -r id; do
		if [ -z "$chain" ]; then chain=$id; else chain="sha256:$(printf '%s %s' "$chain" "$id" | sha256sum | cut -d' ' -f1)"; fi
		echo "$chain"
	done <"$W/$n.ids" | paste -d' ' - "$W/$n.sizes" >"$W/$n.chains"
	log "fleet-$n: $(wc -l <"$W/$n.chains") layers, $(awk '{ s += $2 } END { print s }' "$W/$n.chains") bytes"
done
declare -A want_size want_unique
total=0
for n in a b c; do
	want_size[$n]=$(awk '{ s += $2 } END { print s + 0 }' "$W/$n.chains")
	total=$((total + want_size[$n]))
	# unique: layers whose chain no other image holds
	others=()
	for m in a b c; do [ "$m" = "$n" ] || others+=("$W/$m.chains"); done
	want_unique[$n]=$(awk -v self="$W/$n.chains" 'FILENAME != self { held[$1] = 1; next } !($1 in held) { s += $2 } END { print s + 0 }' \
		"${others[@]}" "$W/$n.chains")
done
footprint=$(cat "$W/a.chains" "$W/b.chains" "$W/c.chains" | sort -u -k1,1 | awk '{ s += $2 } END { print s + 0 }')
a_layers=$(wc -l <"$W/a.chains")
check_gt "fleet-a's layer holds the 300 kB file" "$(tail -n 1 "$W/a.sizes")" 299999

step "fleet: three sources at once"
bref=$(img_push e2e/fleet-b:1)
"$WHITTLE" fleet --format json --insecure docker-daemon:e2e/fleet-a:1 "$bref" "docker-archive:$W/c.tar" >"$W/fleet.json"
"$WHITTLE" fleet docker-daemon:e2e/fleet-a:1 "$bref" "docker-archive:$W/c.tar" --insecure >"$W/fleet.txt"
sed 's/^/    /' "$W/fleet.txt" >&2
j() { jq -r "$1" "$W/fleet.json"; }
check_eq "size_bytes (sum of the images)" "$total" "$(j .size_bytes)"
check_eq "footprint_bytes (each chain once)" "$footprint" "$(j .footprint_bytes)"
check_eq "shared_saving_bytes" "$((total - footprint))" "$(j .shared_saving_bytes)"
check_eq "distinct layers" "$(cat "$W/a.chains" "$W/b.chains" "$W/c.chains" | cut -d' ' -f1 | sort -u | wc -l)" "$(j '.layers | length')"
i=0
for n in a b c; do
	check_eq "fleet-$n: size_bytes" "${want_size[$n]}" "$(j ".images[$i].size_bytes")"
	check_eq "fleet-$n: unique_bytes" "${want_unique[$n]}" "$(j ".images[$i].unique_bytes")"
	i=$((i + 1))
done
check_eq "one shared base" 1 "$(j '.bases | length')"
check_eq "the base: fleet-a's layers" "$a_layers ${want_size[a]} 2" "$(j '.bases[0] | "\(.layers) \(.size_bytes) \(.images | length)"')"
check_eq "the base saves fleet-a's size once" "${want_size[a]}" "$(j '.bases[0].saved_bytes')"
# Both local bases are made by docker import, which the history tells: one
# layer each. Moving everything onto busybox drops the Debian layer, and
# the other way round.
debian_layer=$(head -n 1 "$W/a.chains" | cut -d' ' -f2)
busybox_layer=$(head -n 1 "$W/c.chains" | cut -d' ' -f2)
check_eq "base layers by history" "1 1 1" "$(j '[.images[].base_layers] | map(tostring) | join(" ")')"
check_eq "bases in use" 2 "$(j '.bases_in_use | length')"
check_eq "moving all onto busybox saves the Debian layer" "$busybox_layer $debian_layer 1" \
	"$(j '.bases_in_use[0] | "\(.size_bytes) \(.consolidation_saving_bytes) \(.images | length)"')"
check_eq "moving all onto Debian saves the busybox layer" "$debian_layer $busybox_layer 2" \
	"$(j '.bases_in_use[1] | "\(.size_bytes) \(.consolidation_saving_bytes) \(.images | length)"')"

step "fleet: every image from the daemon gives the same figures"
"$WHITTLE" fleet --format json docker-daemon:e2e/fleet-a:1 docker-daemon:e2e/fleet-b:1 docker-daemon:e2e/fleet-c:1 >"$W/fleet-daemon.json"
pick='{size_bytes, footprint_bytes, shared_saving_bytes, images: [.images[] | {size_bytes, unique_bytes, base_layers}], bases: [.bases[] | {layers, size_bytes, saved_bytes}], in_use: [.bases_in_use[] | {layers, size_bytes, consolidation_saving_bytes}], chains: [.layers[].chain_id]}'
check_eq "same figures" "$(jq -c "$pick" "$W/fleet.json")" "$(jq -c "$pick" "$W/fleet-daemon.json")"

check_done

#!/usr/bin/env bash
# whittle fleet --packages against dpkg itself, on three real images.
#
# Builds, on the local Debian base: A installs less; B installs less and
# file in another RUN (another layer: its own copy of less); C is A with a
# file copied on top (A's layers shared). Then, from dpkg-query and the
# regular files `dpkg -L` lists, stat'ed in each container (each inode once
# per package; a file several packages list counted for the one whittle's
# analyze gives it to, as 15-packages.sh does):
#   - each image's package count and completeness, and its bytes in
#     packages plus no package equal to analyze's visible_bytes;
#   - every package's images, versions and bytes, each image alone;
#   - the distinct layers that installed it: 1 for the base's packages and
#     for those only A (and C) or only B installed, 2 for those both RUNs
#     installed (less); and the bytes stored: A's copy, plus B's for the
#     packages B's RUN installed that the base does not hold.
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
export LC_ALL=C # sort and join agree on the order

step "build three images: two RUNs that install less, one image on another's layers"
mkdir -p "$W/a" "$W/b" "$W/c"
cat >"$W/a/Dockerfile" <<EOF
FROM $DEBIAN_BASE
RUN apt-get update && apt-get install -y --no-install-recommends less && rm -rf /var/lib/apt/lists/*
EOF
cat >"$W/b/Dockerfile" <<EOF
FROM $DEBIAN_BASE
RUN apt-get update && apt-get install -y --no-install-recommends less file && rm -rf /var/lib/apt/lists/*
EOF
head -c 50000 /dev/urandom >"$W/c/app.bin"
cat >"$W/c/Dockerfile" <<EOF
FROM e2e/fleet-pkg-a:1
COPY app.bin /app/app.bin
EOF
img_build e2e/fleet-pkg-a:1 "$W/a"
img_build e2e/fleet-pkg-b:1 "$W/b"
img_build e2e/fleet-pkg-c:1 "$W/c"

step "whittle fleet --packages"
"$WHITTLE" fleet --no-cache --packages --format json \
	docker-daemon:e2e/fleet-pkg-a:1 docker-daemon:e2e/fleet-pkg-b:1 docker-daemon:e2e/fleet-pkg-c:1 >"$W/fleet.json"
"$WHITTLE" fleet --no-cache --packages --top 8 \
	docker-daemon:e2e/fleet-pkg-a:1 docker-daemon:e2e/fleet-pkg-b:1 docker-daemon:e2e/fleet-pkg-c:1 >"$W/fleet.txt"
sed -n '/^Packages/,$p' "$W/fleet.txt" | sed 's/^/    /' >&2
F=$W/fleet.json
check_eq "the schema stays v1" whittle.fleet/v1 "$(jq -r '.schema_version' "$F")"
check_eq "complete: every database read, every file list known" true "$(jq -r '.packages.complete' "$F")"

step "dpkg in each container"
# dpkg_of REF NAME: NAME.pkgs ("name:arch version", installed packages) and
# NAME.bytes ("name:arch bytes": its listed regular files, each inode once).
dpkg_of() {
	docker run --rm --network none "$1" dpkg-query -W \
		-f='${db:Status-Abbrev} ${Package}:${Architecture} ${Version}\n' |
		awk '$1 == "ii" { print $2, $3 }' | sort >"$W/$2.pkgs"
	docker run --rm --network none "$1" sh -c '
		dpkg-query -W -f="\${db:Status-Abbrev} \${Package}:\${Architecture}\n" | awk "\$1 == \"ii\" { print \$2 }" |
		while read -r p; do
			dpkg -L "$p" 2>/dev/null | grep "^/" | xargs -r -d "\n" stat -c "$p|%F|%d:%i|%s" 2>/dev/null || true
		done' | awk -F'|' '$2 == "regular file" || $2 == "regular empty file" { print $1, $3, $4 }' |
		awk '!seen[$1 " " $2]++ { b[$1] += $3 } END { for (p in b) print p, b[p] }' | sort >"$W/$2.listed"
	# Packages that list no regular file: 0 bytes.
	join -a1 -e 0 -o 0,2.2 <(cut -d' ' -f1 "$W/$2.pkgs") "$W/$2.listed" >"$W/$2.bytes"
	log "$2: $(wc -l <"$W/$2.pkgs") packages"
}
dpkg_of "$DEBIAN_BASE" base
dpkg_of e2e/fleet-pkg-a:1 a
dpkg_of e2e/fleet-pkg-b:1 b
dpkg_of e2e/fleet-pkg-c:1 c

# A file several packages list counts for one of them (whittle's shared
# list, from analyze): the others' bytes of it are taken off the oracle.
# NAME.adj: "name:arch bytes" as whittle counts them.
for n in a b c; do
	"$WHITTLE" analyze --no-cache --format json "docker-daemon:e2e/fleet-pkg-$n:1" >"$W/$n.analyze.json"
	jq -r '[.packages.shared[] | .bytes as $b | .others[] | {key: "\(.name):\(.architecture)", value: $b}]
		| group_by(.key) | map("\(.[0].key) \(map(.value) | add)") | .[]' "$W/$n.analyze.json" | sort >"$W/$n.extra"
	join -a1 -e 0 -o 0,1.2,2.2 "$W/$n.bytes" "$W/$n.extra" | awk '{ print $1, $2 - $3 }' >"$W/$n.adj"
	log "$n: $(wc -l <"$W/$n.extra") packages list files whittle gives to another"
done

step "each image"
i=0
for n in a b c; do
	ref=docker-daemon:e2e/fleet-pkg-$n:1
	check_eq "$n: the reference" "$ref" "$(jq -r ".packages.images[$i].reference" "$F")"
	check_eq "$n: packages, as dpkg-query lists" "$(wc -l <"$W/$n.pkgs")" "$(jq ".packages.images[$i].packages" "$F")"
	check_eq "$n: bytes in packages, as the listed files' (shared files once)" \
		"$(awk '{ s += $2 } END { printf "%.0f\n", s }' "$W/$n.adj")" "$(jq ".packages.images[$i].bytes" "$F")"
	check_eq "$n: in packages + no package = analyze's visible_bytes" "$(jq '.image.visible_bytes' "$W/$n.analyze.json")" \
		"$(jq ".packages.images[$i] | .bytes + .no_package_bytes" "$F")"
	i=$((i + 1))
done

step "every package across the fleet"
# The oracle: name:arch images versions each-alone layers stored.
#   layers: [in A] + [in B, not in the base]  (C holds A's layers)
#   stored: A's bytes when in A, plus B's when B's RUN installed it
join -a1 -a2 -e - -o 0,1.2,2.2 "$W/a.adj" "$W/b.adj" >"$W/ab.adj"
join -a1 -e - -o 0,1.2,1.3,2.2 "$W/ab.adj" "$W/c.adj" >"$W/abc.adj"
cat "$W/a.pkgs" "$W/b.pkgs" "$W/c.pkgs" | sort -u | awk '
	{ v[$1] = (v[$1] == "" ? $2 : v[$1] == $2 ? v[$1] : v[$1] "," $2) }
	END { for (p in v) print p, v[p] }' | sort >"$W/versions.txt"
join "$W/abc.adj" "$W/versions.txt" | join -a1 -e - -o 0,1.2,1.3,1.4,1.5,2.2 - <(sort "$W/base.pkgs") |
	awk '{
		p = $1; a = $2; b = $3; c = $4; ver = $5; inbase = ($6 != "-")
		n = 0; each = 0; layers = 0; stored = 0
		if (a != "-") { n++; each += a; layers++; stored += a }
		if (b != "-") { n++; each += b; if (!inbase) { layers++; stored += b } }
		if (c != "-") { n++; each += c }
		printf "%s %d %s %.0f %d %.0f\n", p, n, ver, each, layers, stored }' | sort >"$W/oracle.txt"
jq -r '.packages.installed[] | "\(.name):\(.architecture) \(.images | length) \(.versions | join(",")) \(.bytes_each_alone) \(.layers) \(.stored_bytes)"' "$F" |
	sort >"$W/whittle.txt"
check_same_file "every package: images, versions, bytes each alone, layers that installed it, bytes stored" "$W/oracle.txt" "$W/whittle.txt"
check_eq "less: installed by two layers (A's RUN, which C shares, and B's)" 2 \
	"$(jq '.packages.installed[] | select(.name == "less") | .layers' "$F")"
check_eq "less: stored twice (A's copy and B's)" "$(awk '$1 ~ /^less:/ { print $2 + $3 }' "$W/ab.adj")" \
	"$(jq '.packages.installed[] | select(.name == "less") | .stored_bytes' "$F")"
check_eq "libc6: from the shared base, stored once" "$(awk '$1 ~ /^libc6:/ { print $2 }' "$W/a.adj") 1" \
	"$(jq -r '.packages.installed[] | select(.name == "libc6") | "\(.stored_bytes) \(.layers)"' "$F")"
check_eq "the totals" "$(awk '{ e += $4; s += $6 } END { printf "%.0f %.0f\n", e, s }' "$W/oracle.txt")" \
	"$(jq -r '.packages | "\(.bytes_each_alone) \(.stored_bytes)"' "$F")"
log "stored $(jq '.packages.stored_bytes' "$F") bytes of packages, $(jq '.packages.bytes_each_alone' "$F") each image alone"

step "HTML"
"$WHITTLE" fleet --no-cache --packages --format html -o "$W/fleet.html" \
	docker-daemon:e2e/fleet-pkg-a:1 docker-daemon:e2e/fleet-pkg-b:1 docker-daemon:e2e/fleet-pkg-c:1
check_cmd "the page has the package table" grep -q '<section id="packages">' "$W/fleet.html"
check_eq "the page runs no script" 0 "$(grep -c '<script' "$W/fleet.html" || true)"

check_done

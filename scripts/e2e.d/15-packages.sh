#!/usr/bin/env bash
# whittle analyze's package attribution and image findings against dpkg
# itself, on a real image.
#
# Builds, on the local Debian base, an image whose first RUN installs gcc
# and make (and removes apt's lists), whose second installs zlib1g-dev and
# leaves the lists, and whose third writes a file of no package. Then:
#   - every package's bytes equal the sum of the sizes of the regular files
#     `dpkg -L` lists for it, stat'ed inside the container (each inode once
#     per package), once the files several packages list are given to one
#     of them as whittle's `shared` list says; the packages and their
#     versions equal dpkg-query's;
#   - the bytes in packages and in no package add up to visible_bytes;
#   - each package's bytes against dpkg-query's Installed-Size (KiB, an
#     estimate that dpkg-gencontrol makes from the build tree): the
#     tolerance observed is printed, and checked against the bounds seen;
#   - the build-tools finding (WH801) is at the first RUN's layer, names
#     gcc and make and that RUN's instruction, at warning, with the bytes
#     of its packages; the headers the second RUN installs (zlib1g-dev and
#     libc6-dev, which it depends on) are WH802; the lists left by the
#     second RUN are WH804;
#   - the documentation and locale categories equal what `find` sees in the
#     container (each inode once).
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
REF=e2e/packages:1
export LC_ALL=C # sort and join agree on the order

step "build an image that installs gcc and make"
mkdir -p "$W/ctx"
cat >"$W/ctx/Dockerfile" <<EOF
FROM $DEBIAN_BASE
RUN apt-get update && apt-get install -y --no-install-recommends gcc make && rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y --no-install-recommends zlib1g-dev
RUN mkdir -p /app && head -c 100000 /dev/urandom > /app/main
EOF
img_build "$REF" "$W/ctx"
docker save -o "$W/image.tar" "$REF"

step "whittle analyze"
start=$(date +%s.%N)
"$WHITTLE" analyze --format json "docker-archive:$W/image.tar" >"$W/report.json"
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
start=$(date +%s.%N)
"$WHITTLE" analyze --format json --packages=false "docker-archive:$W/image.tar" >"$W/report-nopkg.json"
took0=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
log "analyze: ${took}s with attribution, ${took0}s without (one run each; wall time)"
"$WHITTLE" analyze --top 8 "docker-archive:$W/image.tar" >"$W/report.txt"
sed -n '/^Packages/,$p' "$W/report.txt" | sed 's/^/    /' >&2
J=$W/report.json
check_eq "the report holds a complete attribution" true "$(jq -r '.packages.complete' "$J")"
check_eq "the schema stays v1" whittle.analyze/v1 "$(jq -r '.schema_version' "$J")"
check_eq "packages + no package = visible_bytes" "$(jq '.image.visible_bytes' "$J")" \
	"$(jq '([.packages.installed[].bytes] | add) + ([.packages.no_package[].bytes] | add)' "$J")"
check_eq "without attribution: no packages block" null "$(jq -c '.packages' "$W/report-nopkg.json")"

step "dpkg inside the container"
# name:arch version Installed-Size (KiB), installed packages only.
docker run --rm --network none "$REF" dpkg-query -W \
	-f='${db:Status-Abbrev} ${Package}:${Architecture} ${Version} ${Installed-Size}\n' |
	awk '$1 == "ii" { print $2, $3, $4 }' | sort >"$W/dpkg.txt"
log "$(wc -l <"$W/dpkg.txt") packages installed"
# Every regular file each package lists: "name:arch dev:inode size".
docker run --rm --network none "$REF" sh -c '
	dpkg-query -W -f="\${db:Status-Abbrev} \${Package}:\${Architecture}\n" | awk "\$1 == \"ii\" { print \$2 }" |
	while read -r p; do
		dpkg -L "$p" 2>/dev/null | grep "^/" | xargs -r -d "\n" stat -c "$p|%F|%d:%i|%s" 2>/dev/null || true
	done' | awk -F'|' '$2 == "regular file" || $2 == "regular empty file" { print $1, $3, $4 }' >"$W/files.txt"
log "$(wc -l <"$W/files.txt") regular files listed"

# oracle: per package, its files' bytes, each inode once.
awk '!seen[$1 " " $2]++ { b[$1] += $3 } END { for (p in b) print p, b[p] }' "$W/files.txt" | sort >"$W/oracle.txt"
# whittle: per package, its bytes plus those of the shared files it lists
# but whittle gave to another package (one file, one owner).
jq -r '
	([.packages.shared[] | .bytes as $b | .others[] | {key: "\(.name):\(.architecture)", value: $b}]
	 | group_by(.key) | map({key: .[0].key, value: (map(.value) | add)}) | from_entries) as $extra
	| .packages.installed[] | "\(.name):\(.architecture) \(.bytes + ($extra["\(.name):\(.architecture)"] // 0))"' "$J" |
	sort >"$W/whittle.txt"
jq -r '.packages.installed[] | "\(.name):\(.architecture) \(.version)"' "$J" | sort >"$W/whittle-versions.txt"
check_same_file "the packages and versions equal dpkg-query's" <(cut -d' ' -f1,2 "$W/dpkg.txt") "$W/whittle-versions.txt"
# Packages that list no regular file have no oracle line: 0 bytes.
join -a1 -e 0 -o 0,2.2 <(cut -d' ' -f1 "$W/dpkg.txt") "$W/oracle.txt" >"$W/oracle-all.txt"
check_same_file "every package's bytes equal its listed files' (dpkg -L, stat; shared files once)" "$W/oracle-all.txt" "$W/whittle.txt"
log "$(jq '.packages.shared | length' "$J") files listed by several packages (whittle's shared list)"

step "Installed-Size (KiB) against whittle's bytes"
# name:arch installed-size-bytes whittle-bytes files
jq -r '.packages.installed[] | "\(.name):\(.architecture) \(.bytes) \(.files)"' "$J" | sort >"$W/whittle-files.txt"
join <(awk '{ print $1, $3 * 1024 }' "$W/dpkg.txt") "$W/whittle-files.txt" >"$W/sizes.txt"
# Installed-Size is Debian policy's estimate of the disk space a package
# takes, in KiB rounded up, made when the package is built from its build
# tree (whole blocks per file, directories and symlinks counted): never
# below the bytes installed here, and above them by more the more small
# files and links a package has (tzdata's 905 files and as many links). The tolerance observed is printed; checked: whittle never
# counts more than Installed-Size, the totals are within 5%, and every
# package of 4 MiB or more is within 10%.
read -r over total_is total_w maxrel maxrelpkg maxbig maxbigpkg within n <<<"$(awk '
	{ is = $2; got = $3; d = is - got; if (d < 0) over++; r = (is > 0 ? d / is : 0); if (r < 0) r = -r
	  tis += is; tw += got; n++; if (r <= 0.05) k++
	  if (is >= 1048576 && r > maxr) { maxr = r; maxrp = $1 }
	  if (is >= 4194304 && r > maxb) { maxb = r; maxbp = $1 } }
	END { printf "%d %d %d %.4f %s %.4f %s %d %d\n", over, tis, tw, maxr, maxrp, maxb, maxbp, k, n }' "$W/sizes.txt")"
log "Installed-Size vs whittle: $within of $n packages within 5%; largest relative difference $maxrel ($maxrelpkg) over" \
	"packages of 1 MiB or more, $maxbig ($maxbigpkg) over packages of 4 MiB or more; totals $total_w of $total_is bytes" \
	"($(awk -v a="$total_w" -v b="$total_is" 'BEGIN { printf "%.4f", a / b }'))"
printf '  %-32s %14s %14s %8s\n' package installed-size whittle ratio >&2
sort -k2,2nr "$W/sizes.txt" | take 12 | awk '{ printf "  %-32s %14d %14d %8.4f\n", $1, $2, $3, ($2 > 0 ? $3 / $2 : 0) }' >&2
check_eq "packages where whittle counts more than Installed-Size" 0 "$over"
if awk -v a="$total_w" -v b="$total_is" 'BEGIN { exit !(a <= b && a >= 0.95 * b) }'; then
	_check_ok "the packages' bytes are within 5% of their Installed-Size in all ($total_w of $total_is)"
else
	_check_fail "the packages' bytes, $total_w, are not within 5% of their Installed-Size in all, $total_is"
fi
if awk -v r="$maxbig" 'BEGIN { exit !(r <= 0.10) }'; then
	_check_ok "every package of 4 MiB or more is within 10% of its Installed-Size (largest: $maxbig, $maxbigpkg)"
else
	_check_fail "a package of 4 MiB or more differs from its Installed-Size by $maxbig ($maxbigpkg), over 10%"
fi

step "findings about the image"
f801=$(jq -c '[.findings[] | select(.rule == "WH801")]' "$J")
check_eq "one build-tools finding (WH801)" 1 "$(jq length <<<"$f801")"
check_eq "WH801: severity" warning "$(jq -r '.[0].severity' <<<"$f801")"
check_eq "WH801: the first RUN's layer" 1 "$(jq -r '.[0].layer' <<<"$f801")"
check_cmd "WH801: the instruction that installed them is the RUN's" \
	grep -q 'apt-get install -y --no-install-recommends gcc make' <<<"$(jq -r '.[0].created_by' <<<"$f801")"
names=$(jq -r '[.[0].packages[].name] | join(" ")' <<<"$f801")
log "WH801 packages: $names"
check_cmd "WH801: names gcc" grep -Eq '(^| )gcc(-[0-9]+)?( |$)' <<<"$names"
check_cmd "WH801: names make" grep -Eq '(^| )make( |$)' <<<"$names"
# gcc only recommends libc6-dev: with --no-install-recommends, the headers
# this RUN installs are gcc's own (libgcc-12-dev).
check_cmd "WH801: names the headers the same RUN installed (libgcc-12-dev)" grep -Eq '(^| )libgcc-[0-9]+-dev( |$)' <<<"$names"
check_eq "WH801: its bytes are its packages'" "$(jq '.[0].bytes' <<<"$f801")" "$(jq '[.[0].packages[].bytes] | add' <<<"$f801")"
check_eq "WH801: its packages' bytes are the packages' in the attribution" \
	"$(jq '[.[0].packages[] | "\(.name) \(.bytes)"] | sort' <<<"$f801")" \
	"$(jq --argjson f "$f801" '[.packages.installed[] | select(.name as $n | [$f[0].packages[].name] | index($n)) | "\(.name) \(.bytes)"] | sort' "$J")"
log "WH801: $(jq -r '.[0].bytes' <<<"$f801") bytes: $(jq -r '.[0].message' <<<"$f801")"
# zlib1g-dev depends on libc6-dev: the second RUN installs it and the
# kernel headers; beside the first RUN's compiler, a warning.
f802=$(jq -c '[.findings[] | select(.rule == "WH802")]' "$J")
check_eq "the second RUN's headers: one WH802 at its layer, a warning beside gcc" "1 warning 2" \
	"$(jq -r 'length as $n | .[0] | "\($n) \(.severity) \(.layer)"' <<<"$f802")"
names=$(jq -r '[.[0].packages[].name] | join(" ")' <<<"$f802")
log "WH802 packages: $names"
check_cmd "WH802: names zlib1g-dev" grep -Eq '(^| )zlib1g-dev( |$)' <<<"$names"
check_cmd "WH802: names libc6-dev" grep -Eq '(^| )libc6-dev( |$)' <<<"$names"
check_eq "the lists the second RUN left: WH804" "2 $(jq '[.caches[] | select(.category == "apt-lists") | .layers[] | select(.layer == 2) | .bytes] | add' "$J")" \
	"$(jq -r '[.findings[] | select(.rule == "WH804" and .category == "apt-lists" and .layer == 2)][0] | "\(.layer) \(.bytes)"' "$J")"
check_eq "the text report shows the finding" 1 "$(grep -c '^  layer 1: warning WH801 build tools in the final image' "$W/report.txt")"

step "documentation and locales against find in the container"
docker run --rm --network none "$REF" sh -c '
	for c in "doc /usr/share/doc /usr/local/share/doc /usr/share/gtk-doc" \
		"man /usr/share/man /usr/local/share/man /usr/local/man" \
		"info /usr/share/info /usr/local/share/info" \
		"locale /usr/share/locale /usr/local/share/locale /usr/lib/locale /usr/share/i18n"; do
		set -- $c; cat=$1; shift
		for d in "$@"; do
			if [ -d "$d" ] && [ ! -L "$d" ]; then find "$d" -type f -printf "$cat %i %s\n"; fi
		done
	done' | awk '!seen[$1 " " $2]++ { b[$1] += $3 } END { for (c in b) if (b[c] > 0) print c, b[c] }' | sort >"$W/docs-oracle.txt"
log "docs: $(paste -sd' ' "$W/docs-oracle.txt")"
check_eq "documentation and locale bytes by category equal find's" "$(paste -sd'|' "$W/docs-oracle.txt")" \
	"$(jq -r '[.docs[] | "\(.category) \(.bytes)"] | sort | join("|")' "$J")"

step "HTML"
"$WHITTLE" analyze --format html -o "$W/report.html" "docker-archive:$W/image.tar"
check_cmd "the page has the package table" grep -q '<section id="packages">' "$W/report.html"
check_cmd "the page has the filesystem chart" grep -q '<section id="filesystem">' "$W/report.html"
check_eq "the page runs no script" 0 "$(grep -c '<script' "$W/report.html" || true)"

check_done

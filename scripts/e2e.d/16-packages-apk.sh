#!/usr/bin/env bash
# whittle analyze's package attribution on an apk image, against the files
# the apk database lists, stat'ed inside the container.
#
# The local busybox base has no apk, so the image assembles an apk
# database (/lib/apk/db/installed, /etc/apk/world) the way apk writes it,
# over files its RUNs create: the first RUN installs gcc, libfoo (a file
# and a hard link to it, and a README), foo-dev (headers and a static
# library) and oldtool; the second removes oldtool (its file and its
# stanza); the third writes a file of no package. Then:
#   - the packages and versions equal the database's, oldtool gone;
#   - every package's bytes equal the sum of the sizes of the regular files
#     its R: lines list, stat'ed in the container, each inode once;
#   - the bytes in packages and in no package add up to visible_bytes, and
#     the file of no package is in the no-package list;
#   - the build-tools finding (WH801) is at the first RUN's layer and names
#     gcc, with the bytes of its packages.
# apk's I: (installed size) is not checked: this database is assembled here.
# Environment: see scripts/e2e.sh.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${E2E_WORK:?}" "${BUSYBOX_BASE:?}"
W=$E2E_WORK
REF=e2e/packages-apk:1
export LC_ALL=C

step "build a busybox image with an apk database"
mkdir -p "$W/ctx"
# The database as apk writes it: one stanza per package, a blank line
# between stanzas, F: a directory and R: a file in it.
cat >"$W/ctx/installed-1" <<'EOF'
P:gcc
V:13.2.1_git20231014-r0
A:x86_64
D:libfoo
F:usr/bin
R:gcc

P:libfoo
V:1.4-r2
A:x86_64
F:usr/lib
R:libfoo.so.1
R:libfoo-hard.so.1
F:usr/share/doc/libfoo
R:README

P:foo-dev
V:1.4-r2
A:x86_64
D:libfoo
F:usr/include
R:foo.h
F:usr/lib
R:libfoo.a

P:oldtool
V:0.9-r0
A:x86_64
F:usr/bin
R:oldtool

EOF
# After oldtool's removal: the same without its stanza.
awk 'BEGIN { RS = ""; ORS = "\n\n" } !/(^|\n)P:oldtool\n/' "$W/ctx/installed-1" >"$W/ctx/installed-2"
cat >"$W/ctx/Dockerfile" <<EOF
FROM $BUSYBOX_BASE
COPY installed-1 installed-2 /tmp/
RUN mkdir -p /lib/apk/db /etc/apk /usr/bin /usr/lib /usr/include /usr/share/doc/libfoo \\
 && head -c 300000 /dev/urandom > /usr/bin/gcc \\
 && head -c 120000 /dev/urandom > /usr/lib/libfoo.so.1 \\
 && ln /usr/lib/libfoo.so.1 /usr/lib/libfoo-hard.so.1 \\
 && head -c 3000 /dev/urandom > /usr/share/doc/libfoo/README \\
 && head -c 5000 /dev/urandom > /usr/include/foo.h \\
 && head -c 90000 /dev/urandom > /usr/lib/libfoo.a \\
 && head -c 70000 /dev/urandom > /usr/bin/oldtool \\
 && cp /tmp/installed-1 /lib/apk/db/installed \\
 && printf 'gcc\nfoo-dev\noldtool\n' > /etc/apk/world
RUN rm /usr/bin/oldtool && cp /tmp/installed-2 /lib/apk/db/installed && printf 'gcc\nfoo-dev\n' > /etc/apk/world && rm /tmp/installed-1 /tmp/installed-2
RUN mkdir -p /app && head -c 100000 /dev/urandom > /app/main
EOF
img_build "$REF" "$W/ctx"
docker save -o "$W/image.tar" "$REF"

step "whittle analyze"
"$WHITTLE" analyze --no-cache --format json "docker-archive:$W/image.tar" >"$W/report.json"
J=$W/report.json
check_eq "the report holds a complete attribution" true "$(jq -r '.packages.complete' "$J")"
check_eq "packages + no package = visible_bytes" "$(jq '.image.visible_bytes' "$J")" \
	"$(jq '([.packages.installed[].bytes] | add) + ([.packages.no_package[].bytes] // [] | add // 0)' "$J")"
check_cmd "the file of no package is counted in no package" \
	jq -e '[.packages.no_package[].bytes] | add >= 100000' "$J"

step "the apk database inside the container"
docker run --rm --network none "$REF" cat /lib/apk/db/installed >"$W/installed.txt"
awk -F: '/^P:/ { p = $2 } /^V:/ { print p, $2 }' "$W/installed.txt" | sort >"$W/apk-versions.txt"
jq -r '.packages.installed[] | "\(.name) \(.version)"' "$J" | sort >"$W/whittle-versions.txt"
check_same_file "the packages and versions equal the database's (oldtool removed)" "$W/apk-versions.txt" "$W/whittle-versions.txt"
check_eq "oldtool, removed by the second RUN, is not a package" 0 "$(jq '[.packages.installed[] | select(.name == "oldtool")] | length' "$J")"
# Every file each package lists: "name dev:inode size", stat'ed inside.
docker run --rm --network none "$REF" sh -c '
	while IFS= read -r l; do
		case $l in
		P:*) p=${l#P:} ;;
		F:*) d=${l#F:} ;;
		R:*) f=/$d/${l#R:}; [ -f "$f" ] && [ ! -L "$f" ] && echo "$p $(stat -c "%d:%i %s" "$f")" ;;
		esac
	done < /lib/apk/db/installed' >"$W/files.txt"
log "$(wc -l <"$W/files.txt") regular files listed"
awk '!seen[$1 " " $2]++ { b[$1] += $3 } END { for (p in b) print p, b[p] }' "$W/files.txt" | sort >"$W/oracle.txt"
jq -r '
	([.packages.shared // [] | .[] | .bytes as $b | .others[] | {key: .name, value: $b}]
	 | group_by(.key) | map({key: .[0].key, value: (map(.value) | add)}) | from_entries) as $extra
	| .packages.installed[] | "\(.name) \(.bytes + ($extra[.name] // 0))"' "$J" | sort >"$W/whittle.txt"
check_same_file "every package's bytes equal its listed files' (stat; a hard link once)" "$W/oracle.txt" "$W/whittle.txt"
check_eq "libfoo counts its file and its hard link once" "libfoo 123000" "$(grep '^libfoo ' "$W/whittle.txt")"

step "findings about the image"
f801=$(jq -c '[.findings[] | select(.rule == "WH801")]' "$J")
check_eq "one build-tools finding (WH801)" 1 "$(jq length <<<"$f801")"
check_eq "WH801: the first RUN's layer" 2 "$(jq -r '.[0].layer' <<<"$f801")"
names=$(jq -r '[.[0].packages[].name] | join(" ")' <<<"$f801")
log "WH801 packages: $names"
check_cmd "WH801: names gcc" grep -Eq '(^| )gcc( |$)' <<<"$names"
check_eq "WH801: its bytes are its packages'" "$(jq '.[0].bytes' <<<"$f801")" "$(jq '[.[0].packages[].bytes] | add' <<<"$f801")"

check_done

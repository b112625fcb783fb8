#!/usr/bin/env bash
# whittle fix on Dockerfiles where a careless repair changes what the build
# does: real builds before and after, and a functional check of each image.
#
# Each case under scripts/e2e.d/fix-hazards/<case>/ is a naive Dockerfile on
# the local Debian base (or busybox where apt is not needed). For each, the
# script:
#   - builds the original and runs its functional check (docker run
#     --network none of a command that proves the software is there and
#     works), or, for set-e-chain-fails, asserts that the build fails;
#   - checks that whittle fix --check exits 1 on the original when a safe
#     repair applies (0 for no-finding-no-edit);
#   - runs whittle fix --write (safe repairs only), checks that --check then
#     exits 0 and a second fix changes nothing, builds again and runs the
#     same check (or asserts the build still fails);
#   - for the cases about an unsafe repair (recommends-https,
#     comment-intent), does the same with --unsafe-fixes on a fresh copy of
#     the original;
#   - runs the case's own checks (below), and prints the diff whittle made.
# At the end it prints the image sizes (docker image inspect .Size) and the
# build times.
#
# Cases and their own checks:
#   set-e-chain-fails   busybox; `set -e; ...; test -f /missing && echo`:
#                       the build fails, and must still fail after fix (the
#                       /tmp cleanup joins the last && list with &&; with ";"
#                       it would make the RUN pass)
#   set-e-chain-passes  the same with a test that succeeds: smaller by the
#                       4 MiB left under /tmp
#   tool-removed        golang-go installed, used (go build) and purged in
#                       one RUN: go clean -cache must come before the purge;
#                       Go's build cache is gone from the image
#   recommends-https    curl of a file from an HTTPS server on loopback whose
#                       CA is trusted through ca-certificates (a Recommends of
#                       libcurl4): the default fix adds no
#                       --no-install-recommends; --unsafe-fixes adds it with
#                       ca-certificates; two hand-written controls without
#                       ca-certificates must fail to build
#   comment-intent      "# we DO want recommends here": neither fix adds
#                       --no-install-recommends; pstree (from the recommended
#                       psmisc) still works
#   apt-update-then-installs
#                       RUN apt-get update, then two installing RUNs: after
#                       fix no layer above the base holds files under
#                       var/lib/apt/lists/ (docker save, GNU tar); the sizes
#                       of hand-written alternatives (one merged RUN, an
#                       update in each RUN; each with and without apt-get
#                       clean) are printed beside the original and the fix
#   apt-update-across-copy
#                       RUN apt-get update, a COPY, an installing RUN, a
#                       COPY, another: the default fix holds the move back
#                       (unsafe) and the lists stay; after --unsafe-fixes no
#                       layer above the base holds files under
#                       var/lib/apt/lists/, and fix --unsafe-fixes after the
#                       default fix leaves lint no WH201 or WH204 either
#   lists-queried-later RUN apt-get update && install, then a RUN of
#                       apt-cache show: after fix the query still finds the
#                       package (the RUNs are merged, the lists removed after
#                       it) and no layer above the base holds package lists;
#                       a hand-written control that removes the lists in the
#                       first RUN must fail to build
#   pkgcache-bin        update, install, rm lists: after fix no layer above
#                       the base holds var/cache/apt/*.bin or a .deb
#   copied-archive-mkdir
#                       COPY app.tar.gz, then mkdir + tar -x + rm + ln -s in
#                       one RUN: after fix ADD extracts it, the link is still
#                       made, and the image is smaller by about the archive
#   pip-cache-dir-override
#                       pip install --no-cache-dir --cache-dir=/pipcache of
#                       an sdist from a package index on loopback: the later
#                       --cache-dir wins, so the original keeps the wheel
#                       pip built under /pipcache; after fix the Dockerfile
#                       has no --cache-dir, no file is left under /pipcache,
#                       the module still runs, the image is smaller by the
#                       cache's bytes, and lint reports WH501 on the original
#                       and not on the fix
#   gpg-recv-keys       apt-get install -y gpg, then gpg --recv-keys of a key
#                       from a keyserver on loopback: gpg needs dirmngr and
#                       gpg-agent, which only gpg's Recommends (gnupg) pull
#                       in; the default fix adds no --no-install-recommends;
#                       --unsafe-fixes adds it with dirmngr and gpg-agent;
#                       two hand-written controls, without dirmngr and
#                       without gpg-agent, must fail to build
#   no-finding-no-edit  lint reports nothing with a safe repair; fix leaves
#                       the file byte-identical (apt-get remove stays)
#
# The HTTPS server is `openssl s_server -WWW` on 127.0.0.1 with a server
# certificate signed by a CA made here; the package index is `busybox httpd`
# on 127.0.0.1 serving a PEP 503 "simple" directory with one sdist packed
# here from the case's sources, and, at /pks/lookup, an armored public key
# made here (a keyserver speaking HKP's op=get: busybox httpd ignores the
# query string of a static file). Both are stopped by PID when the script
# ends.
# Builds use --network host, so they reach them and Debian's archive.
# FIX_HAZARDS_ONLY=GLOB runs only the matching cases. Environment: see
# scripts/e2e.sh.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}" "${BUSYBOX_BASE:?}" "${E2E_SRC:?}"
W=$E2E_WORK
CASES=$E2E_SRC/scripts/e2e.d/fix-hazards
ONLY=${FIX_HAZARDS_ONLY:-*}
mkdir -p "$W/logs"

# The cases, in the order they run.
ORDER=(set-e-chain-fails set-e-chain-passes tool-removed recommends-https comment-intent
	apt-update-then-installs apt-update-across-copy lists-queried-later pkgcache-bin copied-archive-mkdir pip-cache-dir-override
	gpg-recv-keys no-finding-no-edit)

# What the image's CMD prints when the software works.
declare -A WANT_OUT=(
	[set-e-chain-fails]=never
	[set-e-chain-passes]=set-e-chain-ok
	[tool-removed]=tool-removed-ok
	[recommends-https]=recommends-https-ok
	[comment-intent]=comment-intent-ok
	[apt-update-then-installs]=apt-update-then-installs-ok
	[apt-update-across-copy]=apt-update-across-copy-ok
	[lists-queried-later]=lists-queried-later-ok
	[pkgcache-bin]=pkgcache-bin-ok
	[copied-archive-mkdir]=copied-archive-mkdir-ok
	[pip-cache-dir-override]=pip-cache-dir-override-ok
	[gpg-recv-keys]=gpg-recv-keys-ok
	[no-finding-no-edit]=no-finding-no-edit-ok
)
# Cases built on busybox (the others on the Debian base).
declare -A ON_BUSYBOX=([set-e-chain-fails]=1 [set-e-chain-passes]=1)
# Cases whose original must fail to build (and go on failing after fix).
declare -A MUST_FAIL=([set-e-chain-fails]=1)
# Cases where no safe repair applies: fix --check exits 0 on the original.
declare -A NO_SAFE_REPAIR=([no-finding-no-edit]=1)
# Cases about an unsafe repair: also fixed with --unsafe-fixes.
declare -A UNSAFE=([recommends-https]=1 [comment-intent]=1 [apt-update-across-copy]=1 [gpg-recv-keys]=1)

declare -A BUILD_SECS=() # image ref -> seconds its build took
CASE=""                  # the case running now
HTTPS_PORT=""
INDEX_PORT=""
KEY_FPR="" # fingerprint of the key the keyserver serves

trap 'svc_stop_all' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers

size() {
	local s
	s=$(docker image inspect -f '{{.Size}}' "$1" 2>/dev/null) || true
	if [[ $s =~ ^[0-9]+$ ]]; then echo "$s"; else echo n/a; fi
}

# minus A B: A - B when both are integers, else n/a.
minus() {
	if [[ $1 =~ ^-?[0-9]+$ && $2 =~ ^-?[0-9]+$ ]]; then echo $(($1 - $2)); else echo n/a; fi
}

# pct BEFORE AFTER: the saving in percent, or n/a.
pct() {
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then
		awk -v b="$1" -v a="$2" 'BEGIN { printf "%.1f%%", 100 * (b - a) / b }'
	else
		echo n/a
	fi
}

indent() { sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/    /' >&2; }

# joined FILE: the file with backslash-newline continuations joined, so that
# one instruction is one line.
joined() { sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$1"; }

# norecs FILE: how many times the file's instructions (not its comments)
# say --no-install-recommends.
norecs() { joined "$1" | grep -v '^[[:space:]]*#' | grep -o -- --no-install-recommends | wc -l; }

# build REF CTX [DOCKERFILE]: docker build --network host of CTX/DOCKERFILE
# (default Dockerfile) with the case's base (and the HTTPS port) as build
# arguments. Output goes to a log under $W/logs; the exit status is docker's.
build() {
	local ref=$1 ctx=$2 df=${3:-Dockerfile} log base=$DEBIAN_BASE start rc=0
	log=$W/logs/${ref//[:\/]/_}.log
	[ -z "${ON_BUSYBOX[$CASE]:-}" ] || base=$BUSYBOX_BASE
	local args=(--build-arg "BASE=$base")
	[ "$CASE" != recommends-https ] || args+=(--build-arg "PORT=$HTTPS_PORT")
	[ "$CASE" != pip-cache-dir-override ] || args+=(--build-arg "PORT=$INDEX_PORT")
	[ "$CASE" != gpg-recv-keys ] || args+=(--build-arg "PORT=$INDEX_PORT" --build-arg "KEY=$KEY_FPR")
	start=$SECONDS
	docker build --network host -t "$ref" -f "$ctx/$df" "${args[@]}" "$ctx" >"$log" 2>&1 || rc=$?
	BUILD_SECS[$ref]=$((SECONDS - start))
	return "$rc"
}

# expect_build DESC WANT REF CTX [DOCKERFILE]: build, and check that the
# build passes (WANT=pass) or fails (WANT=fail). Prints why a build failed.
expect_build() {
	local desc=$1 want=$2 ref=$3 log rc=0
	shift 2
	log=$W/logs/${ref//[:\/]/_}.log
	build "$@" || rc=$?
	if [ "$rc" -eq 0 ] && [ "$want" = pass ]; then
		_check_ok "$desc builds (${BUILD_SECS[$ref]}s)"
	elif [ "$rc" -ne 0 ] && [ "$want" = fail ]; then
		_check_ok "$desc fails to build, as it must (exit $rc); its last lines:"
		grep -v '^ ---> ' "$log" | tail -n 2 | indent
	elif [ "$rc" -eq 0 ]; then
		_check_fail "$desc: the build passed, but it must fail"
		grep -v '^ ---> ' "$log" | grep -A3 '^Step .*RUN' | tail -n 8 | indent
	else
		_check_fail "$desc: the build failed (exit $rc); its last lines:"
		tail -n 30 "$log" | indent
	fi
	[ "$rc" -eq 0 ]
}

# works DESC REF: the image's CMD, run with no network, prints the case's
# marker.
works() {
	local out
	out=$(docker run --rm --network none "$2" 2>&1 | take 5 || true)
	case $out in
	*"${WANT_OUT[$CASE]}"*) _check_ok "$1 works ($(printf '%s' "$out" | head -n 1))" ;;
	*) _check_fail "$1: want output with '${WANT_OUT[$CASE]}', got '$out'" ;;
	esac
}

# fix_copy MODE ORIG_CTX DEST_CTX: copy the original context and repair its
# Dockerfile with whittle fix --write (MODE default) or --write
# --unsafe-fixes (MODE unsafe); check --check exits 0 afterwards and that a
# second fix changes nothing; print the diff. Fails when whittle fix fails.
fix_copy() {
	local mode=$1 orig=$2 dest=$3 flags=() err rc what="whittle fix --write"
	[ "$mode" = default ] || flags=(--unsafe-fixes)
	[ "$mode" = default ] || what="whittle fix --unsafe-fixes --write"
	rm -rf "$dest"
	cp -r "$orig" "$dest"
	err=$W/$CASE.$mode.err
	if ! "$WHITTLE" fix "${flags[@]}" --write "$dest/Dockerfile" 2>"$err"; then
		_check_fail "$CASE: $what failed: $(tail -n 1 "$err")"
		rm -rf "$dest"
		return 1
	fi
	_check_ok "$CASE: $what"
	log "$CASE: the $mode fix (whittle's summary, then the diff):"
	indent <"$err"
	if diff -u --label a/Dockerfile --label "b/Dockerfile ($mode fix)" "$orig/Dockerfile" "$dest/Dockerfile" >"$W/$CASE.$mode.diff"; then
		echo "(no change)" | indent
	else
		indent <"$W/$CASE.$mode.diff"
	fi
	rc=0
	"$WHITTLE" fix --check -q "$dest/Dockerfile" || rc=$?
	check_eq "$CASE: fix --check on the $mode repair exits" 0 "$rc"
	"$WHITTLE" fix "${flags[@]}" -q "$dest/Dockerfile" >"$W/$CASE.$mode.again" 2>/dev/null || true
	check_same_file "$CASE: a second $mode fix changes nothing" "$dest/Dockerfile" "$W/$CASE.$mode.again"
}

# layer_files SAVE_TAR REGEX [EXCLUDE]: "LAYER SIZE PATH" of every regular
# file (whiteouts left out) in the layers above the base whose path matches
# REGEX and not EXCLUDE, by GNU tar over the docker save tar.
layer_files() {
	local save=$1 re=$2 ex=${3:-^$} n i
	n=$(tar -xOf "$save" manifest.json | jq '.[0].Layers | length')
	for ((i = BASE_LAYERS; i < n; i++)); do
		save_layer_entries "$save" "$i" | awk -v i="$i" -v re="$re" -v ex="$ex" \
			'$1 == "-" && $3 ~ re && $3 !~ ex && $3 !~ /(^|\/)\.wh\./ { print i, $2, $3 }'
	done
}

# layer_bytes SAVE_TAR REGEX [EXCLUDE]: the bytes of those files in each
# layer above the base, as "LAYER:BYTES" separated by spaces (save_layer_bytes).
layer_bytes() {
	local save=$1 n i out=()
	n=$(tar -xOf "$save" manifest.json | jq '.[0].Layers | length')
	for ((i = BASE_LAYERS; i < n; i++)); do
		out+=("$i:$(save_layer_bytes "$save" "$i" "$2" "${3:-^$}")")
	done
	echo "${out[*]}"
}

# check_no_files DESC REF REGEX [EXCLUDE]: no layer of REF above the base
# holds a file matching REGEX; otherwise list them.
check_no_files() {
	local desc=$1 ref=$2 re=$3 ex=${4:-^$} save files
	save=$W/save.tar
	docker save -o "$save" "$ref"
	files=$(layer_files "$save" "$re" "$ex")
	if [ -z "$files" ]; then
		_check_ok "$desc (bytes per layer above the base: $(layer_bytes "$save" "$re" "$ex"))"
	else
		_check_fail "$desc: $(echo "$files" | wc -l) files, bytes per layer $(layer_bytes "$save" "$re" "$ex"):"
		echo "$files" | take 20 | indent
	fi
	rm -f "$save"
}

# check_has_files DESC REF REGEX [EXCLUDE]: the original ships such files
# (so that check_no_files on the repair proves something).
check_has_files() {
	local desc=$1 ref=$2 re=$3 ex=${4:-^$} save n
	save=$W/save.tar
	docker save -o "$save" "$ref"
	n=$(layer_files "$save" "$re" "$ex" | awk '{ s += $2 } END { print s + 0 }')
	check_gt "$desc (bytes per layer above the base: $(layer_bytes "$save" "$re" "$ex"))" "$n" 0
	rm -f "$save"
}

LISTS_RE='^var/lib/apt/lists/'
LISTS_EX='^var/lib/apt/lists/(lock|partial)$'
APT_CACHE_RE='^var/cache/apt/([^/]*[.]bin|archives/.*[.]deb)$'

# ---------------------------------------------------------------- context

# HTTPS server for recommends-https: a CA, a server certificate for
# localhost signed by it, and openssl s_server -WWW serving $W/https/www.
start_https() {
	local d=$W/https
	mkdir -p "$d/www"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=whittle e2e CA' \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>"$d/openssl.log"
	openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' \
		-keyout "$d/server.key" -out "$d/server.csr" 2>>"$d/openssl.log"
	printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
		'extendedKeyUsage=serverAuth' >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/server.ext" -out "$d/server.crt" 2>>"$d/openssl.log"
	echo recommends-https-ok >"$d/www/hello.txt"
	HTTPS_PORT=$(pick_port 8443)
	# s_server -WWW serves files relative to its working directory.
	# shellcheck disable=SC2016 # $1 and $2 are the inner shell's
	svc_start https "$W/logs/https.log" sh -c 'cd "$1" && exec openssl s_server -quiet -WWW \
		-accept "127.0.0.1:$2" -cert ../server.crt -key ../server.key' sh "$d/www" "$HTTPS_PORT"
	WAIT_SERVICE=https wait_until 30 "HTTPS server on 127.0.0.1:$HTTPS_PORT" \
		curl -fsS --cacert "$d/ca.crt" -o /dev/null "https://localhost:$HTTPS_PORT/hello.txt"
	# Without the CA, the host's curl must refuse it: the CA is what makes it
	# trusted.
	if curl -fsS -o /dev/null "https://localhost:$HTTPS_PORT/hello.txt" 2>/dev/null; then
		_check_fail "HTTPS server: trusted without the e2e CA"
	else
		_check_ok "HTTPS server on 127.0.0.1:$HTTPS_PORT: trusted with the e2e CA only"
	fi
}

# Package index for pip-cache-dir-override: a PEP 503 "simple" tree with the
# sdist whittlehello-1.0.tar.gz (packed here from the case's sources), and
# keyserver for gpg-recv-keys: /pks/lookup answers with one armored key made
# here, whatever the query. Both served by busybox httpd on loopback.
start_index() {
	local d=$W/pypi src=$CASES/pip-cache-dir-override
	mkdir -p "$d/simple/whittlehello"
	tar -C "$src" --owner=0 --group=0 -czf "$d/simple/whittlehello/whittlehello-1.0.tar.gz" whittlehello-1.0
	printf '<!DOCTYPE html>\n<html><body>\n<a href="whittlehello/">whittlehello</a>\n</body></html>\n' \
		>"$d/simple/index.html"
	printf '<!DOCTYPE html>\n<html><body>\n<a href="whittlehello-1.0.tar.gz">whittlehello-1.0.tar.gz</a>\n</body></html>\n' \
		>"$d/simple/whittlehello/index.html"
	# The keyserver's key: made in a GnuPG home of its own, whose agent is
	# stopped (by that home) once the key is exported.
	local g=$W/gnupg
	mkdir -p "$g" "$d/pks"
	chmod 700 "$g"
	GNUPGHOME=$g gpg --batch --passphrase '' --quick-gen-key 'whittle e2e <e2e@whittle.invalid>' \
		ed25519 sign never >"$W/logs/gpg.log" 2>&1
	KEY_FPR=$(GNUPGHOME=$g gpg --batch --with-colons --list-keys e2e@whittle.invalid 2>>"$W/logs/gpg.log" | awk -F: '$1 == "fpr" { print $10; exit }')
	GNUPGHOME=$g gpg --batch --armor --export "$KEY_FPR" >"$d/pks/lookup" 2>>"$W/logs/gpg.log"
	gpgconf --homedir "$g" --kill all 2>/dev/null || true
	check_cmd "keyserver key $KEY_FPR exported" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$d/pks/lookup"
	INDEX_PORT=$(pick_port 8480)
	svc_start index "$W/logs/index.log" busybox httpd -f -v -p "127.0.0.1:$INDEX_PORT" -h "$d"
	WAIT_SERVICE=index wait_until 30 "package index on 127.0.0.1:$INDEX_PORT" \
		curl -fsS -o /dev/null "http://127.0.0.1:$INDEX_PORT/simple/whittlehello/whittlehello-1.0.tar.gz"
	_check_ok "package index on 127.0.0.1:$INDEX_PORT serves whittlehello-1.0.tar.gz"
}

# prepare NAME CTX: the context files a case needs that are made here (no
# binaries in the repository).
prepare() {
	local name=$1 dir=$2
	case $name in
	recommends-https)
		cp "$W/https/ca.crt" "$dir/ca.crt"
		;;
	copied-archive-mkdir)
		rm -rf "$W/app"
		mkdir -p "$W/app"
		printf '#!/bin/sh\necho copied-archive-mkdir-ok\n' >"$W/app/hello.sh"
		chmod 755 "$W/app/hello.sh"
		head -c 3145728 /dev/urandom >"$W/app/payload"
		tar -C "$W/app" -czf "$dir/app.tar.gz" .
		;;
	esac
}

# ---------------------------------------------------------------- case checks

# Each extra_<case> runs after the generic steps, with the contexts in
# ORIG, FIXED and (for unsafe cases) UNSAFE_CTX, and the image refs in
# IMG_BEFORE, IMG_FIXED and IMG_UNSAFE.

extra_set_e_chain_fails() {
	local text rm_re='rm -[a-z]+ [^;&|]*/tmp/blob' and_re='&&[[:space:]]*rm -[a-z]+ [^;&|]*/tmp/blob'
	text=$(joined "$FIXED/Dockerfile" | grep '^RUN ' || true)
	if [[ $text =~ $rm_re ]]; then
		_check_ok "$CASE: the fixed RUN removes /tmp/blob"
	else
		_check_fail "$CASE: the fixed RUN does not remove /tmp/blob: $text"
	fi
	if [[ $text =~ $and_re ]]; then
		_check_ok "$CASE: the cleanup joins the last && list with &&"
	else
		_check_fail "$CASE: the cleanup is not chained with && (with ';' a failing first link no longer fails the RUN): $text"
	fi
}

extra_set_e_chain_passes() {
	check_gt "$CASE: bytes saved (the 4 MiB under /tmp)" "$(minus "$(size "$IMG_BEFORE")" "$(size "$IMG_FIXED")")" 4000000
}

# gocache REF: bytes of the regular files under Go's build cache in REF.
gocache() {
	docker run --rm --network none "$1" sh -c \
		'find /root/.cache/go-build -type f -printf "%s\n" 2>/dev/null | awk "{ s += \$1 } END { print s + 0 }"' 2>/dev/null || echo n/a
}

extra_tool_removed() {
	local text clean purge
	text=$(joined "$FIXED/Dockerfile" | grep '^RUN ' || true)
	clean=$(awk -v t="$text" 'BEGIN { print index(t, "go clean -cache") }')
	purge=$(awk -v t="$text" 'BEGIN { print index(t, "apt-get purge") }')
	if [ "$clean" -gt 0 ] && [ "$clean" -lt "$purge" ]; then
		_check_ok "$CASE: go clean -cache comes before apt-get purge"
	else
		_check_fail "$CASE: go clean -cache (at $clean) is not before apt-get purge (at $purge): $text"
	fi
	local before after
	before=$(gocache "$IMG_BEFORE")
	check_gt "$CASE: Go's build cache in the original image, bytes" "$before" 0
	if docker image inspect "$IMG_FIXED" >/dev/null 2>&1; then
		after=$(gocache "$IMG_FIXED")
		if [[ $after =~ ^[0-9]+$ ]] && [ "$after" -lt 65536 ]; then
			_check_ok "$CASE: Go's build cache gone after fix ($after bytes left, $before before)"
		else
			_check_fail "$CASE: Go's build cache after fix: $after bytes"
		fi
	else
		_check_fail "$CASE: no fixed image to look for Go's build cache in"
	fi
}

extra_recommends_https() {
	if [ "$(norecs "$FIXED/Dockerfile")" -gt "$(norecs "$ORIG/Dockerfile")" ]; then
		_check_fail "$CASE: the default fix added --no-install-recommends (an unsafe repair)"
	else
		_check_ok "$CASE: the default fix leaves the recommends alone"
	fi
	if [ -f "$UNSAFE_CTX/Dockerfile" ] && ! cmp -s "$ORIG/Dockerfile" "$UNSAFE_CTX/Dockerfile"; then
		local install
		install=$(joined "$UNSAFE_CTX/Dockerfile" | grep -o 'apt-get install[^&;|]*' || true)
		if [[ $install == *--no-install-recommends* && $install == *ca-certificates* ]]; then
			_check_ok "$CASE: --unsafe-fixes installs with --no-install-recommends and ca-certificates ($install)"
		else
			_check_fail "$CASE: --unsafe-fixes: want --no-install-recommends and ca-certificates in the install, got: $install"
		fi
	else
		_check_fail "$CASE: --unsafe-fixes made no repaired Dockerfile"
	fi
	# The controls show that the certificate store decides: without
	# ca-certificates the build fails.
	expect_build "$CASE: control (--no-install-recommends curl, no ca-certificates)" fail \
		"e2e/fix-hazards/$CASE:control" "$ORIG" Dockerfile.control || true
	expect_build "$CASE: control (--no-install-recommends curl, curl only)" fail \
		"e2e/fix-hazards/$CASE:control-curl" "$ORIG" Dockerfile.control-curl || true
}

extra_comment_intent() {
	local f
	for f in "$FIXED/Dockerfile" "$UNSAFE_CTX/Dockerfile"; do
		[ -f "$f" ] || continue
		if [ "$(norecs "$f")" -gt "$(norecs "$ORIG/Dockerfile")" ]; then
			_check_fail "$CASE: $(basename "$(dirname "$f")"): --no-install-recommends added despite the comment"
		else
			_check_ok "$CASE: $(basename "$(dirname "$f")"): no --no-install-recommends (the comment asks for recommends)"
		fi
	done
}

extra_apt_update_then_installs() {
	check_has_files "$CASE: the original ships package lists" "$IMG_BEFORE" "$LISTS_RE" "$LISTS_EX"
	if docker image inspect "$IMG_FIXED" >/dev/null 2>&1; then
		check_no_files "$CASE: after fix no layer holds package lists" "$IMG_FIXED" "$LISTS_RE" "$LISTS_EX"
	fi
	# Hand-written alternatives, to choose between merging the RUNs and an
	# update in each installing RUN.
	local alt ref
	for alt in merged per-run merged-clean per-run-clean; do
		ref=e2e/fix-hazards/$CASE:$alt
		if expect_build "$CASE: alternative $alt" pass "$ref" "$ORIG" "Dockerfile.$alt"; then
			works "$CASE: alternative $alt" "$ref"
			check_no_files "$CASE: alternative $alt: no layer holds package lists" "$ref" "$LISTS_RE" "$LISTS_EX"
		fi
	done
	{
		printf '%-14s %12s %12s %6s\n' image size 'vs original' build
		for alt in before fixed merged merged-clean per-run per-run-clean; do
			ref=e2e/fix-hazards/$CASE:$alt
			printf '%-14s %12s %12s %5ss\n' "$alt" "$(size "$ref")" "$(pct "$(size "$IMG_BEFORE")" "$(size "$ref")")" "${BUILD_SECS[$ref]:-n/a}"
		done
	} >"$W/alternatives.txt"
}

extra_apt_update_across_copy() {
	check_has_files "$CASE: the original ships package lists" "$IMG_BEFORE" "$LISTS_RE" "$LISTS_EX"
	if joined "$FIXED/Dockerfile" | grep -Eq '^RUN apt-get update( && apt-get clean)?$'; then
		_check_ok "$CASE: the default fix keeps the RUN of apt-get update (moving it is unsafe)"
	else
		_check_fail "$CASE: the default fix moved or dropped the RUN of apt-get update: $(joined "$FIXED/Dockerfile" | grep '^RUN ' | tr '\n' '|')"
	fi
	if docker image inspect "$IMG_UNSAFE" >/dev/null 2>&1; then
		check_no_files "$CASE: after fix --unsafe-fixes no layer holds package lists" "$IMG_UNSAFE" "$LISTS_RE" "$LISTS_EX"
	fi
	# The default fix, then --unsafe-fixes on its output: not a dead end.
	local twice=$W/$CASE.twice json=$W/$CASE.twice.json left
	mkdir -p "$twice"
	cp "$FIXED/Dockerfile" "$twice/Dockerfile"
	if "$WHITTLE" fix --unsafe-fixes --write -q "$twice/Dockerfile"; then
		"$WHITTLE" lint --format json --fail-level none "$twice/Dockerfile" >"$json" || true
		left=$(jq -r '[.findings[] | select(.rule == "WH201" or .rule == "WH204") | "\(.line) \(.rule)"] | join(", ")' "$json")
		check_eq "$CASE: fix, then fix --unsafe-fixes: WH201 and WH204 findings left" "" "$left"
	else
		_check_fail "$CASE: fix --unsafe-fixes after the default fix failed"
	fi
}

extra_lists_queried_later() {
	check_has_files "$CASE: the original ships package lists" "$IMG_BEFORE" "$LISTS_RE" "$LISTS_EX"
	if docker image inspect "$IMG_FIXED" >/dev/null 2>&1; then
		check_no_files "$CASE: after fix no layer holds package lists" "$IMG_FIXED" "$LISTS_RE" "$LISTS_EX"
	fi
	expect_build "$CASE: control (lists removed before the query)" fail \
		"e2e/fix-hazards/$CASE:control" "$ORIG" Dockerfile.control || true
}

extra_pkgcache_bin() {
	check_has_files "$CASE: the original ships apt's *.bin or .deb files" "$IMG_BEFORE" "$APT_CACHE_RE"
	if docker image inspect "$IMG_FIXED" >/dev/null 2>&1; then
		check_no_files "$CASE: after fix no layer holds var/cache/apt/*.bin or a .deb" "$IMG_FIXED" "$APT_CACHE_RE"
	fi
}

extra_copied_archive_mkdir() {
	local text archive saved
	text=$(joined "$FIXED/Dockerfile")
	if grep -Eq '^ADD +app\.tar\.gz +/opt/app/?$' <<<"$text" && ! grep -Eq '^COPY .*app\.tar\.gz' <<<"$text"; then
		_check_ok "$CASE: ADD extracts the archive into /opt/app (no COPY of it)"
	else
		_check_fail "$CASE: want ADD app.tar.gz /opt/app/ instead of the COPY; got: $(grep -E '^(ADD|COPY|RUN) ' <<<"$text" | tr '\n' '|')"
	fi
	if grep -Eq '^RUN .*ln -s /opt/app/hello\.sh /usr/local/bin/hello' <<<"$text"; then
		_check_ok "$CASE: the RUN keeps its other commands (ln -s)"
	else
		_check_fail "$CASE: the ln -s is gone from the fixed Dockerfile"
	fi
	archive=$(stat -c %s "$ORIG/app.tar.gz")
	saved=$(minus "$(size "$IMG_BEFORE")" "$(size "$IMG_FIXED")")
	if [[ $saved =~ ^-?[0-9]+$ ]] && [ "$saved" -ge $((archive * 9 / 10)) ] && [ "$saved" -le $((archive * 11 / 10)) ]; then
		_check_ok "$CASE: smaller by about the archive ($saved bytes saved, archive $archive)"
	else
		_check_fail "$CASE: want about $archive bytes saved (the archive), got $saved"
	fi
}

# pipcache REF: "FILES BYTES" of the regular files under /pipcache in REF
# (0 0 when there is no such directory).
pipcache() {
	docker run --rm --network none "$1" sh -c \
		'find /pipcache -type f -printf "%s\n" 2>/dev/null | awk "{ n++; s += \$1 } END { print n + 0, s + 0 }"' 2>/dev/null || echo n/a
}

# wh501 FILE: the lines of FILE where lint reports WH501, comma-separated.
wh501() {
	"$WHITTLE" lint --format json --fail-level none "$1" |
		jq -r '[.findings[] | select(.rule == "WH501") | .line] | map(tostring) | join(",")'
}

extra_pip_cache_dir_override() {
	local before after where
	if joined "$FIXED/Dockerfile" | grep -v '^[[:space:]]*#' | grep -q -- '--cache-dir'; then
		_check_fail "$CASE: the fixed Dockerfile still sets --cache-dir: $(joined "$FIXED/Dockerfile" | grep -- '--cache-dir')"
	else
		_check_ok "$CASE: the fixed Dockerfile sets no --cache-dir"
	fi
	check_gt "$CASE: lint reports WH501 on the original (line)" "$(wh501 "$ORIG/Dockerfile" | cut -d, -f1)" 0
	check_eq "$CASE: lines where lint reports WH501 after fix" "" "$(wh501 "$FIXED/Dockerfile")"
	before=$(pipcache "$IMG_BEFORE")
	where=$(docker run --rm --network none "$IMG_BEFORE" sh -c \
		'cd /pipcache 2>/dev/null && find . -mindepth 1 -maxdepth 1 | sort | paste -sd" "' 2>/dev/null || true)
	check_gt "$CASE: files under /pipcache in the original (files bytes: $before; $where)" "${before%% *}" 0
	if docker image inspect "$IMG_FIXED" >/dev/null 2>&1; then
		after=$(pipcache "$IMG_FIXED")
		check_eq "$CASE: files and bytes under /pipcache after fix" "0 0" "$after"
		# The fix changes nothing else: the image is smaller by the cache.
		check_eq "$CASE: bytes saved by fix (the cache's ${before#* } bytes)" "${before#* }" \
			"$(minus "$(size "$IMG_BEFORE")" "$(size "$IMG_FIXED")")"
	else
		_check_fail "$CASE: no fixed image to look for /pipcache in"
	fi
}

extra_gpg_recv_keys() {
	if [ "$(norecs "$FIXED/Dockerfile")" -gt "$(norecs "$ORIG/Dockerfile")" ]; then
		_check_fail "$CASE: the default fix added --no-install-recommends (an unsafe repair)"
	else
		_check_ok "$CASE: the default fix leaves the recommends alone"
	fi
	if [ -f "$UNSAFE_CTX/Dockerfile" ] && ! cmp -s "$ORIG/Dockerfile" "$UNSAFE_CTX/Dockerfile"; then
		local install
		install=$(joined "$UNSAFE_CTX/Dockerfile" | grep -o 'apt-get install[^&;|]*' || true)
		if [[ $install == *--no-install-recommends* && $install == *" dirmngr "* && $install == *" gpg-agent "* ]]; then
			_check_ok "$CASE: --unsafe-fixes installs with --no-install-recommends, dirmngr and gpg-agent ($install)"
		else
			_check_fail "$CASE: --unsafe-fixes: want --no-install-recommends, dirmngr and gpg-agent in the install, got: $install"
		fi
	else
		_check_fail "$CASE: --unsafe-fixes made no repaired Dockerfile"
	fi
	# The controls show that both decide: without dirmngr gpg cannot reach
	# the keyserver; without gpg-agent it imports the key and exits 2.
	expect_build "$CASE: control (--no-install-recommends gpg, no dirmngr)" fail \
		"e2e/fix-hazards/$CASE:control" "$ORIG" Dockerfile.control || true
	expect_build "$CASE: control (--no-install-recommends dirmngr gpg, no gpg-agent)" fail \
		"e2e/fix-hazards/$CASE:control-agent" "$ORIG" Dockerfile.control-agent || true
}

extra_no_finding_no_edit() {
	local json=$W/$CASE.lint.json rc=0
	"$WHITTLE" lint --format json --fail-level none "$ORIG/Dockerfile" >"$json" || rc=$?
	check_eq "$CASE: whittle lint --format json exits" 0 "$rc"
	# Nothing at all, or only findings whose repair is not safe. A finding
	# without a repair field cannot be judged: it fails.
	local total safe unknown
	total=$(jq '.findings | length' "$json")
	safe=$(jq '[.findings[] | select(.repair.applicability? == "safe")] | length' "$json")
	unknown=$(jq '[.findings[] | select(.repair == null)] | length' "$json")
	if [ "$total" -eq 0 ] || { [ "$safe" -eq 0 ] && [ "$unknown" -eq 0 ]; }; then
		_check_ok "$CASE: lint reports no finding with a safe repair ($total findings)"
	else
		_check_fail "$CASE: lint reports $total findings ($safe with a safe repair, $unknown without a repair field)"
		jq -r '.findings[] | "\(.line) \(.rule) \(.repair.applicability // "-") \(.message)"' "$json" | indent
	fi
	check_same_file "$CASE: whittle fix leaves the file byte-identical" "$ORIG/Dockerfile" "$FIXED/Dockerfile"
}

# ---------------------------------------------------------------- main

# Layers of the Debian base: the checks of what layers hold look above them
# (the debootstrap base itself ships package lists and .deb files).
BASE_LAYERS=$(img_diff_ids "$DEBIAN_BASE" | wc -l)

step "fix-hazards: HTTPS server"
start_https
step "fix-hazards: package index and keyserver"
start_index

present=()
for dir in "$CASES"/*/; do present+=("$(basename "$dir")"); done
check_eq "fix-hazards: case directories" "$(printf '%s\n' "${ORDER[@]}" | sort | paste -sd' ')" "$(printf '%s\n' "${present[@]}" | sort | paste -sd' ')"

printf '%-26s %11s %11s %11s %8s %8s %5s\n' case before fixed unsafe saved saved/u secs >"$W/sizes.txt"
for CASE in "${ORDER[@]}"; do
	# shellcheck disable=SC2053 # ONLY is a glob on purpose
	[[ $CASE == $ONLY ]] || continue
	step "fix-hazards: $CASE"
	start=$SECONDS
	ORIG=$W/$CASE/orig FIXED=$W/$CASE/fixed UNSAFE_CTX=$W/$CASE/unsafe
	IMG_BEFORE=e2e/fix-hazards/$CASE:before IMG_FIXED=e2e/fix-hazards/$CASE:fixed IMG_UNSAFE=e2e/fix-hazards/$CASE:unsafe
	mkdir -p "$ORIG"
	cp -r "$CASES/$CASE"/. "$ORIG"/
	prepare "$CASE" "$ORIG"
	want=pass
	[ -z "${MUST_FAIL[$CASE]:-}" ] || want=fail

	# The original.
	if expect_build "$CASE: the original" "$want" "$IMG_BEFORE" "$ORIG" && [ "$want" = pass ]; then
		works "$CASE: the original" "$IMG_BEFORE"
	fi
	rc=0
	"$WHITTLE" fix --check -q "$ORIG/Dockerfile" || rc=$?
	check_eq "$CASE: fix --check on the original exits" "$([ -n "${NO_SAFE_REPAIR[$CASE]:-}" ] && echo 0 || echo 1)" "$rc"

	# The default (safe) fix.
	if fix_copy default "$ORIG" "$FIXED"; then
		if expect_build "$CASE: after fix" "$want" "$IMG_FIXED" "$FIXED" && [ "$want" = pass ]; then
			works "$CASE: after fix" "$IMG_FIXED"
		fi
	fi
	if [ "$want" = pass ] && [ -z "${NO_SAFE_REPAIR[$CASE]:-}" ]; then
		check_gt "$CASE: bytes saved by fix" "$(minus "$(size "$IMG_BEFORE")" "$(size "$IMG_FIXED")")" 0
	fi

	# The unsafe fix, on a fresh copy of the original.
	if [ -n "${UNSAFE[$CASE]:-}" ] && fix_copy unsafe "$ORIG" "$UNSAFE_CTX"; then
		if expect_build "$CASE: after fix --unsafe-fixes" "$want" "$IMG_UNSAFE" "$UNSAFE_CTX" && [ "$want" = pass ]; then
			works "$CASE: after fix --unsafe-fixes" "$IMG_UNSAFE"
		fi
	fi

	fn=extra_${CASE//-/_}
	if declare -F "$fn" >/dev/null; then "$fn"; fi

	before=$(size "$IMG_BEFORE") fixed=$(size "$IMG_FIXED") unsafe=- saved_u=-
	if [ -n "${UNSAFE[$CASE]:-}" ]; then
		unsafe=$(size "$IMG_UNSAFE")
		saved_u=$(pct "$before" "$unsafe")
	fi
	printf '%-26s %11s %11s %11s %8s %8s %5s\n' "$CASE" "$before" "$fixed" "$unsafe" \
		"$(pct "$before" "$fixed")" "$saved_u" $((SECONDS - start)) >>"$W/sizes.txt"
done

step "fix-hazards: image sizes (bytes; n/a: no image, the build failed or was not made)"
cat "$W/sizes.txt"
if [ -s "$W/alternatives.txt" ]; then
	step "fix-hazards: apt-update-then-installs, merged RUN or an update per RUN (bytes)"
	cat "$W/alternatives.txt"
fi
check_done

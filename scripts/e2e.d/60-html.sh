#!/usr/bin/env bash
# whittle analyze --format html in a real browser.
#
# Renders the report of the Debian base image (read from the daemon), of
# the example image with its Dockerfile (measured findings), and the fleet
# page of the two (the example also as an OCI layout), then loads each page
# in headless Chromium, as ENVIRONMENT.md shows, and checks that:
#   - the page Chromium builds (--dump-dom) holds the exact figures of the
#     JSON report (size, wasted, visible bytes; the measured total), the
#     biggest package and every finding's rule;
#   - it holds no script and loads nothing (the page is self-contained);
#   - a screenshot renders (a PNG of the page).
# Environment: see scripts/e2e.sh.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"

: "${WHITTLE:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}" "${E2E_SRC:?}"
W=$E2E_WORK

# commas N: 1234567 as 1,234,567.
commas() { echo "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }

# chrome ARGS...: headless Chromium with a throwaway profile.
chrome() {
	local profile
	profile=$(mktemp -d)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--no-first-run --user-data-dir="$profile" "$@" 2>>"$W/chromium.log"
	rm -rf "$profile"
}

# check_page NAME IMAGE [ANALYZE_ARGS...]: render, load and check one page.
check_page() {
	local name=$1 image=$2
	shift 2
	step "html: $name"
	"$WHITTLE" analyze --format json "$@" "$image" >"$W/$name.json"
	"$WHITTLE" analyze --format html -o "$W/$name.html" "$@" "$image"
	chrome --dump-dom "file://$W/$name.html" >"$W/$name.dom.html"
	check_gt "$name: Chromium built the page (bytes of DOM)" "$(wc -c <"$W/$name.dom.html")" 1000
	local key text
	for key in size_bytes wasted_bytes visible_bytes; do
		text="$(commas "$(jq ".image.$key" "$W/$name.json")") bytes"
		check_eq "$name: the page shows $key ($text)" found "$(grep -q -F "$text" "$W/$name.dom.html" && echo found || echo missing)"
	done
	if jq -e '.dockerfile' "$W/$name.json" >/dev/null; then
		text="$(commas "$(jq '.dockerfile.measured_bytes' "$W/$name.json")") bytes, each byte once"
		check_eq "$name: the page shows the measured total ($text)" found "$(grep -q -F "$text" "$W/$name.dom.html" && echo found || echo missing)"
	fi
	# The table lists the packages whose files are known (a package
	# without a file list is named in a line instead).
	text="$(jq -r '[.packages.installed[]? | select(.files_known)][0] // empty | "\(.name) \(.version)"' "$W/$name.json")"
	if [ -n "$text" ]; then
		check_eq "$name: the package table shows the biggest package ($text)" found \
			"$(grep -q -F "<td>${text% *}</td><td>${text#* }</td>" "$W/$name.dom.html" && echo found || echo missing)"
	fi
	for text in $(jq -r '[.findings[].rule] | unique | .[]' "$W/$name.json"); do
		check_eq "$name: the page shows the finding $text" found "$(grep -q -F "<td>$text<br>" "$W/$name.dom.html" && echo found || echo missing)"
	done
	check_eq "$name: no script, no fetched resource" 0 "$(grep -c -E '<script|<link|<img|src=|url\(' "$W/$name.dom.html" || true)"
	chrome --screenshot="$W/$name.png" --window-size=1400,2000 "file://$W/$name.html" >/dev/null
	check_eq "$name: the screenshot is a PNG" "89504e47" "$(head -c 4 "$W/$name.png" | od -An -tx1 | tr -d ' \n')"
	check_gt "$name: screenshot bytes" "$(stat -c %s "$W/$name.png")" 20000
}

check_page debian "docker-daemon:$DEBIAN_BASE"
check_page example "$E2E_SRC/examples/app.tar" --dockerfile "$E2E_SRC/examples/Dockerfile"

# The fleet page of the two, the example twice: its archive and the OCI layout
# skopeo copied it to, with a config skopeo rewrote (another image ID, so two
# images that share every layer; the same image ID would be counted once).
step "html: fleet"
fleet=(fleet "docker-daemon:$DEBIAN_BASE" "$E2E_SRC/examples/app.tar" "oci:$W/app-layout:1")
skopeo --insecure-policy copy -q "docker-archive:$E2E_SRC/examples/app.tar" "oci:$W/app-layout:1"
"$WHITTLE" "${fleet[@]}" --format json >"$W/fleet.json"
"$WHITTLE" "${fleet[@]}" --format html -o "$W/fleet.html"
chrome --dump-dom "file://$W/fleet.html" >"$W/fleet.dom.html"
for key in size_bytes footprint_bytes shared_saving_bytes; do
	text="$(commas "$(jq ".$key" "$W/fleet.json")") bytes"
	check_eq "fleet: the page shows $key ($text)" found "$(grep -q -F "$text" "$W/fleet.dom.html" && echo found || echo missing)"
done
check_eq "fleet: the example's layout shares all with its archive" "$(jq '.images[1].size_bytes' "$W/fleet.json")" "$(jq '.shared_saving_bytes' "$W/fleet.json")"
check_eq "fleet: no script, no fetched resource" 0 "$(grep -c -E '<script|<link|<img|src=|url\(' "$W/fleet.dom.html" || true)"
chrome --screenshot="$W/fleet.png" --window-size=1400,1400 "file://$W/fleet.html" >/dev/null
check_gt "fleet: screenshot bytes" "$(stat -c %s "$W/fleet.png")" 20000

check_done

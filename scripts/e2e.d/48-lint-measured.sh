#!/usr/bin/env bash
# New lint rules against real builds: what `whittle analyze --dockerfile`
# says a finding costs equals, within 5%, what the image loses when it is
# rebuilt without the waste.
#
#   build-tree (WH606): a RUN extracts a source tree, builds and installs
#     from it, and keeps it; the clean variant removes it in the same RUN.
#   context-git (WH108): COPY . copies a context whose .git directory no
#     .dockerignore excludes; the clean variant has a .dockerignore.
#   clone-history (WH607): a RUN clones a repository (from a bundle in the
#     context) and keeps its .git; the clean variant removes it in the
#     same RUN.
#   build-packages (WH107): build-essential installed for a make and never
#     removed; the clean variants build in a separate stage and copy the
#     program out, or install, build and purge (--auto-remove, with
#     APT::AutoRemove::SuggestsImportant=false: by default apt keeps what
#     an installed package suggests, and apt suggests dpkg-dev, which keeps
#     gcc) in one RUN. The packages the cost counts are also checked
#     against those apt itself would take out with build-essential
#     (apt-get -s purge --auto-remove, same option, in the naive image). Only on the Debian base: the
#     busybox base has no package manager (no apk), so there is no apk case
#     here; pkg/measure's tests hold one on a synthetic apk database.
#
# Each case builds both images on the local Debian base, runs a functional
# check on both, reads the finding's cost from analyze's JSON and checks it
# against the difference of the two images' sizes (docker image inspect).
# Environment: see scripts/e2e.sh.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$E2E_LIB/common.sh"
# shellcheck source=../lib/assert.sh
. "$E2E_LIB/assert.sh"
# shellcheck source=../lib/images.sh
. "$E2E_LIB/images.sh"

: "${WHITTLE:?}" "${E2E_WORK:?}" "${DEBIAN_BASE:?}"
W=$E2E_WORK

size() { docker image inspect -f '{{.Size}}' "$1"; }

# within5 NAME COST DIFF: COST is within 5% of DIFF.
within5() {
	local name=$1 cost=$2 diff=$3
	if [[ $cost =~ ^[0-9]+$ && $diff =~ ^[0-9]+$ ]] && [ "$diff" -gt 0 ] &&
		awk -v c="$cost" -v d="$diff" 'BEGIN { r = c / d; exit !(r >= 0.95 && r <= 1.05) }'; then
		_check_ok "$name: measured cost $cost is within 5% of the size difference $diff"
	else
		_check_fail "$name: measured cost $cost, size difference $diff (want within 5%)"
	fi
}

# cost NAME RULE IMAGE DOCKERFILE: the finding's cost_bytes from analyze.
cost() {
	local name=$1 rule=$2 img=$3 df=$4 json=$W/$1.json
	"$WHITTLE" analyze --format json --dockerfile "$df" "docker-daemon:$img" >"$json"
	jq -r --arg r "$rule" '[.dockerfile.findings[] | select(.rule == $r and .measured) | .cost_bytes] | add // "none"' "$json"
}

# ---------------------------------------------------------------- build-tree

step "build-tree (WH606)"
ctx=$W/build-tree
mkdir -p "$ctx/src/tool-1.0"
# A source tree whose build makes 6 MiB of objects and installs a script.
cat >"$ctx/src/tool-1.0/Makefile" <<'EOF'
all:
	head -c 6291456 /dev/urandom > tool.o
	printf '#!/bin/sh\necho build-tree-ok\n' > tool
install:
	install -m 755 tool /usr/local/bin/tool
EOF
head -c 1048576 /dev/urandom >"$ctx/src/tool-1.0/data.c"
tar -C "$ctx/src" -czf "$ctx/tool-1.0.tar.gz" tool-1.0
rm -rf "$ctx/src"
for variant in naive clean; do
	tail=""
	[ "$variant" = clean ] && tail=" && cd / && rm -rf /usr/src/tool-1.0"
	cat >"$ctx/Dockerfile.$variant" <<EOF
ARG BASE
FROM \$BASE
RUN apt-get update && apt-get install -y --no-install-recommends make && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY tool-1.0.tar.gz /tmp/
RUN mkdir -p /usr/src && tar -xzf /tmp/tool-1.0.tar.gz -C /usr/src && rm /tmp/tool-1.0.tar.gz && cd /usr/src/tool-1.0 && make && make install$tail
CMD ["tool"]
EOF
	check_cmd "build-tree: $variant builds" img_build "whittle-lint/build-tree:$variant" "$ctx" -f "$ctx/Dockerfile.$variant" --build-arg "BASE=$DEBIAN_BASE"
	out=$(docker run --rm --network none "whittle-lint/build-tree:$variant" 2>&1 || true)
	check_eq "build-tree: $variant works" build-tree-ok "$out"
done
set +e
"$WHITTLE" lint --rule WH606 "$ctx/Dockerfile.naive" >"$W/build-tree.lint"
rc=$?
set -e
check_eq "build-tree: lint reports WH606 on the naive file (exit)" 1 "$rc"
sed 's/^/    /' "$W/build-tree.lint" >&2
"$WHITTLE" lint --rule WH606 "$ctx/Dockerfile.clean" >"$W/build-tree-clean.lint" || true
check_eq "build-tree: lint is quiet on the clean file" 0 "$(grep -c WH606 "$W/build-tree-clean.lint" || true)"
c=$(cost build-tree WH606 whittle-lint/build-tree:naive "$ctx/Dockerfile.naive")
d=$(($(size whittle-lint/build-tree:naive) - $(size whittle-lint/build-tree:clean)))
within5 build-tree "$c" "$d"
printf '%-14s %12s %12s %12s\n' case naive clean measured >"$W/sizes.txt"
printf '%-14s %12s %12s %12s\n' build-tree "$(size whittle-lint/build-tree:naive)" "$(size whittle-lint/build-tree:clean)" "$c" >>"$W/sizes.txt"

# ------------------------------------------------------------ clone-history

step "clone-history (WH607)"
ctx=$W/clone-history
mkdir -p "$ctx"
# A repository with two revisions of a 2 MiB file (incompressible): its
# .git holds both, the checkout one. Cloned from a bundle in the context,
# so that the build needs no network for it.
repo=$W/clone-history-repo
git init -q "$repo"
printf '#!/bin/sh\necho clone-history-ok\n' >"$repo/run.sh"
chmod 755 "$repo/run.sh"
for rev in 1 2; do
	head -c 2097152 /dev/urandom >"$repo/data.bin"
	git -C "$repo" add -A
	git -C "$repo" -c user.name=e2e -c user.email=e2e@example.com commit -q -m "revision $rev"
done
git -C "$repo" bundle create -q "$ctx/repo.bundle" --all
for variant in naive clean; do
	tail=""
	[ "$variant" = clean ] && tail=" && rm -rf /app/.git"
	cat >"$ctx/Dockerfile.$variant" <<EOF
ARG BASE
FROM \$BASE
RUN apt-get update && apt-get install -y --no-install-recommends git && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY repo.bundle /src/repo.bundle
RUN git clone -q /src/repo.bundle /app$tail
CMD ["/app/run.sh"]
EOF
	check_cmd "clone-history: $variant builds" img_build "whittle-lint/clone-history:$variant" "$ctx" -f "$ctx/Dockerfile.$variant" --build-arg "BASE=$DEBIAN_BASE"
	out=$(docker run --rm --network none "whittle-lint/clone-history:$variant" 2>&1 || true)
	check_eq "clone-history: $variant works" clone-history-ok "$out"
done
set +e
"$WHITTLE" lint --rule WH607 "$ctx/Dockerfile.naive" >"$W/clone-history.lint"
rc=$?
set -e
check_eq "clone-history: lint reports WH607 on the naive file (exit)" 1 "$rc"
sed 's/^/    /' "$W/clone-history.lint" >&2
"$WHITTLE" lint --rule WH607 "$ctx/Dockerfile.clean" >"$W/clone-history-clean.lint" || true
check_eq "clone-history: lint is quiet on the clean file" 0 "$(grep -c WH607 "$W/clone-history-clean.lint" || true)"
c=$(cost clone-history WH607 whittle-lint/clone-history:naive "$ctx/Dockerfile.naive")
d=$(($(size whittle-lint/clone-history:naive) - $(size whittle-lint/clone-history:clean)))
within5 clone-history "$c" "$d"
printf '%-14s %12s %12s %12s\n' clone-history "$(size whittle-lint/clone-history:naive)" "$(size whittle-lint/clone-history:clean)" "$c" >>"$W/sizes.txt"

# --------------------------------------------------------------- context-git

step "context-git (WH108)"
ctx=$W/context-git
mkdir -p "$ctx/.git/objects/pack"
echo 'ref: refs/heads/main' >"$ctx/.git/HEAD"
head -c 8388608 /dev/urandom >"$ctx/.git/objects/pack/pack-1.pack"
printf '#!/bin/sh\necho context-git-ok\n' >"$ctx/app.sh"
chmod 755 "$ctx/app.sh"
cat >"$ctx/Dockerfile" <<'EOF'
ARG BASE
FROM $BASE
WORKDIR /app
COPY . .
CMD ["/app/app.sh"]
EOF
check_cmd "context-git: naive builds" img_build whittle-lint/context-git:naive "$ctx" --build-arg "BASE=$DEBIAN_BASE"
set +e
"$WHITTLE" lint --rule WH108 "$ctx/Dockerfile" >"$W/context-git.lint"
rc=$?
set -e
check_eq "context-git: lint reports WH108 (exit)" 1 "$rc"
sed 's/^/    /' "$W/context-git.lint" >&2
c=$(cost context-git WH108 whittle-lint/context-git:naive "$ctx/Dockerfile")
printf '.git\n' >"$ctx/.dockerignore"
check_cmd "context-git: clean builds" img_build whittle-lint/context-git:clean "$ctx" --build-arg "BASE=$DEBIAN_BASE"
"$WHITTLE" lint --rule WH108 "$ctx/Dockerfile" >"$W/context-git-clean.lint" || true
check_eq "context-git: lint is quiet with the .dockerignore" 0 "$(grep -c WH108 "$W/context-git-clean.lint" || true)"
for variant in naive clean; do
	out=$(docker run --rm --network none "whittle-lint/context-git:$variant" 2>&1 || true)
	check_eq "context-git: $variant works" context-git-ok "$out"
done
d=$(($(size whittle-lint/context-git:naive) - $(size whittle-lint/context-git:clean)))
within5 context-git "$c" "$d"
printf '%-14s %12s %12s %12s\n' context-git "$(size whittle-lint/context-git:naive)" "$(size whittle-lint/context-git:clean)" "$c" >>"$W/sizes.txt"

# ------------------------------------------------------------ build-packages

step "build-packages (WH107)"
ctx=$W/build-packages
mkdir -p "$ctx/src"
cat >"$ctx/src/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("build-packages-ok"); return 0; }
EOF
cat >"$ctx/src/Makefile" <<'EOF'
hello: hello.c
	cc -O2 -o hello hello.c
install: hello
	install -m 755 hello /usr/local/bin/hello
EOF
install_be='apt-get update && apt-get install -y --no-install-recommends build-essential && apt-get clean && rm -rf /var/lib/apt/lists/*'
cat >"$ctx/Dockerfile.naive" <<EOF
ARG BASE
FROM \$BASE
RUN $install_be
COPY src /src
RUN make -C /src install
CMD ["hello"]
EOF
cat >"$ctx/Dockerfile.stage" <<EOF
ARG BASE
FROM \$BASE AS build
RUN $install_be
COPY src /src
RUN make -C /src install
FROM \$BASE
COPY --from=build /usr/local/bin/hello /usr/local/bin/hello
CMD ["hello"]
EOF
cat >"$ctx/Dockerfile.onerun" <<EOF
ARG BASE
FROM \$BASE
COPY src /src
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && make -C /src install && apt-get purge -y --auto-remove -o APT::AutoRemove::SuggestsImportant=false build-essential && apt-get clean && rm -rf /var/lib/apt/lists/*
CMD ["hello"]
EOF
for variant in naive stage onerun; do
	check_cmd "build-packages: $variant builds" img_build "whittle-lint/build-packages:$variant" "$ctx" -f "$ctx/Dockerfile.$variant" --build-arg "BASE=$DEBIAN_BASE"
	out=$(docker run --rm --network none "whittle-lint/build-packages:$variant" 2>&1 || true)
	check_eq "build-packages: $variant works" build-packages-ok "$out"
done
set +e
"$WHITTLE" lint --rule WH107 "$ctx/Dockerfile.naive" >"$W/build-packages.lint"
rc=$?
set -e
check_eq "build-packages: lint reports WH107 on the naive file (exit)" 1 "$rc"
sed 's/^/    /' "$W/build-packages.lint" >&2
for variant in stage onerun; do
	"$WHITTLE" lint --rule WH107 "$ctx/Dockerfile.$variant" >"$W/build-packages-$variant.lint" || true
	check_eq "build-packages: lint is quiet on the $variant file" 0 "$(grep -c WH107 "$W/build-packages-$variant.lint" || true)"
done
c=$(cost build-packages WH107 whittle-lint/build-packages:naive "$ctx/Dockerfile.naive")
jq -r '.dockerfile.findings[] | select(.rule == "WH107") | "    basis: \(.basis)"' "$W/build-packages.json" >&2
# The packages counted are the ones apt itself would purge with
# build-essential (simulated in the naive image) when what an installed
# package merely suggests does not hold a package back (apt suggests
# dpkg-dev, which brings gcc: by default a purge keeps nearly all).
jq -r '.dockerfile.findings[] | select(.rule == "WH107") | .cost_packages[]? | .name' "$W/build-packages.json" | sort >"$W/build-packages.counted"
purged() {
	docker run --rm --network none whittle-lint/build-packages:naive apt-get -s "$@" purge --auto-remove build-essential |
		awk '$1 == "Purg" { sub(/:.*/, "", $2); print $2 }' | sort
}
purged -o APT::AutoRemove::SuggestsImportant=false >"$W/build-packages.apt"
check_cmd "build-packages: the packages counted are those apt-get purge --auto-remove build-essential takes ($(wc -l <"$W/build-packages.apt") packages)" \
	diff "$W/build-packages.apt" "$W/build-packages.counted"
printf '    apt-get purge --auto-remove build-essential with apt'"'"'s defaults: %s packages\n' "$(purged | wc -l)" >&2
for variant in stage onerun; do
	d=$(($(size whittle-lint/build-packages:naive) - $(size "whittle-lint/build-packages:$variant")))
	within5 "build-packages ($variant)" "$c" "$d"
	printf '%-14s %12s %12s %12s\n' "bp-$variant" "$(size whittle-lint/build-packages:naive)" "$(size "whittle-lint/build-packages:$variant")" "$c" >>"$W/sizes.txt"
done

step "lint-measured: image sizes and measured costs (bytes)"
cat "$W/sizes.txt" >&2
check_done

# shellcheck shell=bash
# The local Debian base of the end-to-end tier and the real-image benchmark:
# a debootstrap minbase of bookworm, made once and cached as a tar (no
# registry involved). Source common.sh first.

# debian_base_tar CACHE_DIR MIRROR WORK_DIR LOG: set DEBIAN_BASE_TAR to the
# cached debootstrap minbase tar in CACHE_DIR, made if missing (from MIRROR,
# in WORK_DIR, debootstrap's output appended to LOG). The cache is shared by
# concurrent runs: one makes it under a lock, others wait.
debian_base_tar() {
	local cache=$1 mirror=$2 work=$3 dlog=$4 arch
	arch=$(dpkg --print-architecture)
	DEBIAN_BASE_TAR=$cache/debian-bookworm-minbase-$arch.tar
	mkdir -p "$cache"
	(
		flock -w 1200 9 || die "waiting for the lock on $cache"
		if [ -s "$DEBIAN_BASE_TAR" ] && tar -tf "$DEBIAN_BASE_TAR" ./etc/debian_version >/dev/null 2>&1; then
			log "reusing $DEBIAN_BASE_TAR"
			exit 0
		fi
		local rootfs=$work/debian-rootfs tmp=$DEBIAN_BASE_TAR.tmp.$$
		log "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
		local try rc
		for try in 1 2; do
			rc=0
			timeout 1200 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" \
				>>"$dlog" 2>&1 || rc=$?
			[ ! -d "$rootfs" ] || umount_under "$rootfs"
			[ "$rc" -ne 0 ] || break
			tail -n 40 "$dlog" >&2
			[ "$try" -lt 2 ] || die "debootstrap failed (exit $rc)"
			warn "debootstrap failed (exit $rc); trying again"
			rm -rf "$rootfs"
		done
		tar -C "$rootfs" --numeric-owner --sort=name -cf "$tmp" .
		mv "$tmp" "$DEBIAN_BASE_TAR"
		rm -rf "$rootfs"
		log "cached $DEBIAN_BASE_TAR ($(stat -c %s "$DEBIAN_BASE_TAR") bytes)"
	) 9>"$cache/.lock"
}

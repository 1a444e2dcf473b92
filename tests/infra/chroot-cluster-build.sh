#!/usr/bin/env bash
# Builds the root filesystem of one modern cluster (see chroot-lib.sh) with debootstrap, once:
#   tests/infra/chroot-cluster-build.sh autolab2411
# The result is kept under $AUTOLAB_TESTBED_DIR/clusters/NAME/root and reused by every later
# bring-up (a second call returns at once). A cold build downloads about 150 MB from the Debian
# mirror apt already uses and takes about 2 minutes; up.sh builds both clusters in parallel while
# it brings up the host's cluster.
#
# The build happens in root.build and is renamed to root only when it succeeded, so an
# interrupted build is never mistaken for a finished one; the next call starts it over.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=chroot-lib.sh
. "$SCRIPT_DIR/chroot-lib.sh"

chroot_script_start "$@"

MARKER=.autolab-rootfs
[ -f "$CL_ROOT/$MARKER" ] && exit 0

mkdir -p "$CL_DIR"
# Two bring-ups at once (two worktrees, or up.sh beside a hand call) build only once.
exec 9>"$CL_DIR/build.lock"
flock 9
[ -f "$CL_ROOT/$MARKER" ] && exit 0
[ -e "$CL_ROOT" ] && die "$CL_ROOT exists but is no finished build (no $MARKER): delete it (after chroot-cluster-down.sh $CL_NAME) and run again"
command -v debootstrap >/dev/null || die "debootstrap is not installed: run tests/infra/install-deps.sh"
mirror=$(debian_mirror) \
    || die "no Debian mirror found in apt's sources (/etc/apt/sources.list, /etc/apt/sources.list.d): set AUTOLAB_DEBIAN_MIRROR to one"

BUILD=$CL_DIR/root.build
# discard_build: removes an unfinished build. A debootstrap killed half-way may leave /proc or
# /sys mounted inside it: unmount those first, and never let rm cross into another file system.
discard_build() {
    local m
    [ -e "$BUILD" ] || return 0
    for m in $(awk -v p="$BUILD/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount "$m" || die "cannot unmount $m inside the unfinished build $BUILD: remove it by hand"
    done
    rm -rf --one-file-system "$BUILD"
}
discard_build

log "building the $CL_SUITE root filesystem (debootstrap; log: $CL_DIR/debootstrap.log)"
t0=$SECONDS
includes=$(
    IFS=,
    printf '%s' "${CHROOT_PACKAGES[*]}"
)
# minbase: essential packages plus apt; the Slurm daemons' postinst scripts cannot start them
# (debootstrap disables start-stop-daemon and invoke-rc.d while it installs).
if ! debootstrap --variant=minbase --include="$includes" "$CL_SUITE" "$BUILD" "$mirror" \
    >"$CL_DIR/debootstrap.log" 2>&1; then
    tail -n 30 "$CL_DIR/debootstrap.log" >&2
    discard_build
    die "debootstrap of $CL_SUITE failed (full log: $CL_DIR/debootstrap.log)"
fi
printf 'suite=%s\nbuilt=%s\n' "$CL_SUITE" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$BUILD/$MARKER"
mv "$BUILD" "$CL_ROOT"
log "root filesystem ready in $((SECONDS - t0)) s: $CL_ROOT"

#!/usr/bin/env bash
# Stops everything up.sh started: the modern clusters in their chroots (and unmounts their /proc,
# /sys, /dev/pts), the host's sshd, then the host's Slurm stack. Keys, accounting data, Slurm state
# and the cached root filesystems stay in $AUTOLAB_TESTBED_DIR so the next up.sh is quick; for a
# clean slate delete that directory after this script (never while a chroot is still mounted).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=chroot-lib.sh
. "$SCRIPT_DIR/chroot-lib.sh"

# Every part runs even if an earlier one fails: a half-stopped test bed is the worst outcome. The
# chroot clusters first (their slurmdbd writes into the host's MariaDB) and in parallel; every
# cluster that has a root filesystem is stopped, whatever AUTOLAB_CHROOT_CLUSTERS says now.
rc=0
pids=()
for d in "$AUTOLAB_TESTBED_DIR"/clusters/*/root; do
    [ -d "$d" ] || continue
    c=${d%/root}
    "$SCRIPT_DIR/chroot-cluster-down.sh" "${c##*/}" &
    pids+=("$!")
done
for p in "${pids[@]}"; do
    wait "$p" || rc=1
done
"$SCRIPT_DIR/sshd-down.sh" || rc=$?
"$SCRIPT_DIR/slurm-down.sh" || rc=$?
exit "$rc"

#!/usr/bin/env bash
# Stops one modern cluster (see chroot-lib.sh), each daemon by its pid file inside the chroot, then
# ends what is left running in the chroot (job steps of test jobs) and unmounts its /proc, /sys and
# /dev/pts, so that the testbed directory can be deleted safely afterwards.
#   tests/infra/chroot-cluster-down.sh autolab2411
# The root filesystem, accounting data and Slurm state stay: the next bring-up reuses them.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=chroot-lib.sh
. "$SCRIPT_DIR/chroot-lib.sh"

chroot_script_start "$@"
[ -d "$CL_ROOT" ] || exit 0

H=$CL_HSTATE
# Same order as slurm-down.sh: login node; slurmd and slurmctld (which flushes its accounting
# records to slurmdbd, still up); slurmdbd; munge.
stop_by_pidfile "$H/ssh/sshd.pid" sshd 10 &
stop_by_pidfile "$H/slurm/slurmd.pid" slurmd 30 &
stop_by_pidfile "$H/slurm/slurmctld.pid" slurmctld 60 &
wait
stop_by_pidfile "$H/slurm/slurmdbd.pid" slurmdbd 30
stop_by_pidfile "$H/munge/munged.pid" munged 10

# in_chroot_pids: every process whose root is this chroot (ssh sessions, slurmstepd and the jobs
# it ran). They would keep the mounts busy.
# One find instead of a readlink per process (hundreds of them while tests run: seconds). find
# fails on processes that end while it reads /proc: that is no error here.
in_chroot_pids() {
    { find /proc -mindepth 2 -maxdepth 2 -name root -lname "$CL_ROOT" 2>/dev/null || true; } \
        | sed -n 's#^/proc/\([0-9]*\)/root$#\1#p'
}
left=$(in_chroot_pids)
if [ -n "$left" ]; then
    log "ending processes left in the chroot: $(tr '\n' ' ' <<<"$left")"
    # shellcheck disable=SC2086 # one pid per word
    kill -TERM $left 2>/dev/null || true
    # slurmstepd ignores SIGTERM: what is left after 3 s is killed.
    deadline=$((SECONDS + 3))
    while [ -n "$(in_chroot_pids)" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    left=$(in_chroot_pids)
    # shellcheck disable=SC2086
    [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
    sleep 0.2
fi

rc=0
for m in dev/pts sys proc; do
    if mountpoint -q "$CL_ROOT/$m"; then
        umount "$CL_ROOT/$m" || {
            log "cannot unmount $CL_ROOT/$m (still in use?); do not delete $CL_ROOT before it is unmounted"
            rc=1
        }
    fi
done
log "cluster '$CL_NAME' stopped"
exit "$rc"

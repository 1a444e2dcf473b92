#!/usr/bin/env bash
# Stops the testbed's Slurm cluster in reverse start order, each daemon by its pid file, and waits
# until every process has really exited (the next bring-up needs the ports and pid files free).
# Daemons this testbed did not start are left alone.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_root

DIR=$AUTOLAB_TESTBED_DIR
# Stages, each waited for before the next: (1) slurmd and slurmctld together (slurmctld gets more
# time: on SIGTERM it writes its job state to StateSaveLocation and flushes pending accounting
# records to slurmdbd, which must still be up); (2) slurmdbd, which still needs its database;
# (3) MariaDB and munge together. Running a stage's stops in parallel saves several seconds: munged
# alone takes about 2 s to exit.
for f in "$DIR"/slurm/slurmd-*.pid; do # one per node (slurmd-<node>.pid)
    [ -e "$f" ] && stop_by_pidfile "$f" slurmd 30 &
done
stop_by_pidfile "$DIR/slurm/slurmctld.pid" slurmctld 60 &
wait
stop_by_pidfile "$DIR/slurm/slurmdbd.pid" slurmdbd 30
stop_by_pidfile "$DIR/mariadb/mariadbd.pid" mariadbd 60 &
stop_by_pidfile "$DIR/munge/munged.pid" munged 10 &
wait

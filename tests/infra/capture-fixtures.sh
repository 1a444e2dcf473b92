#!/usr/bin/env bash
# Re-captures the real sacct/squeue fixtures under tests/Autolab.Slurm.Core.Tests/Fixtures from a
# running test cluster. A developer tool, not part of CI: it takes about 3 minutes (a TIMEOUT job
# needs ~90 s and a requeued job waits ~120 s before it runs again), briefly stops slurmctld and
# slurmdbd to record their failure output (do not run it while other tests use the cluster), and
# cancels the jobs it submitted at the end.
#
#   tests/infra/capture-fixtures.sh [CLUSTER]
#
# Without CLUSTER (or with 'autolab'): the host's 22.05 cluster, as root, into Fixtures/sacct,
# Fixtures/squeue, Fixtures/scontrol and Fixtures/jobs.txt. Run it on a fresh cluster with at least
# two nodes (het jobs cannot start on one node):
#   AUTOLAB_SLURM_NODES=3 tests/infra/up.sh && tests/infra/capture-fixtures.sh
# With a modern cluster's name (autolab2411, autolab2605; see chroot-lib.sh): that cluster, its
# commands run as its non-root user inside the chroot (admin steps - suspend, requeue - as root
# there), into a folder per Slurm release, Fixtures/{sacct,squeue,scontrol}/vMAJOR.MINOR/ and
# Fixtures/jobs-vMAJOR.MINOR.txt. These clusters have one node: no het job is submitted. The
# host's cluster is not touched; two modern clusters can be captured at the same time.
# Each fixture is NAME.txt (exact stdout bytes), NAME.cmd (command line, capture date, exit code)
# and, when the command wrote any, NAME.stderr.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=chroot-lib.sh
. "$SCRIPT_DIR/chroot-lib.sh"

require_root
FIX=$(cd -- "$SCRIPT_DIR/../Autolab.Slurm.Core.Tests" && pwd)/Fixtures
CLUSTER=${1:-autolab}
if [ "$CLUSTER" = autolab ]; then
    # The host's cluster: commands run here, as root.
    USER_CMD=()
    ADMIN_CMD=()
    SLURM_CONF=/etc/slurm/slurm.conf
    SLURM_STATE=$AUTOLAB_TESTBED_DIR/slurm
    VDIR=""
    JOBS_FILE=$FIX/jobs.txt
    # slurm-up.sh is called again below (after stopping daemons on purpose); it must keep the node
    # count the cluster has now, or it would reconfigure (and kill jobs on removed nodes).
    AUTOLAB_SLURM_NODES=$(grep -c '^NodeName=' "$SLURM_CONF")
    export AUTOLAB_SLURM_NODES
    [ "$AUTOLAB_SLURM_NODES" -ge 2 ] || die "het jobs need at least 2 nodes: AUTOLAB_SLURM_NODES=3 tests/infra/up.sh"
    restart_cluster() { "$SCRIPT_DIR/slurm-up.sh"; }
    cd /tmp # job output files (slurm-N.out) land in the submit directory
else
    cluster_def "$CLUSTER"
    AUTOLAB_LOG_TAG=$CL_NAME
    [ -f "$CL_DIR/cluster.json" ] || die "cluster $CL_NAME is not up: run tests/infra/up.sh (or chroot-cluster-up.sh $CL_NAME)"
    # As the cluster's user, in its home (where job output files land).
    USER_CMD=("${CL_EXEC[@]}")
    ADMIN_CMD=(chroot "$CL_ROOT")
    SLURM_CONF=$CL_ROOT/etc/slurm/slurm.conf
    SLURM_STATE=$CL_HSTATE/slurm
    version=$("${USER_CMD[@]}" sinfo --version)
    version=${version#slurm* }
    [[ $version =~ ^([0-9]+\.[0-9]+) ]] || die "cannot read the Slurm version of $CL_NAME: '$version'"
    VDIR=/v${BASH_REMATCH[1]}
    JOBS_FILE=$FIX/jobs-v${BASH_REMATCH[1]}.txt
    restart_cluster() { "$SCRIPT_DIR/chroot-cluster-up.sh" "$CL_NAME"; }
fi
NODES=$(grep -c '^NodeName=' "$SLURM_CONF")
CLUSTER_NAME=$(sed -n 's/^ClusterName=//p' "$SLURM_CONF")
mkdir -p "$FIX/sacct$VDIR" "$FIX/squeue$VDIR" "$FIX/scontrol$VDIR"
# Only the files this script writes; other fixtures in these folders are hand-made.
rm -f "$FIX/sacct$VDIR"/real-* "$FIX/squeue$VDIR"/real-* "$FIX/scontrol$VDIR"/real-*

# Slurm commands: as the cluster's user (u) or its administrator (a). On the host both are root.
u() { "${USER_CMD[@]}" "$@"; }
a() { "${ADMIN_CMD[@]}" "$@"; }
# The exact field lists the C# parser uses (see the report in Fixtures/README.md).
SACCT_FIELDS=JobID,JobIDRaw,JobName,State,ExitCode,DerivedExitCode,Reason,Submit,Start,End,Elapsed,NodeList,Partition,Cluster
SQUEUE_FIELDS='JobArrayID:|,JobID:|,State:|,Reason:|,RestartCnt:|,SubmitTime:|,StartTime:|,EndTime:|,TimeUsed:|,NodeList:|,Partition:|,HetJobID:|,HetJobOffset:|,ArrayJobID:|,ArrayTaskID:|,exit_code:|,Cluster:|,Name:|'
WINDOW=now-86400seconds

# shell_quote ARGS...: prints the arguments as one readable, copy-pasteable shell command line:
# plain words stay bare, anything else is single-quoted (printf %q would backslash every comma).
shell_quote() {
    local a out=""
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
            out+=" $a"
        else
            out+=" '${a//\'/\'\\\'\'}'"
        fi
    done
    printf '%s\n' "${out# }"
}

# capture NAME CMD...: runs CMD, stores stdout/stderr/exit code/command line as a fixture.
# The command runs as the cluster's user (u); the .cmd file shows it without that prefix.
# NAME is KIND/real-...; the file goes to KIND$VDIR/real-... (the version folder, if any).
capture() {
    local name=$1 rc=0 t0 path
    shift
    path=$FIX/${name%%/*}$VDIR/${name#*/}
    t0=$(date +%s%N)
    u "$@" >"$path.txt" 2>"$path.stderr" || rc=$?
    t0=$((($(date +%s%N) - t0) / 1000000))
    [ -s "$path.stderr" ] || rm -f "$path.stderr"
    {
        shell_quote "$@"
        printf '\n# captured: %s\n# exit code: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$rc"
        printf '# took: %s ms\n' "$t0"
        printf '# slurm: %s, nodes: %s\n' "$(u sinfo -V 2>/dev/null || echo '?')" "$NODES"
        if [ "${#USER_CMD[@]}" -gt 0 ]; then
            printf '# as: %s (uid %s) on cluster %s\n' "$ALAB_USER" "$ALAB_UID" "$CLUSTER_NAME"
        fi
    } >"$path.cmd"
    log "captured ${name%%/*}$VDIR/${name#*/} (exit $rc, $(wc -l <"$path.txt") lines)"
}
sb() { u sbatch --parsable --time=2 -c 1 "$@"; }
state_of() { u squeue -h -t all -j "$1" -o %T 2>/dev/null | head -n 1 || true; }
wait_state() { # id state timeout
    for _ in $(seq 1 $(($3 * 10))); do
        [ "$(state_of "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    die "job $1 did not reach $2 within $3 s (now $(state_of "$1"))"
}

# ---- jobs -------------------------------------------------------------------------------------
tmo=$(sb --time=0:01 -J tmo --wrap 'sleep 300')
ok=$(sb -J ok --wrap 'true')
# Right after submission accounting may not know the job yet (or shows a placeholder row).
n=0
prev="<none>"
for _ in $(seq 1 60); do
    out=$(env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations --starttime "$WINDOW" \
        --format="$SACCT_FIELDS" --jobs "$ok" 2>&1 || true)
    if [ "$out" != "$prev" ]; then
        n=$((n + 1))
        capture "sacct/real-just-submitted-$n" env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader \
            --allocations --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ok"
        prev=$out
    fi
    sleep 0.05
done
bad=$(sb -J bad --wrap 'exit 3')
# One node: the het job would never start (see above); none is submitted.
het=""
if [ "$NODES" -ge 2 ]; then
    het=$(u sbatch --parsable -J het -c 1 --time=2 --wrap 'sleep 20' : -c 1 --time=2 --wrap 'sleep 20')
fi
arr=$(sb -J arr --array=0-5%2 --wrap 'sleep 8')
cnl=$(sb -J cnl --wrap 'sleep 300')
wait_state "$cnl" RUNNING 20
u scancel "$cnl"
# 22.05 takes a deadline before the time limit ends and lets the job end DEADLINE unstarted; 24.11
# and later refuse it at submission ("Requested time limit is invalid"): there the job is held and
# its deadline, past its one-minute limit, ends it DEADLINE after about 70 s.
dl=$(u sbatch --parsable -c 1 --time=10 --deadline=now+5seconds -J dl --wrap 'sleep 60' 2>/dev/null) \
    || dl=$(u sbatch --parsable -c 1 --time=1 --deadline=now+70seconds --hold -J dl --wrap 'sleep 60')
rq=$(sb -J rq --wrap 'sleep 300')
wait_state "$rq" RUNNING 20
a scontrol requeue "$rq"
rqh=$(sb -J rqh --wrap 'sleep 300')
wait_state "$rqh" RUNNING 20
a scontrol requeuehold "$rqh"
run=$(sb -J run --wrap 'sleep 300')
sus=$(sb -J sus --wrap 'sleep 300')
wait_state "$sus" RUNNING 20
a scontrol suspend "$sus"
hld=$(sb -J hld --hold --wrap 'true')
# A held array is never split into tasks: sacct prints it as one row N_[0-2], squeue -r per task.
harr=$(sb -J harr --hold --array=0-2 --wrap 'true')
pipe=$(sb -J 'name|with|pipes' --wrap 'true')
ids="$tmo,$ok,$bad,${het:+$het,}$arr,$cnl,$dl,$rq,$rqh,$run,$sus,$hld,$harr"
# Which job is which (name=id), for the fixture README and tests.
printf 'tmo=%s\nok=%s\nbad=%s\nhet=%s\narr=%s\ncnl=%s\ndl=%s\nrq=%s\nrqh=%s\nrun=%s\nsus=%s\nhld=%s\nharr=%s\npipe=%s\n' \
    "$tmo" "$ok" "$bad" "$het" "$arr" "$cnl" "$dl" "$rq" "$rqh" "$run" "$sus" "$hld" "$harr" "$pipe" \
    | tee "$JOBS_FILE" | tr '\n' ' ' >&2
echo >&2

# Modern releases only (their folders are new, so the 22.05 set stays as it was): the field lists
# the installed sacct and squeue know, and sacct snapshots with Restarts where sacct has it.
HAS_RESTARTS=0
if [ -n "$VDIR" ]; then
    capture sacct/real-helpformat sacct --helpformat
    capture squeue/real-helpformat squeue --helpformat
    if tr -s ' ' '\n' <"$FIX/sacct$VDIR/real-helpformat.txt" | grep -qx Restarts; then HAS_RESTARTS=1; fi
fi

snapshot() { # NAME-SUFFIX
    local s=$1
    if [ "$HAS_RESTARTS" -eq 1 ]; then
        capture "sacct/real-mixed-$s-restarts" env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader \
            --allocations --starttime "$WINDOW" --format="$SACCT_FIELDS,Restarts" --jobs "$ids"
    fi
    capture "squeue/real-mixed-$s" env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me \
        --Format="$SQUEUE_FIELDS"
    capture "sacct/real-mixed-$s" env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
        --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
    capture "sacct/real-mixed-$s-duplicates" env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader \
        --allocations --duplicates --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
}
sleep 4
snapshot 1
capture scontrol/real-requeued "scontrol" show job "$rq"
capture scontrol/real-requeue-hold "scontrol" show job "$rqh"
capture scontrol/real-suspended "scontrol" show job "$sus"
[ -z "$het" ] || capture scontrol/real-het "scontrol" show job "$het"
sleep 20
snapshot 2
capture sacct/real-pipe-in-name env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$pipe"
capture squeue/real-pipe-in-name env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me \
    --Format="$SQUEUE_FIELDS" --jobs "$pipe"
# Steps (no --allocations): what the parser must skip if it ever drops -X.
capture sacct/real-with-steps env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ok,$bad,${het:+$het,}$arr,$cnl"
# Default time format (no SLURM_TIME_FORMAT): local time without zone.
capture sacct/real-default-timeformat sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
capture squeue/real-default-timeformat squeue --noheader --array --states=all --me \
    --Format="$SQUEUE_FIELDS"

log "waiting for the TIMEOUT job $tmo"
for _ in $(seq 1 150); do
    [ "$(state_of "$tmo")" = TIMEOUT ] && break
    sleep 1
done
snapshot 3
log "waiting for the requeued job $rq to run again"
wait_state "$rq" RUNNING 150
sleep 2
snapshot 4
capture scontrol/real-requeued-running "scontrol" show job "$rq"

# ---- edge cases -------------------------------------------------------------------------------
capture sacct/real-unknown-id env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs 999999
capture squeue/real-unknown-id env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all \
    --Format="$SQUEUE_FIELDS" --jobs 999999
capture squeue/real-unknown-id-in-list env SLURM_TIME_FORMAT=%s squeue --noheader --array \
    --states=all --Format="$SQUEUE_FIELDS" --jobs "$run,999999"
capture squeue/real-unknown-user-filter env SLURM_TIME_FORMAT=%s squeue --noheader --array \
    --states=all --me --Format="$SQUEUE_FIELDS" --jobs 999999
capture sacct/real-malformed-ids env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "12abc,$ok"
capture sacct/real-malformed-ids-empty-item env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader \
    --allocations --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ok,,$bad"
capture sacct/real-malformed-ids-letters env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader \
    --allocations --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "abc,$ok"
capture sacct/real-malformed-ids-range env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader \
    --allocations --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "${arr}_[1-3]"
# An empty list is not "no jobs": sacct then reports every job in the window.
capture sacct/real-empty-id-list env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs ""
# Accepted id notations: array task, het component, raw id of a task/component.
capture sacct/real-id-notations env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "${arr}_2,${het:+${het}+1,$((het + 1)),}${harr}_1"
capture squeue/real-range-id-broken env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all \
    --Format="$SQUEUE_FIELDS" --jobs "${arr}_[1-3]"
capture sacct/real-invalid-field env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format=JobID,Restarts --jobs "$ok"
capture squeue/real-invalid-field env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all \
    --me --Format='JobArrayID:|,Bogus:|,State:|'
capture squeue/real-multicluster env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all \
    --me --clusters="$CLUSTER_NAME" --Format="$SQUEUE_FIELDS" --jobs "$run"
capture sacct/real-multicluster env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --clusters="$CLUSTER_NAME" --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$run"

# Controller down: squeue fails, sacct still answers from slurmdbd.
ctld_pid=$(pid_of "$SLURM_STATE/slurmctld.pid")
stop_by_pidfile "$SLURM_STATE/slurmctld.pid" slurmctld 60
capture squeue/real-controller-down env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all \
    --me --Format="$SQUEUE_FIELDS"
capture sacct/real-controller-down env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
log "slurmctld (was pid $ctld_pid) stopped for the capture; restarting"
restart_cluster

# Accounting daemon down: sacct fails.
stop_by_pidfile "$SLURM_STATE/slurmdbd.pid" slurmdbd 30
capture sacct/real-slurmdbd-down env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
restart_cluster

# ---- clean up ---------------------------------------------------------------------------------
u scancel "$run" "$sus" "$rq" "$rqh" "$hld" "$harr" || true
sleep 8
capture sacct/real-final env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
capture sacct/real-final-duplicates env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --duplicates --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
capture squeue/real-final env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me \
    --Format="$SQUEUE_FIELDS"
log "done: fixtures in $FIX"

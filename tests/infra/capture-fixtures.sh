#!/usr/bin/env bash
# Re-captures the real sacct/squeue fixtures under tests/Autolab.Slurm.Core.Tests/Fixtures from the
# running test cluster. A developer tool, not part of CI: it takes about 3 minutes (a TIMEOUT job
# needs ~90 s and a requeued job waits ~120 s before it runs again), briefly stops slurmctld and
# slurmdbd to record their failure output (do not run it while other tests use the cluster), and
# cancels the jobs it submitted at the end.
#
# Run it on a fresh cluster with at least two nodes (het jobs cannot start on one node):
#   AUTOLAB_SLURM_NODES=3 tests/infra/up.sh && tests/infra/capture-fixtures.sh
# Each fixture is NAME.txt (exact stdout bytes), NAME.cmd (command line, capture date, exit code)
# and, when the command wrote any, NAME.stderr.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_root
FIX=$(cd -- "$SCRIPT_DIR/../Autolab.Slurm.Core.Tests" && pwd)/Fixtures
mkdir -p "$FIX/sacct" "$FIX/squeue" "$FIX/scontrol"
# Only the files this script writes; other fixtures in these folders are hand-made.
rm -f "$FIX"/sacct/real-* "$FIX"/squeue/real-* "$FIX"/scontrol/real-*
# slurm-up.sh is called again below (after stopping daemons on purpose); it must keep the node
# count the cluster has now, or it would reconfigure (and kill jobs on removed nodes).
AUTOLAB_SLURM_NODES=$(grep -c '^NodeName=' /etc/slurm/slurm.conf)
export AUTOLAB_SLURM_NODES
[ "$AUTOLAB_SLURM_NODES" -ge 2 ] || die "het jobs need at least 2 nodes: AUTOLAB_SLURM_NODES=3 tests/infra/up.sh"
cd /tmp # job output files (slurm-N.out) land in the submit directory

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
capture() {
    local name=$1 rc=0 t0
    shift
    t0=$(date +%s%N)
    "$@" >"$FIX/$name.txt" 2>"$FIX/$name.stderr" || rc=$?
    t0=$((($(date +%s%N) - t0) / 1000000))
    [ -s "$FIX/$name.stderr" ] || rm -f "$FIX/$name.stderr"
    {
        shell_quote "$@"
        printf '\n# captured: %s\n# exit code: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$rc"
        printf '# took: %s ms\n' "$t0"
        printf '# slurm: %s, nodes: %s\n' "$(sinfo -V 2>/dev/null || echo '?')" "$(grep -c '^NodeName=' /etc/slurm/slurm.conf)"
    } >"$FIX/$name.cmd"
    log "captured $name (exit $rc, $(wc -l <"$FIX/$name.txt") lines)"
}
sb() { sbatch --parsable --time=2 -c 1 "$@"; }
state_of() { squeue -h -t all -j "$1" -o %T 2>/dev/null | head -n 1 || true; }
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
het=$(sbatch --parsable -J het -c 1 --time=2 --wrap 'sleep 20' : -c 1 --time=2 --wrap 'sleep 20')
arr=$(sb -J arr --array=0-5%2 --wrap 'sleep 8')
cnl=$(sb -J cnl --wrap 'sleep 300')
wait_state "$cnl" RUNNING 20
scancel "$cnl"
dl=$(sbatch --parsable -c 1 --time=10 --deadline=now+5seconds -J dl --wrap 'sleep 60')
rq=$(sb -J rq --wrap 'sleep 300')
wait_state "$rq" RUNNING 20
scontrol requeue "$rq"
rqh=$(sb -J rqh --wrap 'sleep 300')
wait_state "$rqh" RUNNING 20
scontrol requeuehold "$rqh"
run=$(sb -J run --wrap 'sleep 300')
sus=$(sb -J sus --wrap 'sleep 300')
wait_state "$sus" RUNNING 20
scontrol suspend "$sus"
hld=$(sb -J hld --hold --wrap 'true')
# A held array is never split into tasks: sacct prints it as one row N_[0-2], squeue -r per task.
harr=$(sb -J harr --hold --array=0-2 --wrap 'true')
pipe=$(sb -J 'name|with|pipes' --wrap 'true')
ids="$tmo,$ok,$bad,$het,$arr,$cnl,$dl,$rq,$rqh,$run,$sus,$hld,$harr"
# Which job is which (name=id), for the fixture README and tests.
printf 'tmo=%s\nok=%s\nbad=%s\nhet=%s\narr=%s\ncnl=%s\ndl=%s\nrq=%s\nrqh=%s\nrun=%s\nsus=%s\nhld=%s\nharr=%s\npipe=%s\n' \
    "$tmo" "$ok" "$bad" "$het" "$arr" "$cnl" "$dl" "$rq" "$rqh" "$run" "$sus" "$hld" "$harr" "$pipe" \
    | tee "$FIX/jobs.txt" | tr '\n' ' ' >&2
echo >&2

snapshot() { # NAME-SUFFIX
    local s=$1
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
capture scontrol/real-het "scontrol" show job "$het"
sleep 20
snapshot 2
capture sacct/real-pipe-in-name env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$pipe"
capture squeue/real-pipe-in-name env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me \
    --Format="$SQUEUE_FIELDS" --jobs "$pipe"
# Steps (no --allocations): what the parser must skip if it ever drops -X.
capture sacct/real-with-steps env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ok,$bad,$het,$arr,$cnl"
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
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "${arr}_2,${het}+1,$((het + 1)),${harr}_1"
capture squeue/real-range-id-broken env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all \
    --Format="$SQUEUE_FIELDS" --jobs "${arr}_[1-3]"
capture sacct/real-invalid-field env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format=JobID,Restarts --jobs "$ok"
capture squeue/real-invalid-field env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all \
    --me --Format='JobArrayID:|,Bogus:|,State:|'
capture squeue/real-multicluster env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all \
    --me --clusters=autolab --Format="$SQUEUE_FIELDS" --jobs "$run"
capture sacct/real-multicluster env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --clusters=autolab --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$run"

# Controller down: squeue fails, sacct still answers from slurmdbd.
ctld_pid=$(pid_of "$AUTOLAB_TESTBED_DIR/slurm/slurmctld.pid")
stop_by_pidfile "$AUTOLAB_TESTBED_DIR/slurm/slurmctld.pid" slurmctld 60
capture squeue/real-controller-down env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all \
    --me --Format="$SQUEUE_FIELDS"
capture sacct/real-controller-down env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
log "slurmctld (was pid $ctld_pid) stopped for the capture; restarting"
"$SCRIPT_DIR/slurm-up.sh"

# Accounting daemon down: sacct fails.
stop_by_pidfile "$AUTOLAB_TESTBED_DIR/slurm/slurmdbd.pid" slurmdbd 30
capture sacct/real-slurmdbd-down env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
"$SCRIPT_DIR/slurm-up.sh"

# ---- clean up ---------------------------------------------------------------------------------
scancel "$run" "$sus" "$rq" "$rqh" "$hld" "$harr" || true
sleep 8
capture sacct/real-final env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
capture sacct/real-final-duplicates env SLURM_TIME_FORMAT=%s sacct --parsable2 --noheader --allocations \
    --duplicates --starttime "$WINDOW" --format="$SACCT_FIELDS" --jobs "$ids"
capture squeue/real-final env SLURM_TIME_FORMAT=%s squeue --noheader --array --states=all --me \
    --Format="$SQUEUE_FIELDS"
log "done: fixtures in $FIX"

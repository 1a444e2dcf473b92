# shellcheck shell=bash
# Helpers shared by the testbed scripts in this folder. Sourced, never executed.
#
# Why a library: every script needs the same answers to "where is the testbed", "is the daemon
# behind this pid file really running" and "wait for X or fail with the log that explains why".
# Keeping them in one place keeps the scripts idempotent in the same way.

# One directory holds every runtime file of the testbed (state, spool, logs, pid files, keys), so
# a CI run can inspect or delete it as a whole. /var/tmp survives reboots on purpose: keys and
# known_hosts stay stable between sessions, which keeps a second bring-up fast.
AUTOLAB_TESTBED_DIR="${AUTOLAB_TESTBED_DIR:-/var/tmp/autolab-testbed}"
# Slurm and sshd refuse relative paths in their configs; make the directory absolute once here.
case "$AUTOLAB_TESTBED_DIR" in
    /*) ;;
    *) AUTOLAB_TESTBED_DIR="$PWD/$AUTOLAB_TESTBED_DIR" ;;
esac
export AUTOLAB_TESTBED_DIR
AUTOLAB_SSH_PORT="${AUTOLAB_SSH_PORT:-2222}"
export AUTOLAB_SSH_PORT

log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }

require_root() {
    # The daemons bind privileged state (munge key, /run, /etc/slurm): only root can set them up.
    [ "$(id -u)" -eq 0 ] || die "$(basename "$0") must run as root"
}

# proc_running PID COMM -> 0 when PID is a live (not zombie) process whose name is COMM.
# Checking the name (not just `kill -0`) matters after a killed run: a stale pid file may point at
# an unrelated process that got the same pid. Checking for zombies matters on machines whose PID 1
# is not a real init (containers, CI sandboxes): a killed daemon is reparented to PID 1 and may stay
# a zombie for a while, still listed in /proc under its old name.
proc_running() {
    local pid=$1 comm=$2 stat
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    # Field 3 is the state; the name in field 2 may contain spaces, so cut after its ')'.
    stat=${stat##*) }
    case "${stat%% *}" in
        Z | X | x) return 1 ;;
        *) return 0 ;;
    esac
}

# pid_alive PIDFILE COMM -> 0 when the file names a running process whose name is COMM.
pid_alive() {
    local pidfile=$1 comm=$2 pid
    [ -s "$pidfile" ] || return 1
    pid=$(tr -dc '0-9' <"$pidfile")
    [ -n "$pid" ] || return 1
    proc_running "$pid" "$comm"
}

# pid_of PIDFILE -> prints the pid stored in the file (digits only).
pid_of() { tr -dc '0-9' <"$1"; }

# wait_for SECONDS DESCRIPTION LOGFILE CMD... -> polls CMD every 0.1 s until it succeeds.
# On timeout it prints the tail of LOGFILE: the daemon's own log says why it did not come up,
# which is far more useful in a CI transcript than "timed out".
wait_for() {
    local timeout=$1 what=$2 logfile=$3
    shift 3
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            printf '[testbed] ERROR: timed out after %ss waiting for %s\n' "$timeout" "$what" >&2
            if [ -n "$logfile" ] && [ -f "$logfile" ]; then
                printf '[testbed] last lines of %s:\n' "$logfile" >&2
                tail -n 30 "$logfile" >&2
            fi
            return 1
        fi
        sleep 0.1
    done
}

# stop_by_pidfile PIDFILE COMM TIMEOUT -> SIGTERM, wait up to TIMEOUT s, then SIGKILL.
# The pid file is removed afterwards so that the next bring-up does not mistake it for a live one.
stop_by_pidfile() {
    local pidfile=$1 comm=$2 timeout=$3 pid deadline
    if ! pid_alive "$pidfile" "$comm"; then
        rm -f "$pidfile"
        return 0
    fi
    pid=$(pid_of "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + timeout))
    while proc_running "$pid" "$comm"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            log "$comm (pid $pid) ignored SIGTERM for ${timeout}s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
            break
        fi
        sleep 0.1
    done
    rm -f "$pidfile"
    log "stopped $comm (pid $pid)"
}

# write_if_changed TARGET MODE -> copies stdin to TARGET only when the content differs.
# Returns 0 when the file changed, 1 when it was already up to date: callers use that to decide
# whether a running daemon must be restarted. The rename makes the update atomic.
write_if_changed() {
    local target=$1 mode=$2 tmp
    tmp=$(mktemp "${target}.XXXXXX")
    cat >"$tmp"
    if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
        rm -f "$tmp"
        return 1
    fi
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$target"
    return 0
}

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

# AUTOLAB_LOG_TAG (a cluster name) tells apart the lines of clusters brought up in parallel.
log() { printf '[testbed%s %s] %s\n' "${AUTOLAB_LOG_TAG:+ $AUTOLAB_LOG_TAG}" "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[testbed%s] ERROR: %s\n' "${AUTOLAB_LOG_TAG:+ $AUTOLAB_LOG_TAG}" "$*" >&2; exit 1; }

require_root() {
    # The daemons bind privileged state (munge key, /run, /etc/slurm): only root can set them up.
    [ "$(id -u)" -eq 0 ] || die "$(basename "$0") must run as root"
}

# proc_running PID COMM -> 0 when PID is a live (not zombie) process whose name is COMM.
# Checking the name (not just `kill -0`) matters after a killed run: a stale pid file may point at
# an unrelated process that got the same pid. Checking for zombies matters on machines whose PID 1
# is not a real init (containers, CI sandboxes): a killed daemon is reparented to PID 1 and may stay
# a zombie for a while, still listed in /proc under its old name.
# Builtins only (no cat, tr, cmp): a warm bring-up makes dozens of these checks, and every fork
# costs tens of milliseconds on a loaded 2-core machine.
proc_running() {
    local pid=$1 comm=$2 c="" stat=""
    { IFS= read -r c <"/proc/$pid/comm"; } 2>/dev/null || return 1
    [ "$c" = "$comm" ] || return 1
    { IFS= read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
    # Field 3 is the state; the name in field 2 may contain spaces, so cut after its ')'.
    stat=${stat##*) }
    case "${stat%% *}" in
        Z | X | x) return 1 ;;
        *) return 0 ;;
    esac
}

# pid_alive PIDFILE COMM -> 0 when the file names a running process whose name is COMM.
pid_alive() {
    local pidfile=$1 comm=$2 pid=""
    [ -s "$pidfile" ] || return 1
    # read fails on a last line without newline but still sets pid.
    { IFS= read -r pid <"$pidfile"; } 2>/dev/null || [ -n "$pid" ] || return 1
    pid=${pid//[!0-9]/}
    [ -n "$pid" ] || return 1
    proc_running "$pid" "$comm"
}

# pid_of PIDFILE -> prints the pid stored in the file (digits only).
pid_of() {
    local pid=""
    { IFS= read -r pid <"$1"; } 2>/dev/null || true
    printf '%s' "${pid//[!0-9]/}"
}

# read_text VAR FILE -> the whole of FILE (text without NUL bytes) into VAR, without a fork.
# Empty when FILE cannot be read.
read_text() {
    local -n _read_text_var=$1
    _read_text_var=""
    { IFS= read -r -d '' _read_text_var <"$2"; } 2>/dev/null || true
}

# start_checked LOG CMD...: runs a self-daemonizing server; if it exits non-zero, shows the tail of its
# log and dies (used for the host's daemons and, through in_root, for a chroot cluster's).
start_checked() {
    local logfile=$1
    shift
    if ! "$@"; then
        [ -f "$logfile" ] && tail -n 30 "$logfile" >&2
        die "'$*' failed to start"
    fi
}

# wait_for SECONDS DESCRIPTION LOGFILE CMD... -> polls CMD every 0.1 s until it succeeds.
# On timeout it prints the tail of LOGFILE: the daemon's own log says why it did not come up,
# which is far more useful in a CI transcript than "timed out".
wait_for() {
    local timeout=$1 what=$2 logfile=$3
    shift 3
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            printf '[testbed%s] ERROR: timed out after %ss waiting for %s\n' "${AUTOLAB_LOG_TAG:+ $AUTOLAB_LOG_TAG}" "$timeout" "$what" >&2
            if [ -n "$logfile" ] && [ -f "$logfile" ]; then
                printf '[testbed%s] last lines of %s:\n' "${AUTOLAB_LOG_TAG:+ $AUTOLAB_LOG_TAG}" "$logfile" >&2
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
# The comparison runs on builtins (the usual case: nothing changed); only a change forks.
write_if_changed() {
    local target=$1 mode=$2 tmp new="" cur
    IFS= read -r -d '' new || true
    if [ -f "$target" ]; then
        read_text cur "$target"
        [ "$new" = "$cur" ] && return 1
    fi
    tmp=$(mktemp "${target}.XXXXXX")
    printf '%s' "$new" >"$tmp"
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$target"
    return 0
}

# slurm_conf_policy: the scheduling and accounting settings every testbed cluster shares (the host's
# 22.05 one and the chroot clusters), as slurm.conf lines. Changing them restarts every cluster.
slurm_conf_policy() {
    cat <<'CONF'
# No cgroups: containers and CI machines without systemd cannot delegate them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Het jobs are started only by the backfill scheduler, every bf_interval seconds (default 30);
# a short interval keeps het-job tests fast. Cheap on a cluster this size.
SchedulerParameters=bf_interval=2
# The node lines may promise more CPUs than the machine has (see AUTOLAB_SLURM_CPUS).
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobCompType=jobcomp/none
# A node that went down because its slurmd was killed comes back by itself when slurmd restarts.
ReturnToService=2
# Finished jobs stay visible to squeue/scontrol for 5 minutes (tests read RestartCnt from there).
MinJobAge=300
# SIGTERM -> SIGKILL grace for cancelled/timed-out jobs; short to keep tests fast.
KillWait=5
# Tests requeue jobs (scontrol requeue) and expect them to run again. 1 is the default; explicit
# so that nobody "cleans it up".
JobRequeue=1
# 'scontrol suspend/resume' by root needs no preemption plugin; keep the plugin explicit so an
# inherited default cannot start preempting test jobs.
PreemptType=preempt/none
# No mail on this machine: avoid an error line in the log for every job event.
MailProg=/bin/true
CONF
}

# ssh_alias_block ALIAS PORT USER KNOWN_HOSTS: an ssh_config Host block for a testbed sshd on
# 127.0.0.1, logging in with the testbed's ed25519 client key and checking the host key strictly.
ssh_alias_block() {
    cat <<CONF
Host $1
    HostName 127.0.0.1
    Port $2
    User $3
    IdentityFile "$AUTOLAB_TESTBED_DIR/ssh/client/id_ed25519"
    IdentitiesOnly yes
    UserKnownHostsFile "$4"
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
CONF
}

# json_string VAR VALUE -> VAR = VALUE as a JSON string literal (quotes, backslashes escaped; the
# paths and names of the testbed hold no control characters). No jq: a fresh machine lacks it.
json_string() {
    local -n _json_string_var=$1
    local v=${2//\\/\\\\}
    v=${v//\"/\\\"}
    _json_string_var="\"$v\""
}

# assemble_ssh_config: writes $SSH_DIR/ssh_config from the per-alias blocks in ssh_config.d/
# (each testbed sshd has one block). The module reads no Include lines, so the aliases must be in
# one file. Serialised with a lock: two clusters come up in parallel.
assemble_ssh_config() {
    local ssh_dir=$AUTOLAB_TESTBED_DIR/ssh content cur
    _ssh_config_content() {
        local f part
        content='# Generated by tests/infra (one block per testbed sshd, from ssh_config.d/).'$'\n'
        for f in "$ssh_dir"/ssh_config.d/*.conf; do
            read_text part "$f"
            content+=$part
        done
    }
    _ssh_config_content
    read_text cur "$ssh_dir/ssh_config"
    [ "$content" = "$cur" ] && return 0
    (
        flock 8
        _ssh_config_content
        printf '%s' "$content" | write_if_changed "$ssh_dir/ssh_config" 644 || true
    ) 8>"$ssh_dir/.ssh_config.lock"
}

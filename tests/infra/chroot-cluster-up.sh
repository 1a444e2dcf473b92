#!/usr/bin/env bash
# Brings up one modern Slurm cluster in its chroot (see chroot-lib.sh), beside the host's 22.05 one:
#   tests/infra/chroot-cluster-up.sh autolab2411
# munged -> slurmdbd (accounting in the host's MariaDB) -> slurmctld -> slurmd, and an sshd that
# is the cluster's login node, where the non-root user 'alab' logs in with the testbed's client
# keys and owns the jobs. Writes $AUTOLAB_TESTBED_DIR/clusters/NAME/cluster.json (the cluster's
# entry in testbed.json, see up.sh) and the alias NAME-login in the testbed's ssh_config.
#
# Needs the host's part of the testbed first (slurm-up.sh for MariaDB, sshd-up.sh for the client
# keys); builds the root filesystem when it is not cached yet (chroot-cluster-build.sh).
# Idempotent like slurm-up.sh: daemons are found through their pid files and only missing ones
# are started; a second run while everything is up takes a fraction of a second.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=chroot-lib.sh
. "$SCRIPT_DIR/chroot-lib.sh"

chroot_script_start "$@"

"$SCRIPT_DIR/chroot-cluster-build.sh" "$CL_NAME"

# One bring-up of a cluster at a time (two worktrees may run up.sh together). Every daemon is
# started with fd 9 closed ('9>&-'): one that inherited it would hold the lock for good.
exec 9>"$CL_DIR/up.lock"
flock 9

SSH_DIR=$AUTOLAB_TESTBED_DIR/ssh
CLIENT_DIR=$SSH_DIR/client
HOST_MYSQL_SOCKET=/run/mysqld/mysqld.sock
# A throw-away password for a database user that only this cluster's slurmdbd uses, over loopback.
DB_PASS=autolab-$CL_NAME
# Paths inside the chroot (S = as the daemons see them, H = the same through the root from here).
S_SLURM=$CL_STATE/slurm
S_MUNGE=$CL_STATE/munge
S_SSH=$CL_STATE/ssh
H_SLURM=$CL_ROOT$S_SLURM
H_MUNGE=$CL_ROOT$S_MUNGE
H_SSH=$CL_ROOT$S_SSH
started=0

[ -s "$CLIENT_DIR/id_ed25519.pub" ] && [ -s "$SSH_DIR/authorized_keys" ] \
    || die "no testbed client keys in $CLIENT_DIR: run tests/infra/sshd-up.sh first"

# ---------------------------------------------------------------------------------------------
# 0. The chroot itself: kernel file systems, name resolution, the user.
# ---------------------------------------------------------------------------------------------
# A fresh proc (same pid namespace: the host sees the daemons, ps inside works), a read-only
# sysfs, and a private devpts for ssh sessions that ask for a terminal. /dev itself is not bound:
# debootstrap made the few device nodes the daemons open (null, zero, urandom, ...), and a bound
# host /dev would be in danger from an 'rm -rf' of the testbed directory. down.sh unmounts these.
# (Checks on this path use builtins where they can: a warm bring-up should take well under a second.)
read_text mounts /proc/mounts
[[ $mounts == *" $CL_ROOT/proc "* ]] || mount -t proc proc "$CL_ROOT/proc"
[[ $mounts == *" $CL_ROOT/sys "* ]] || mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$CL_ROOT/sys"
if [[ $mounts != *" $CL_ROOT/dev/pts "* ]]; then
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$CL_ROOT/dev/pts"
fi
[ -L "$CL_ROOT/dev/ptmx" ] || ln -sfn pts/ptmx "$CL_ROOT/dev/ptmx"
# SlurmctldHost names this machine; the chroot resolves it with the host's /etc/hosts.
write_if_changed "$CL_ROOT/etc/hosts" 644 </etc/hosts || true

# Packages added to CHROOT_PACKAGES after a root filesystem was cached are installed into it
# (checked against a stamp of the list last verified, not with dpkg on every run).
read_text stamp "$CL_DIR/packages.ok"
if [ "$stamp" != "${CHROOT_PACKAGES[*]}" ]; then
    missing=()
    installed=$(in_root dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${CHROOT_PACKAGES[@]}" 2>/dev/null || true)
    for pkg in "${CHROOT_PACKAGES[@]}"; do
        grep -qE "^${pkg} ii" <<<"$installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing into the chroot: ${missing[*]}"
        printf '#!/bin/sh\nexit 101\n' >"$CL_ROOT/usr/sbin/policy-rc.d"
        chmod 755 "$CL_ROOT/usr/sbin/policy-rc.d"
        # policy-rc.d (no service starts inside the chroot) goes again whether or not apt succeeds.
        if ! { in_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
            && in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }; then
            rm -f "$CL_ROOT/usr/sbin/policy-rc.d"
            die "installing ${missing[*]} into $CL_ROOT failed (apt's output is above)"
        fi
        rm -f "$CL_ROOT/usr/sbin/policy-rc.d"
    fi
    printf '%s' "${CHROOT_PACKAGES[*]}" >"$CL_DIR/packages.ok"
fi

read_text passwd "$CL_ROOT/etc/passwd"
if [[ $'\n'$passwd != *$'\n'"$ALAB_USER:"* ]]; then
    log "creating user $ALAB_USER (uid $ALAB_UID)"
    in_root groupadd -g "$ALAB_UID" "$ALAB_USER"
    in_root useradd -u "$ALAB_UID" -g "$ALAB_UID" -m -d "$ALAB_HOME" -s /bin/bash "$ALAB_USER"
    # '*' (no password, not locked): sshd without PAM refuses key logins to a locked ('!') account.
    in_root usermod -p '*' "$ALAB_USER"
fi
[ -d "$CL_ROOT$ALAB_HOME/.ssh" ] || install -d -o "$ALAB_UID" -g "$ALAB_UID" -m 700 "$CL_ROOT$ALAB_HOME/.ssh"
[ -d "$CL_ROOT$ALAB_SCRATCH" ] || install -d -o "$ALAB_UID" -g "$ALAB_UID" -m 755 "$CL_ROOT$ALAB_SCRATCH"
# The same client keys as the host's sshd accepts (ed25519, RSA PEM, ECDSA, ed25519 with passphrase).
if write_if_changed "$CL_ROOT$ALAB_HOME/.ssh/authorized_keys" 600 <"$SSH_DIR/authorized_keys"; then
    chown "$ALAB_UID:$ALAB_UID" "$CL_ROOT$ALAB_HOME/.ssh/authorized_keys"
fi

if [ ! -d "$H_SLURM/spool" ] || [ ! -d "$H_SSH" ]; then
    install -d -m 755 "$CL_ROOT$CL_STATE" "$H_SLURM" "$H_SLURM/log" "$H_SSH"
    install -d -m 700 "$H_SLURM/state" "$H_SLURM/spool"
fi

# ---------------------------------------------------------------------------------------------
# 1. Configuration (the probes read it too).
# ---------------------------------------------------------------------------------------------
# The node: as many CPUs as the host's cluster declares (AUTOLAB_SLURM_CPUS, see slurm-up.sh), so
# test jobs never queue; RealMemory 90 % of the machine's (a node promising more is drained).
CPU_COUNT=${AUTOLAB_SLURM_CPUS:-8}
case "$CPU_COUNT" in
    [1-9] | [1-5][0-9] | 6[0-4]) ;;
    *) die "AUTOLAB_SLURM_CPUS must be a number from 1 to 64, not '$CPU_COUNT'" ;;
esac
mem_kib=0
while read -r key value _; do
    if [ "$key" = MemTotal: ]; then
        mem_kib=$value
        break
    fi
done </proc/meminfo
[ "$mem_kib" -gt 0 ] || die "no MemTotal in /proc/meminfo"

slurm_conf_changed=0
write_if_changed "$CL_ROOT/etc/slurm/slurm.conf" 644 <<CONF && slurm_conf_changed=1
# Generated by tests/infra/chroot-cluster-up.sh for the Autolab test cluster $CL_NAME. Rewritten on
# every bring-up (and the daemons restarted when it changes). Mirrors the host's 22.05 cluster
# (slurm-up.sh) except for the ports and cgroup.conf.
ClusterName=$CL_NAME
SlurmctldHost=${HOSTNAME%%.*}(127.0.0.1)
SlurmctldPort=$CL_CTLD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
StateSaveLocation=$S_SLURM/state
SlurmdSpoolDir=$S_SLURM/spool
SlurmctldPidFile=$S_SLURM/slurmctld.pid
SlurmdPidFile=$S_SLURM/slurmd.pid
SlurmctldLogFile=$S_SLURM/log/slurmctld.log
SlurmdLogFile=$S_SLURM/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
$(slurm_conf_policy)
AccountingStoragePort=$CL_DBD_PORT
NodeName=$CL_NODE CPUs=$CPU_COUNT Boards=1 SocketsPerBoard=1 CoresPerSocket=$CPU_COUNT ThreadsPerCore=1 RealMemory=$((mem_kib / 1024 * 9 / 10)) NodeAddr=127.0.0.1 Port=$CL_SLURMD_PORT State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

# slurmd 24.11 and later stops at start with "Unable to initialize cgroup plugin" unless told that
# there are none (this kernel's /sys/fs/cgroup is not the unified hierarchy it expects).
write_if_changed "$CL_ROOT/etc/slurm/cgroup.conf" 644 <<CONF && slurm_conf_changed=1
# Generated by tests/infra/chroot-cluster-up.sh.
CgroupPlugin=disabled
CONF

slurmdbd_conf_changed=0
write_if_changed "$CL_ROOT/etc/slurm/slurmdbd.conf" 600 <<CONF && slurmdbd_conf_changed=1
# Generated by tests/infra/chroot-cluster-up.sh for $CL_NAME. The database is the host's MariaDB
# 10.11 over loopback: trixie's MariaDB 11.8 makes slurmdbd 24.11 die (_check_mysql_concat_is_sane).
AuthType=auth/munge
DbdHost=localhost
DbdPort=$CL_DBD_PORT
SlurmUser=root
PidFile=$S_SLURM/slurmdbd.pid
LogFile=$S_SLURM/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3306
StorageUser=$CL_DB_USER
StoragePass=$DB_PASS
StorageLoc=$CL_DB
CONF
chown root:root "$CL_ROOT/etc/slurm/slurmdbd.conf"

sshd_conf_changed=0
# Host keys: the ones the chroot's openssh-server generated (all its types, so the login node
# offers what a real one of that release offers; sid's includes a post-quantum ML-DSA key).
host_keys=""
for k in "$CL_ROOT"/etc/ssh/ssh_host_*_key; do
    host_keys+="HostKey ${k#"$CL_ROOT"}"$'\n'
done
write_if_changed "$CL_ROOT/etc/ssh/sshd_config.autolab" 600 <<CONF && sshd_conf_changed=1
# Generated by tests/infra/chroot-cluster-up.sh: the login node of $CL_NAME. Loopback only, keys only,
# no root login (the cluster's user is $ALAB_USER).
ListenAddress 127.0.0.1
Port $CL_SSH_PORT
${host_keys}PidFile $S_SSH/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
Subsystem sftp internal-sftp
LogLevel VERBOSE
PrintMotd no
PrintLastLog no
MaxStartups 64:30:128
MaxSessions 64
CONF

# ---------------------------------------------------------------------------------------------
# 2. munge (the chroot's own daemon, key and /run/munge).
# ---------------------------------------------------------------------------------------------
munge_ok() { in_root sh -c 'munge -n | unmunge'; }
if ! pid_alive "$H_MUNGE/munged.pid" munged; then
    if [ ! -s "$CL_ROOT/etc/munge/munge.key" ]; then
        in_root mungekey --create --keyfile=/etc/munge/munge.key
    fi
    in_root chown munge:munge /etc/munge/munge.key
    chmod 600 "$CL_ROOT/etc/munge/munge.key"
    in_root install -d -o munge -g munge -m 755 /run/munge
    in_root install -d -o munge -g munge -m 700 "$S_MUNGE"
    log "starting munged"
    started=1
    start_checked "$H_MUNGE/munged.log" in_root runuser -u munge -- /usr/sbin/munged --force \
        --pid-file="$S_MUNGE/munged.pid" --log-file="$S_MUNGE/munged.log" 9>&-
    wait_for 10 munged "$H_MUNGE/munged.log" munge_ok
fi

# ---------------------------------------------------------------------------------------------
# 3. slurmdbd against the host's MariaDB (own database and user).
# ---------------------------------------------------------------------------------------------
if [ "$slurmdbd_conf_changed" -eq 1 ] && pid_alive "$H_SLURM/slurmdbd.pid" slurmdbd; then
    log "slurmdbd.conf changed: restarting slurmdbd"
    stop_by_pidfile "$H_SLURM/slurmdbd.pid" slurmdbd 30
fi
dbd_ok() { in_root sacctmgr -n -P list cluster format=cluster; }
if ! pid_alive "$H_SLURM/slurmdbd.pid" slurmdbd; then
    [ -S "$HOST_MYSQL_SOCKET" ] || die "the host's MariaDB is not running ($HOST_MYSQL_SOCKET): run tests/infra/slurm-up.sh first"
    # Idempotent. Both host names: a TCP login from 127.0.0.1 may match either.
    mysql --socket="$HOST_MYSQL_SOCKET" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS $CL_DB;
CREATE USER IF NOT EXISTS '$CL_DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER '$CL_DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON $CL_DB.* TO '$CL_DB_USER'@'127.0.0.1';
CREATE USER IF NOT EXISTS '$CL_DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER '$CL_DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON $CL_DB.* TO '$CL_DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
    log "starting slurmdbd"
    started=1
    start_checked "$H_SLURM/log/slurmdbd.log" in_root /usr/sbin/slurmdbd 9>&-
    wait_for 60 slurmdbd "$H_SLURM/log/slurmdbd.log" dbd_ok
fi

# ---------------------------------------------------------------------------------------------
# 4. slurmctld and slurmd.
# ---------------------------------------------------------------------------------------------
if [ "$slurm_conf_changed" -eq 1 ]; then
    if pid_alive "$H_SLURM/slurmctld.pid" slurmctld; then
        log "slurm.conf changed: restarting slurmctld and slurmd"
    fi
    stop_by_pidfile "$H_SLURM/slurmd.pid" slurmd 30
    stop_by_pidfile "$H_SLURM/slurmctld.pid" slurmctld 60
fi
ctld_ok() { in_root scontrol ping | grep -q 'is UP'; }
if ! pid_alive "$H_SLURM/slurmctld.pid" slurmctld; then
    log "starting slurmctld"
    started=1
    start_checked "$H_SLURM/log/slurmctld.log" in_root /usr/sbin/slurmctld 9>&-
    wait_for 30 slurmctld "$H_SLURM/log/slurmctld.log" ctld_ok
fi
if ! pid_alive "$H_SLURM/slurmd.pid" slurmd; then
    log "starting slurmd (node $CL_NODE)"
    started=1
    start_checked "$H_SLURM/log/slurmd.log" in_root /usr/sbin/slurmd -N "$CL_NODE" 9>&-
fi

node_state() { in_root sinfo -h -N -n "$CL_NODE" -o %T 2>/dev/null | head -n 1 || true; }
node_up() {
    case "$(node_state)" in
        idle | mixed | allocated | completing) return 0 ;;
        *) return 1 ;;
    esac
}
if ! node_up; then
    deadline=$((SECONDS + 30))
    resume_at=$((SECONDS + 3))
    until node_up; do
        # A node left down by an earlier crash does not come back through ReturnToService.
        if [ "$resume_at" -gt 0 ] && [ "$SECONDS" -ge "$resume_at" ]; then
            state=$(node_state)
            case "$state" in
                drain* | down* | fail*)
                    log "node $CL_NODE is '$state': resuming it"
                    in_root scontrol update NodeName="$CL_NODE" State=RESUME >/dev/null 2>&1 || true
                    ;;
            esac
            resume_at=0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            printf '[testbed %s] ERROR: node %s not idle after 30s:\n' "$AUTOLAB_LOG_TAG" "$CL_NODE" >&2
            in_root sinfo -N -o '%N %T %E' >&2 || true
            for f in slurmctld slurmd; do
                printf '[testbed %s] last lines of %s:\n' "$AUTOLAB_LOG_TAG" "$H_SLURM/log/$f.log" >&2
                tail -n 20 "$H_SLURM/log/$f.log" >&2 || true
            done
            exit 1
        fi
        sleep 0.1
    done
fi

# Accounting answers (slurmctld registers the cluster in slurmdbd by itself after its start).
acct_ok() {
    local err
    if [ "$started" -eq 1 ]; then
        in_root sacctmgr -n -P list cluster format=cluster | grep -qx "$CL_NAME" || return 1
    fi
    err=$(in_root sacct -n -X -S now-1hours 2>&1 >/dev/null) || return 1
    [ -z "$err" ]
}
wait_for 30 "cluster '$CL_NAME' to be registered in slurmdbd (sacct)" \
    "$H_SLURM/log/slurmctld.log" acct_ok

# ---------------------------------------------------------------------------------------------
# 5. The login node: sshd inside the chroot.
# ---------------------------------------------------------------------------------------------
if [ "$sshd_conf_changed" -eq 1 ] && pid_alive "$H_SSH/sshd.pid" sshd; then
    log "sshd_config changed: restarting the login sshd"
    stop_by_pidfile "$H_SSH/sshd.pid" sshd 10
fi
if ! pid_alive "$H_SSH/sshd.pid" sshd; then
    in_root install -d -m 755 /run/sshd
    in_root /usr/sbin/sshd -t -f /etc/ssh/sshd_config.autolab || die "invalid $CL_ROOT/etc/ssh/sshd_config.autolab"
    log "starting the login sshd on 127.0.0.1:$CL_SSH_PORT"
    start_checked "$H_SSH/sshd.log" in_root /usr/sbin/sshd -f /etc/ssh/sshd_config.autolab -E "$S_SSH/sshd.log" 9>&-
    wait_for 10 "sshd on port $CL_SSH_PORT" "$H_SSH/sshd.log" \
        bash -c "exec 3<>/dev/tcp/127.0.0.1/$CL_SSH_PORT"
fi

# known_hosts from the host keys the sshd serves (all types; a client skips those it does not
# know). The ssh probe below, with strict checking, proves the file matches the running sshd.
known=""
for k in "$CL_ROOT"/etc/ssh/ssh_host_*_key.pub; do
    read -r ktype kdata _ <"$k"
    known+="[127.0.0.1]:$CL_SSH_PORT $ktype $kdata"$'\n'
done
write_if_changed "$CL_KNOWN_HOSTS" 644 <<<"${known%$'\n'}" || true

install -d -m 755 "$SSH_DIR/ssh_config.d"
{
    printf '# From tests/infra/chroot-cluster-up.sh: the login node of %s, as its non-root user.\n' "$CL_NAME"
    ssh_alias_block "$CL_ALIAS" "$CL_SSH_PORT" "$ALAB_USER" "$CL_KNOWN_HOSTS"
} | write_if_changed "$SSH_DIR/ssh_config.d/$CL_NAME.conf" 644 || true
assemble_ssh_config

# End-to-end: key login as the user, host key verification, Slurm reachable from the login node.
# curve25519 only for the probe: the post-quantum default key exchange costs ~0.2 s of CPU.
out=$(ssh -F "$SSH_DIR/ssh_config" -o BatchMode=yes -o ConnectTimeout=5 \
    -o KexAlgorithms=curve25519-sha256 "$CL_ALIAS" 'squeue -h --me -o %i' 2>&1) \
    || { printf '%s\n' "$out" >&2; tail -n 20 "$H_SSH/sshd.log" >&2; die "ssh to $CL_ALIAS failed"; }

# ---------------------------------------------------------------------------------------------
# 6. The cluster's entry in testbed.json (up.sh collects it). Versions are read, never assumed.
# ---------------------------------------------------------------------------------------------
slurm_version=$(in_root sinfo --version)
slurm_version=${slurm_version#slurm* } # "slurm-wlm 24.11.5" (Debian) or "slurm 24.11.5"
[[ $slurm_version =~ ^[0-9]+\.[0-9]+ ]] || die "cannot read the Slurm version (sinfo --version) in $CL_ROOT: '$slurm_version'"
# sshd -V (OpenSSH 9.8 and later); sid's openssh-server comes without the ssh client.
ssh_version=$(in_root /usr/sbin/sshd -V 2>&1)
ssh_version=${ssh_version%%,*}
for v in CL_NAME CL_SUITE CL_ROOT CL_NODE ALAB_USER CL_ALIAS CL_KNOWN_HOSTS ALAB_SCRATCH slurm_version ssh_version; do
    json_string "J_$v" "${!v}"
done
json_string J_conf "$CL_ROOT/etc/slurm/slurm.conf"
json_string J_hscratch "$CL_ROOT$ALAB_SCRATCH"
exec_json=""
for a in "${CL_EXEC[@]}"; do
    json_string ja "$a"
    exec_json+="${exec_json:+, }$ja"
done
write_if_changed "$CL_DIR/cluster.json" 644 <<JSON || true
    {
      "name": $J_CL_NAME,
      "slurmVersion": $J_slurm_version,
      "opensshVersion": $J_ssh_version,
      "debianSuite": $J_CL_SUITE,
      "local": false,
      "root": $J_CL_ROOT,
      "slurmConf": $J_conf,
      "slurmNodes": [$J_CL_NODE],
      "sshHost": "127.0.0.1",
      "sshPort": $CL_SSH_PORT,
      "sshUser": $J_ALAB_USER,
      "sshAlias": $J_CL_ALIAS,
      "knownHosts": $J_CL_KNOWN_HOSTS,
      "remoteScratch": {"ssh": $J_ALAB_SCRATCH, "host": $J_hscratch},
      "execPrefix": [$exec_json],
      "ports": {"slurmctld": $CL_CTLD_PORT, "slurmd": $CL_SLURMD_PORT, "slurmdbd": $CL_DBD_PORT, "ssh": $CL_SSH_PORT}
    }
JSON
log "cluster '$CL_NAME' is up: Slurm $slurm_version, $ssh_version, ssh $CL_ALIAS (127.0.0.1:$CL_SSH_PORT as $ALAB_USER)"

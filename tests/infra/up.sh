#!/usr/bin/env bash
# Brings up the whole test bed and writes $AUTOLAB_TESTBED_DIR/testbed.json, the one file tests
# read to find clusters, hosts and keys:
# - the host's own cluster: Slurm 22.05 (Debian 12) with accounting, and a loopback sshd on 2222;
# - the modern clusters (chroot-cluster-up.sh): Slurm 24.11 (Debian 13) and the Slurm of Debian
#   unstable (26.05 when this was written), each in a chroot with its own sshd as login node and
#   the non-root user 'alab' who owns the jobs. Their root filesystems are built once with
#   debootstrap (in parallel, while the host's cluster comes up) and cached in the testbed dir.
# Prints the path of testbed.json on stdout (everything else goes to stderr), so callers can do
#   testbed_json=$(tests/infra/up.sh)
# Idempotent and fast when everything already runs (about a second).
# Environment: AUTOLAB_TESTBED_DIR (default /var/tmp/autolab-testbed), AUTOLAB_SSH_PORT (2222),
# AUTOLAB_SLURM_NODES (1; 2 or more are needed for heterogeneous jobs, see slurm-up.sh),
# AUTOLAB_SLURM_CPUS (8), AUTOLAB_CHROOT_CLUSTERS ("autolab2411 autolab2605"; "" for none),
# AUTOLAB_DEBIAN_MIRROR (default: the mirror of apt's own sources).
#
# testbed.json: the top-level keys describe the host's cluster and its sshd (clusterName, slurmConf,
# slurmNodes, sshHost, sshPort, sshUser, sshAlias, sshConfig, knownHosts, knownHostsHashed,
# knownHostsWrong, keys{ed25519, rsaPem, ecdsa, ed25519Passphrase, ed25519PassphraseValue, wrong}).
# "clusters" lists every cluster, the host's first, each as:
#   name            Slurm ClusterName (autolab, autolab2411, autolab2605)
#   slurmVersion    as `sinfo --version` reports it at bring-up (e.g. "24.11.5")
#   opensshVersion  of the cluster's login sshd (e.g. "OpenSSH_10.0p2 Debian-7+deb13u4")
#   debianSuite     bookworm, trixie, sid
#   local           true only for the host's cluster (its commands run here without a prefix)
#   root            the chroot directory, null for the host's cluster
#   slurmConf       slurm.conf as seen from the host
#   slurmNodes      node names
#   sshHost, sshPort, sshUser, sshAlias
#                   the login node; sshAlias is a Host block in sshConfig (HostName, Port, User,
#                   IdentityFile keys.ed25519, UserKnownHostsFile knownHosts)
#   knownHosts      a known_hosts file for that sshd (the modern ones have their own)
#   remoteScratch   {"ssh": path over SSH, "host": the same directory from the host}: owned by
#                   sshUser, where tests create remote run directories
#   execPrefix      argv prefix that runs a command as sshUser inside the cluster from the host, in
#                   the user's home ([] for the host's cluster: it runs as root here)
#   ports           {"slurmctld", "slurmd", "slurmdbd", "ssh"}
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=chroot-lib.sh
. "$SCRIPT_DIR/chroot-lib.sh"

require_root

# stdout of the helpers goes to stderr: this script's stdout carries only the JSON file's path.
"$SCRIPT_DIR/install-deps.sh" >&2
# On a fresh machine each chroot's debootstrap takes about 2 minutes: both run in the background
# while the host's cluster and sshd come up. (A cached root filesystem is seen here, without
# starting the build script.)
build_pids=()
for c in $AUTOLAB_CHROOT_CLUSTERS; do
    cluster_def "$c"
    if [ ! -f "$CL_ROOT/.autolab-rootfs" ]; then
        "$SCRIPT_DIR/chroot-cluster-build.sh" "$c" >&2 &
        build_pids+=("$!")
    fi
done
"$SCRIPT_DIR/slurm-up.sh" >&2
# The modern clusters need the host's MariaDB (up now) and the client keys that sshd-up.sh makes
# once: when the keys exist already, sshd-up.sh (whose ssh probe alone takes a second) runs beside
# the clusters' bring-up.
up_pids=()
if [ -s "$AUTOLAB_TESTBED_DIR/ssh/authorized_keys" ]; then
    "$SCRIPT_DIR/sshd-up.sh" >&2 &
    up_pids+=("$!")
else
    "$SCRIPT_DIR/sshd-up.sh" >&2
fi
for p in "${build_pids[@]}"; do
    wait "$p" || die "building a chroot cluster's root filesystem failed (see above)"
done
# The modern clusters come up in parallel (each waits for its own daemons).
for c in $AUTOLAB_CHROOT_CLUSTERS; do
    "$SCRIPT_DIR/chroot-cluster-up.sh" "$c" >&2 &
    up_pids+=("$!")
done
failed=0
for p in "${up_pids[@]}"; do
    wait "$p" || failed=1
done
[ "$failed" -eq 0 ] || die "the test bed did not come up (see above)"
# The host's non-root users (and the pwsh they run) for the tests that run as a user would.
"$SCRIPT_DIR/users-up.sh" >&2

DIR=$AUTOLAB_TESTBED_DIR
SSH_DIR=$DIR/ssh
KEYS=$SSH_DIR/client
cluster=""
node_json=""
slurmd_port=""
# Node names as configured (AUTOLAB_SLURM_NODES, default 1): tests that need two nodes (het jobs)
# can skip themselves when there is only one.
while IFS= read -r line; do
    case "$line" in
        ClusterName=*) cluster=${line#ClusterName=} ;;
        NodeName=*)
            n=${line#NodeName=}
            node_json+="${node_json:+, }\"${n%% *}\""
            if [ -z "$slurmd_port" ] && [[ $line =~ \ Port=([0-9]+) ]]; then slurmd_port=${BASH_REMATCH[1]}; fi
            ;;
    esac
done </etc/slurm/slurm.conf

# The host's cluster in the "clusters" list: versions as installed, read each time (cheap).
host_slurm=$(sinfo --version)
host_slurm=${host_slurm#slurm* }
host_ssh=$(ssh -V 2>&1)
host_ssh=${host_ssh%%,*}
suite=""
while IFS='=' read -r key value; do
    [ "$key" = VERSION_CODENAME ] && suite=$value
done </etc/os-release
# The remote scratch of the host's cluster: its login user is root.
[ -d "$DIR/scratch" ] || install -d -m 755 "$DIR/scratch"

# Every string written into the JSON is escaped (json_string, lib.sh) without a fork: J_<key>.
for pair in "cluster=$cluster" "sshConfig=$SSH_DIR/ssh_config" "knownHosts=$SSH_DIR/known_hosts" \
    "knownHostsHashed=$SSH_DIR/known_hosts_hashed" "knownHostsWrong=$SSH_DIR/known_hosts_wrong" \
    "ed25519=$KEYS/id_ed25519" "rsaPem=$KEYS/id_rsa_pem" "ecdsa=$KEYS/id_ecdsa" \
    "ed25519Passphrase=$KEYS/id_ed25519_pass" "wrong=$KEYS/id_wrong" "hostSlurm=$host_slurm" \
    "hostSsh=$host_ssh" "suite=$suite" "scratch=$DIR/scratch" "userPwsh=$DIR/pwsh/bin/pwsh"; do
    json_string "J_${pair%%=*}" "${pair#*=}"
done
clusters="    {
      \"name\": $J_cluster,
      \"slurmVersion\": $J_hostSlurm,
      \"opensshVersion\": $J_hostSsh,
      \"debianSuite\": $J_suite,
      \"local\": true,
      \"root\": null,
      \"slurmConf\": \"/etc/slurm/slurm.conf\",
      \"slurmNodes\": [$node_json],
      \"sshHost\": \"127.0.0.1\",
      \"sshPort\": $AUTOLAB_SSH_PORT,
      \"sshUser\": \"root\",
      \"sshAlias\": \"autolab-login\",
      \"knownHosts\": $J_knownHosts,
      \"remoteScratch\": {\"ssh\": $J_scratch, \"host\": $J_scratch},
      \"execPrefix\": [],
      \"ports\": {\"slurmctld\": 6817, \"slurmd\": ${slurmd_port:-6818}, \"slurmdbd\": 6819, \"ssh\": $AUTOLAB_SSH_PORT}
    }"
# Each modern cluster wrote its entry at bring-up (chroot-cluster-up.sh).
for c in $AUTOLAB_CHROOT_CLUSTERS; do
    cluster_def "$c"
    read_text entry "$CL_DIR/cluster.json"
    [ -n "$entry" ] || die "$CL_DIR/cluster.json is missing: chroot-cluster-up.sh $c did not finish"
    clusters+=","$'\n'"${entry%$'\n'}"
done

write_if_changed "$DIR/testbed.json" 644 <<JSON || true
{
  "clusterName": $J_cluster,
  "slurmConf": "/etc/slurm/slurm.conf",
  "slurmNodes": [$node_json],
  "sshHost": "127.0.0.1",
  "sshPort": $AUTOLAB_SSH_PORT,
  "sshUser": "root",
  "sshAlias": "autolab-login",
  "sshConfig": $J_sshConfig,
  "knownHosts": $J_knownHosts,
  "knownHostsHashed": $J_knownHostsHashed,
  "knownHostsWrong": $J_knownHostsWrong,
  "keys": {
    "ed25519": $J_ed25519,
    "rsaPem": $J_rsaPem,
    "ecdsa": $J_ecdsa,
    "ed25519Passphrase": $J_ed25519Passphrase,
    "ed25519PassphraseValue": "autolab-pass",
    "wrong": $J_wrong
  },
  "userPwsh": $J_userPwsh,
  "users": {"ann": "alab-ann", "bob": "alab-bob", "cy": "alab-cy"},
  "sharedGroup": "alab-share",
  "clusters": [
$clusters
  ]
}
JSON

printf '%s\n' "$DIR/testbed.json"

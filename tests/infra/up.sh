#!/usr/bin/env bash
# Brings up the whole test bed (packages, Slurm with accounting, loopback sshd) and writes
# $AUTOLAB_TESTBED_DIR/testbed.json, the one file tests read to find clusters, hosts and keys.
# Prints the path of that file on stdout (everything else goes to stderr), so callers can do
#   testbed_json=$(tests/infra/up.sh)
# Idempotent and fast when everything already runs (< 1 s).
# Environment: AUTOLAB_TESTBED_DIR (default /var/tmp/autolab-testbed), AUTOLAB_SSH_PORT (2222),
# AUTOLAB_SLURM_NODES (1; 2 or more are needed for heterogeneous jobs, see slurm-up.sh).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_root

# stdout of the helpers goes to stderr: this script's stdout carries only the JSON file's path.
"$SCRIPT_DIR/install-deps.sh" >&2
"$SCRIPT_DIR/slurm-up.sh" >&2
"$SCRIPT_DIR/sshd-up.sh" >&2
"$SCRIPT_DIR/users-up.sh" >&2

DIR=$AUTOLAB_TESTBED_DIR
SSH_DIR=$DIR/ssh
KEYS=$SSH_DIR/client
cluster=$(sed -n 's/^ClusterName=//p' /etc/slurm/slurm.conf)
# Node names as configured (AUTOLAB_SLURM_NODES, default 1): tests that need two nodes (het jobs)
# can skip themselves when there is only one.
node_json=""
while read -r n; do
    node_json+="${node_json:+, }\"$n\""
done < <(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' /etc/slurm/slurm.conf)

# Minimal JSON string escaping (backslash, double quote); paths and names here hold nothing else
# that JSON forbids. No jq: it is not among the packages a fresh CI machine gets.
j() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

write_if_changed "$DIR/testbed.json" 644 <<JSON || true
{
  "clusterName": $(j "$cluster"),
  "slurmConf": "/etc/slurm/slurm.conf",
  "slurmNodes": [$node_json],
  "sshHost": "127.0.0.1",
  "sshPort": $AUTOLAB_SSH_PORT,
  "sshUser": "root",
  "sshAlias": "autolab-login",
  "sshConfig": $(j "$SSH_DIR/ssh_config"),
  "knownHosts": $(j "$SSH_DIR/known_hosts"),
  "knownHostsHashed": $(j "$SSH_DIR/known_hosts_hashed"),
  "knownHostsWrong": $(j "$SSH_DIR/known_hosts_wrong"),
  "keys": {
    "ed25519": $(j "$KEYS/id_ed25519"),
    "rsaPem": $(j "$KEYS/id_rsa_pem"),
    "ecdsa": $(j "$KEYS/id_ecdsa"),
    "ed25519Passphrase": $(j "$KEYS/id_ed25519_pass"),
    "ed25519PassphraseValue": "autolab-pass",
    "wrong": $(j "$KEYS/id_wrong")
  },
  "userPwsh": $(j "$DIR/pwsh/bin/pwsh"),
  "users": {"ann": "alab-ann", "bob": "alab-bob", "cy": "alab-cy"},
  "sharedGroup": "alab-share"
}
JSON

printf '%s\n' "$DIR/testbed.json"

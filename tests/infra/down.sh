#!/usr/bin/env bash
# Stops everything up.sh started (sshd, then the Slurm stack). Keys, accounting data and Slurm state
# stay in $AUTOLAB_TESTBED_DIR so the next up.sh is quick; delete that directory for a clean slate.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

# Both halves run even if the first fails: a half-stopped test bed is the worst outcome.
rc=0
"$SCRIPT_DIR/sshd-down.sh" || rc=$?
"$SCRIPT_DIR/slurm-down.sh" || rc=$?
exit "$rc"

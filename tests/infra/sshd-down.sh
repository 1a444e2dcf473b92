#!/usr/bin/env bash
# Stops the testbed's loopback sshd (by its pid file). Keys and known_hosts are kept so the next
# bring-up reuses them. Open sessions are children of the listener and end on their own.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_root
stop_by_pidfile "$AUTOLAB_TESTBED_DIR/ssh/sshd.pid" sshd 10

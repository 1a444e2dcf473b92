#!/usr/bin/env bash
# Installs the Debian packages the testbed needs (Slurm with accounting, MariaDB, munge, sshd, rsync,
# debootstrap for the modern clusters' chroots).
#
# Why the early exit: CI calls this on every run, and developers call it through up.sh again and
# again. `apt-get update` alone costs several seconds (and network), so when every package is
# already installed we ask dpkg only (a local database read, a few milliseconds) and stop there.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_root

PACKAGES=(
    munge
    slurmctld slurmd slurm-client slurmdbd
    mariadb-server mariadb-client
    openssh-server openssh-client
    rsync
    # pgrep (slurm-up.sh spots daemons started outside the testbed); not in minimal images.
    procps
    # The crash test kills writers at a chosen system call (strace's fault injection).
    strace
    # The modern clusters' root filesystems (chroot-cluster-build.sh); the keyring verifies the
    # newer suites' Release files (a Recommends of debootstrap, so named here).
    debootstrap debian-archive-keyring
)

# dpkg-query prints one "name status" line per package it knows; packages it has never heard of
# go to stderr (and make it exit 1), so we compare the list of fully installed names instead of
# trusting the exit code.
missing=()
installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
for pkg in "${PACKAGES[@]}"; do
    if ! grep -qE "^${pkg} ii" <<<"$installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

log "installing: ${missing[*]}"
# CI has no terminal: debconf must not ask questions.
export DEBIAN_FRONTEND=noninteractive

# The postinst scripts would try to start munge, MariaDB, sshd and the Slurm daemons with the
# distribution's default configuration; without systemd that either fails or leaves daemons
# running with the wrong config, which then block the ports and pid files the testbed wants.
# Docker-style images ship a policy-rc.d that forbids this; add a temporary one where none exists.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, added by %s\nexit 101\n' "$0" >"$policy"
    chmod 755 "$policy"
    added_policy=1
fi
cleanup() { if [ "$added_policy" -eq 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
log "packages installed"

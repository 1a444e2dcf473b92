#!/usr/bin/env bash
# Non-root users of this host, as a login node has them, and a pwsh they can run.
#
# Why: the module's users are not root. Tests that install the module, share a repository or submit
# jobs as a plain user need real accounts: alab-ann and alab-bob share the group alab-share (a
# group-shared repository), alab-cy is outside it (a third user whose jobs may appear in that
# repository). Their login files set umask 002, the setting a group-shared folder needs; tests that
# start a process with `env -i` set the umask themselves.
#
# The pwsh: `dotnet tool install PowerShell --tool-path` into $AUTOLAB_TESTBED_DIR/pwsh, world-readable,
# which is what a site-installed pwsh on a login node looks like: a `pwsh` command and no SDK (the
# tests give the users a PATH without `dotnet`).
#
# Idempotent and fast when done (a few getent/id calls and one file test).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

require_root

PWSH_VERSION=7.6.9
SHARED_GROUP=alab-share
GROUP_MEMBERS=(alab-ann alab-bob)
OUTSIDER=alab-cy

getent group "$SHARED_GROUP" >/dev/null || { groupadd "$SHARED_GROUP"; log "created group $SHARED_GROUP"; }

# ensure_user NAME IN_GROUP(0|1): the account with a home directory, in the shared group or not.
ensure_user() {
    local name=$1 in_group=$2 home
    if ! getent passwd "$name" >/dev/null; then
        useradd --create-home --shell /bin/bash "$name"
        log "created user $name"
    fi
    home=$(getent passwd "$name" | cut -d: -f6)
    [ -d "$home" ] || { mkdir -p "$home"; chown "$name:" "$home"; }
    # Private homes, like a login node's; other users never need to read them.
    chmod 750 "$home"
    local member=0
    if id -nG "$name" | tr ' ' '\n' | grep -qx "$SHARED_GROUP"; then member=1; fi
    if [ "$in_group" -eq 1 ] && [ "$member" -eq 0 ]; then
        usermod -aG "$SHARED_GROUP" "$name"
        log "added $name to $SHARED_GROUP"
    elif [ "$in_group" -eq 0 ] && [ "$member" -eq 1 ]; then
        gpasswd -d "$name" "$SHARED_GROUP" >/dev/null
        log "removed $name from $SHARED_GROUP"
    fi
    local rc
    for rc in .profile .bashrc; do
        if ! grep -qx 'umask 002' "$home/$rc" 2>/dev/null; then
            printf '%s\n' '# Files in group-shared folders stay writable for the group (autolab test bed).' 'umask 002' >>"$home/$rc"
            chown "$name:" "$home/$rc"
        fi
    done
}

for user in "${GROUP_MEMBERS[@]}"; do ensure_user "$user" 1; done
ensure_user "$OUTSIDER" 0

# pwsh for non-root users. Installed into a temporary folder, checked, then renamed into place, so a
# concurrent bring-up or an interrupted install never leaves a half-filled folder under the final name.
#
# The tool's own top-level `pwsh` is not pwsh: it is a shim (Microsoft.PowerShell.GlobalTool.Shim)
# that starts `dotnet pwsh.dll` and fails without `dotnet` on PATH. The package also holds pwsh's
# real apphost (tools/<tfm>/any/unix/pwsh), which finds the .NET runtime in the default location
# (/usr/share/dotnet) with no DOTNET_ROOT and no `dotnet` on PATH. bin/pwsh links to it, as a site's
# /usr/bin/pwsh links to /opt/microsoft/powershell/7/pwsh.
PWSH_DIR=$AUTOLAB_TESTBED_DIR/pwsh
PWSH=$PWSH_DIR/bin/pwsh
APPHOST=.store/powershell/$PWSH_VERSION/powershell/$PWSH_VERSION/tools/net10.0/any/unix/pwsh
if [ ! -x "$PWSH" ] || [ ! -x "$PWSH_DIR/$APPHOST" ]; then
    command -v dotnet >/dev/null || die "dotnet is needed (once, as root) to install pwsh $PWSH_VERSION for the test users"
    tmp=$(mktemp -d "$AUTOLAB_TESTBED_DIR/pwsh.XXXXXX")
    log "installing pwsh $PWSH_VERSION for non-root users into $PWSH_DIR"
    dotnet tool install PowerShell --version "$PWSH_VERSION" --tool-path "$tmp" >&2
    [ -x "$tmp/$APPHOST" ] || die "the PowerShell $PWSH_VERSION tool package has no apphost at $APPHOST"
    # The shim would only mislead: remove it, keep the store.
    rm -f "$tmp/pwsh"
    mkdir "$tmp/bin"
    ln -s "../$APPHOST" "$tmp/bin/pwsh"
    chmod -R u=rwX,go=rX "$tmp"
    # Prove it as a user with an empty environment (no PATH, no DOTNET_ROOT) before it takes the name.
    if ! out=$(cd / && runuser -u "${GROUP_MEMBERS[0]}" -- env -i HOME=/ PATH=/nonexistent "$tmp/bin/pwsh" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>&1) ||
        [ "$out" != "$PWSH_VERSION" ]; then
        rm -rf "$tmp"
        die "pwsh $PWSH_VERSION does not start for ${GROUP_MEMBERS[0]} (is the .NET 10 runtime in /usr/share/dotnet?): $out"
    fi
    rm -rf "$PWSH_DIR.old"
    if [ -e "$PWSH_DIR" ]; then mv "$PWSH_DIR" "$PWSH_DIR.old"; fi
    mv "$tmp" "$PWSH_DIR"
    rm -rf "$PWSH_DIR.old"
fi

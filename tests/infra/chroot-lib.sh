# shellcheck shell=bash
# Definitions shared by the scripts that run the modern Slurm clusters (chroot-cluster-*.sh,
# up.sh, capture-fixtures.sh). Sourced, never executed; sources lib.sh.
#
# Each modern cluster is a Debian root filesystem built with debootstrap from a newer suite (its
# Slurm and OpenSSH come from there) under $AUTOLAB_TESTBED_DIR/clusters/NAME/root. The chroot
# shares the host's network and pid namespace, so every daemon gets its own port, and the host
# reads the chroot's pid files through the root path. Runtime files (state, logs, pid files) live
# inside the chroot under /srv/autolab, so the daemons see the same paths as the host (through the
# root).
SCRIPT_DIR=${SCRIPT_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)}
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

# The clusters up.sh brings up beside the host's 22.05 one; AUTOLAB_CHROOT_CLUSTERS="" skips them.
AUTOLAB_CHROOT_CLUSTERS=${AUTOLAB_CHROOT_CLUSTERS-autolab2411 autolab2605}
export AUTOLAB_CHROOT_CLUSTERS

# The non-root user who owns the jobs on every modern cluster. A fixed uid keeps files written
# through the chroot from the host recognisable (4242 is far from the uids useradd hands out).
ALAB_USER=alab
ALAB_UID=4242
ALAB_HOME=/home/$ALAB_USER
# Where tests may create remote run directories (owned by the user), as seen inside the cluster.
ALAB_SCRATCH=$ALAB_HOME/scratch
# Inside the chroot.
CL_STATE=/srv/autolab

# Packages of the root filesystem. procps: ps/pgrep; tar and coreutils (timeout) are part of the
# base system; openssh-server pulls in openssh-client.
CHROOT_PACKAGES=(slurmctld slurmd slurm-client slurmdbd munge openssh-server procps passwd)

# cluster_def NAME: sets the CL_* variables of one modern cluster. The name is also its Slurm
# ClusterName. The numbers say which Slurm release the cluster was set up for; the release really
# running is read at bring-up (Debian unstable moves on), see chroot-cluster-up.sh.
cluster_def() {
    CL_NAME=$1
    case "$CL_NAME" in
        autolab2411)
            CL_SUITE=trixie # Slurm 24.11, OpenSSH 10.0
            CL_SSH_PORT=2224
            CL_CTLD_PORT=6917
            ;;
        autolab2605)
            CL_SUITE=sid # Slurm 26.05 when this was written; unstable moves on
            CL_SSH_PORT=2225
            CL_CTLD_PORT=7017
            ;;
        *) die "unknown chroot cluster '$CL_NAME' (known: autolab2411, autolab2605)" ;;
    esac
    # slurmd and slurmdbd listen next to the controller; all differ from the host's 6817-6898.
    CL_SLURMD_PORT=$((CL_CTLD_PORT + 1))
    CL_DBD_PORT=$((CL_CTLD_PORT + 2))
    CL_NODE=node${CL_NAME#autolab}
    CL_DIR=$AUTOLAB_TESTBED_DIR/clusters/$CL_NAME
    CL_ROOT=$CL_DIR/root
    # The host's view of /srv/autolab.
    CL_HSTATE=$CL_ROOT$CL_STATE
    CL_ALIAS=$CL_NAME-login
    CL_KNOWN_HOSTS=$AUTOLAB_TESTBED_DIR/ssh/known_hosts_$CL_NAME
    # Accounting lives in the host's MariaDB (trixie's 11.8 breaks slurmdbd 24.11), one database
    # and one user per cluster.
    CL_DB=slurm_acct_$CL_NAME
    CL_DB_USER=$CL_NAME
    # Runs a command as the cluster's user, in the user's home, inside the chroot (PAM-less runuser
    # sets HOME, USER, LOGNAME and SHELL; the working directory would otherwise be /).
    CL_EXEC=(chroot "$CL_ROOT" runuser -u "$ALAB_USER" -- env -C "$ALAB_HOME")
}

# chroot_script_start "$@": how every chroot-cluster-*.sh begins: as root, with one argument, the
# cluster's name, whose definitions it loads; its log lines carry the name.
chroot_script_start() {
    require_root
    [ $# -eq 1 ] || die "usage: $(basename "$0") CLUSTER (one of: autolab2411 autolab2605)"
    cluster_def "$1"
    AUTOLAB_LOG_TAG=$CL_NAME
}

# in_root CMD...: runs CMD as root inside the current cluster's chroot.
in_root() { chroot "$CL_ROOT" "$@"; }

# debian_mirror: prints the Debian archive URI apt on this machine already uses, read from apt's
# own sources (deb822 *.sources and one-line *.list / sources.list), so no mirror is written into
# the repository. The first enabled 'deb' source of the main archive is taken (security and
# -updates suites are skipped: they do not carry the other suites). AUTOLAB_DEBIAN_MIRROR overrides.
debian_mirror() {
    if [ -n "${AUTOLAB_DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "$AUTOLAB_DEBIAN_MIRROR"
        return 0
    fi
    local f uri=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # One paragraph per source; keys are case-insensitive; '#' starts a comment line.
        uri=$(awk '
            function flush() {
                if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no" && suites ~ /(^|[ \t])[a-z]+([ \t]|$)/ && uris != "") {
                    split(uris, u, /[ \t]+/); print u[1]; found = 1; exit
                }
                types = ""; uris = ""; suites = ""; enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "types") types = val
                else if (key == "uris") uris = val
                else if (key == "suites") suites = val
                else if (key == "enabled") enabled = tolower(val)
            }
            END { if (!found) flush() }' "$f")
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ]; then
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            # deb [options] URI SUITE COMPONENTS...; the suite must be a plain name (no -updates).
            uri=$(sed -E 's/\[[^]]*\]//' "$f" \
                | awk '$1 == "deb" && $3 ~ /^[a-z]+$/ { print $2; exit }')
            [ -n "$uri" ] && break
        done
    fi
    case "$uri" in
        http://* | https://* | file:/*) printf '%s\n' "${uri%/}" ;;
        *) return 1 ;;
    esac
}

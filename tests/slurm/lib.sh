# lib.sh: TAP helpers for the integration tests against the real local cluster.
#
# Every test file sources this. The runner (tests/run-all) has already built
# and installed tasksuite under $TS_PREFIX and started the cluster; its
# SLURM_CONF is exported. Tests submit as the unprivileged user $TS_USER so the
# user path (not only root) is what is exercised.

: "${SLURM_CONF:?SLURM_CONF must point at the test cluster (see tests/cluster/cluster.sh)}"
: "${TS_PREFIX:?TS_PREFIX must be the install prefix of the build under test}"
export SLURM_CONF
TS_USER=${TS_USER:-tsuser}
TS_BIN=$TS_PREFIX/bin/tasksuite
# Where the plugins are: PREFIX/lib/slurm for a `make install`; Debian's
# slurm-wlm directory when TS_PREFIX=/usr is the installed package
# (tests/run-all's packaged leg sets it).
TS_PLUGIN_DIR=${TS_PLUGIN_DIR:-$TS_PREFIX/lib/slurm}
TS_CLUSTER_DIR=$(dirname "$(dirname "$SLURM_CONF")")
# The cluster's slurmctld port. Tests that start a cluster of their own put
# it next to this one (TS_CLUSTER_DIR-NAME) on ports derived from this one,
# so two runs with different clusters on one host never meet.
TS_PORT_BASE=$(sed -n 's/^SlurmctldPort=//p' "$SLURM_CONF" 2>/dev/null | head -1)
TS_PORT_BASE=${TS_PORT_BASE:-16817}
# A Slurm from a private prefix (tests/run-all's second leg): its clients,
# for root here and for the test user in as_user(). cluster.sh reads the
# same variable for the clusters tests start themselves.
if [ -n "${TS_SLURM_PREFIX:-}" ]; then
    export TS_SLURM_PREFIX
    case ":$PATH:" in *":$TS_SLURM_PREFIX/bin:"*) ;; *) PATH=$TS_SLURM_PREFIX/bin:$TS_SLURM_PREFIX/sbin:$PATH ;; esac
fi

# ok/is/like/unlike/diag/done_testing, mk_workdir, put, wait_for
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

# A test whose checks need the kill points and test knobs of a build
# configured --enable-fault-injection (TASKSUITE_FAULT*, TASKSUITE_JOB_FAULT;
# src/core/fault.h): against a release build, such as the installed Debian
# package, it is one skipped check, named. Release builds compile the knobs
# away, so their names are not in the binary.
need_fault_injection() {
    if ! grep -q TASKSUITE_FAULT_MAX_ARRAY "$TS_BIN" 2>/dev/null; then
        echo "ok 1 # skip $TS_BIN is a release build (no --enable-fault-injection): this test needs its kill points"
        echo "1..1"
        exit 0
    fi
}

# Run a command as the test user, in the given dir, with the cluster's config.
as_user() {   # as_user DIR CMD...
    local dir=$1; shift
    (cd "$dir" && runuser -u "$TS_USER" -- env -u TASKSUITE_HOME HOME="/home/$TS_USER" \
        SLURM_CONF="$SLURM_CONF" PATH="$TS_PREFIX/bin:${TS_SLURM_PREFIX:+$TS_SLURM_PREFIX/bin:}/usr/bin:/bin" "$@")
}

# Number of the test user's jobs Slurm knows about (any state).
user_job_count() {
    squeue -h -t all -u "$TS_USER" -o %i 2>/dev/null | wc -l
}

# Wait until job ID has left the queue (any end state); timeout in seconds.
wait_job() {   # wait_job ID [TIMEOUT]
    local id=$1 limit=${2:-120} i state
    for ((i = 0; i < limit * 5; i++)); do
        state=$(squeue -h -t all -j "$id" -o %T 2>/dev/null | sort -u | tr '\n' ' ')
        case "$state" in
            # SIGNALING: slurmctld delivering a signal, --signal's warning
            # too (seen: t0605 read its events 20 s before the job's end)
            ""|*PENDING*|*RUNNING*|*CONFIGURING*|*COMPLETING*|*SUSPENDED*|*SIGNALING*) ;;
            *) echo "$state"; return 0 ;;
        esac
        sleep 0.2
    done
    echo "TIMEOUT-WAITING"
    return 1
}

slurmd_log() {   # slurmd_log NODE
    cat "$TS_CLUSTER_DIR/log/slurmd-$1.log" 2>/dev/null
}

# tasksuite as the test user, with a journal private to the test's dir.
ts() {   # ts DIR ARGS...
    local dir=$1; shift
    as_user "$dir" env TASKSUITE_HOME="$dir/.tshome" "$TS_BIN" "$@"
}

# SQL against a test's journal (read-only use). The busy timeout: a read
# can meet the launcher's checkpoint of the WAL on a loaded machine
# ("database is locked"), which is the test's read failing, not the product.
jsql() {   # jsql DIR SQL
    sqlite3 -readonly -cmd ".timeout 10000" "$1/.tshome/journal.db" "$2"
}

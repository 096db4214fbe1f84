#!/usr/bin/env bash
# cluster.sh - a private, throw-away Slurm cluster (munged + slurmctld + N slurmd)
# for the tasksuite tests.  Everything lives under one directory and uses its own
# ports, so it needs no system Slurm/munge configuration and never touches 6817/6818.
#
# Facts this relies on (Slurm 22.05, see SLURM-NOTES.md §1): SLURM_CONF alone points
# daemons and clients at the private cluster; several slurmd on one host work with
# per-node ports and %n in the slurmd paths; munge is reached via AuthInfo=socket=.
# The same holds for Slurm 24.11 built from source (--slurm-prefix).
#
# Run "cluster.sh --help" for usage.  Progress messages go to stderr; on success
# the only line on stdout is "SLURM_CONF=DIR/etc/slurm.conf".
set -euo pipefail

PROG=${0##*/}
TEST_USER=tsuser
TEST_EXTRA_GROUP=tsextra
START_TIMEOUT=30        # seconds until every node must be idle
STOP_GRACE=5            # seconds between SIGTERM and SIGKILL

# Options (defaults; TS_CLUSTER_DIR overrides the directory).
DIR=${TS_CLUSTER_DIR:-/tmp/tasksuite-cluster}
NODES=1
PORT_BASE=16817
PLUGIN=none
PLUGIN_ARGS=
PROLOG_ALLOC=no
CONTAIN=no              # yes: proctrack/cgroup + task/cgroup + PrologFlags=Contain
RUN_IN_JOB=no           # yes: PrologFlags=RunInJob (Slurm 24.05+; implies Contain, Alloc)
MAX_ARRAY_SIZE=1001
MAX_JOB_COUNT=          # empty: Slurm's default (10000), not written
MEM_PER_CPU=            # empty: CR_Core (memory not scheduled); N: CR_Core_Memory, DefMemPerCPU=N
CPUS=16
CRED_EXPIRE=5           # seconds; Slurm's default is 120 (requeued jobs wait for it)
SLURMD_TIMEOUT=         # empty: Slurm's default (300), not written
DAEMON=                 # respawn --daemon NAME
SLURM_PREFIX=${TS_SLURM_PREFIX:-}   # empty: the system's Slurm (PATH, /usr/sbin)
SLURM_PREFIX_GIVEN=
FIRST_JOB_ID=${TS_FIRST_JOB_ID:-}   # empty: Slurm's default (1)

usage() {
    cat <<EOF
Usage: $PROG COMMAND [OPTIONS]

Commands:
  start [--dir DIR] [--nodes N] [--port-base P] [--plugin PATH|none]
        [--plugin-args "k=v ..."] [--prolog-alloc yes|no]
        [--max-array-size N] [--max-job-count N] [--mem-per-cpu MB] [--cpus N]
        [--slurm-prefix P] [--first-job-id N] [--cred-expire S]
        [--run-in-job yes|no] [--slurmd-timeout S]
                  Start (or keep, if already running with the same config, or
                  restart, if the config changed) a private cluster. Nodes n1..nN,
                  slurmctld on port P, slurmd of nI on P+I. Waits until all nodes
                  are idle (timeout ${START_TIMEOUT}s). Also creates the test user
                  $TEST_USER (groups $TEST_USER, $TEST_EXTRA_GROUP) if absent.
                  Last stdout line: SLURM_CONF=DIR/etc/slurm.conf
  stop [--dir DIR]          Stop the cluster's daemons and leftover job steps.
  status [--dir DIR]        Show state and sinfo; exit 0 if running, 1 if not.
  env [--dir DIR]           Print the SLURM_CONF=... line.
  resume-nodes [--dir DIR]  Resume drained/down nodes (best effort).
  respawn [--dir DIR] --daemon slurmctld|slurmd-nI
                            Start that one daemon again if it is not running
                            (a test killed it), with the cluster's current
                            config and state: slurmctld recovers its saved
                            state (no -c), slurmd re-registers. Nothing else
                            is touched (start would restart all and wipe state).
  selftest [--dir DIR]      Run a batch job as root and as $TEST_USER and an srun
                            over all nodes; exit 0 if all work.

Defaults: --dir \$TS_CLUSTER_DIR or /tmp/tasksuite-cluster, --nodes 1,
--port-base 16817, --plugin none (empty plugstack.conf), --prolog-alloc no,
--contain no (yes: cgroup v1 job containment, proctrack/cgroup + task/cgroup +
PrologFlags=Contain, an extern step on every node of every job),
--max-array-size 1001, --max-job-count Slurm's (10000; it counts every
array element, so a 10,000-element array needs more), --mem-per-cpu none
(memory is not scheduled, CR_Core; MB: CR_Core_Memory with DefMemPerCPU=MB,
so every job gets a memory limit), --cpus 16 (advertised
CPUs per node), --slurm-prefix \$TS_SLURM_PREFIX or none: the Slurm in PATH
(Debian's). --slurm-prefix P runs slurmctld/slurmd/slurmstepd from P/sbin and
this script's own clients from P/bin (a Slurm built with --prefix=P, e.g. by
tests/slurm-build); start records it in DIR, so later commands on DIR need no
--slurm-prefix. Jobs and tests must then call P/bin's clients too: put
P/bin first in PATH. --first-job-id N: job ids start at N (clusters on one
host with the same node names then never share a job's cgroup path).
--run-in-job yes: PrologFlags=RunInJob (Slurm 24.05 and newer: prolog and
epilog run in the job's extern step; implies Contain and Alloc, so use it
with --contain yes).
--cred-expire S: munge credential lifetime (default 5; Slurm's own default,
120, is what sites run: a requeued job then waits ~121 s).
--slurmd-timeout S: SlurmdTimeout (default Slurm's 300): how soon a node whose
slurmd died is set DOWN and its jobs end NODE_FAIL.

Example:
  export "\$($PROG start --nodes 3 --plugin /path/tasksuite.so)"
  runuser -u $TEST_USER -- env SLURM_CONF="\$SLURM_CONF" sbatch --chdir=/tmp --wrap true
EOF
}

# ---------------------------------------------------------------- helpers

die()  { echo "$PROG: error: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }

# Poll interval (s) while waiting for daemons; a Slurm RPC here takes ~10 ms.
POLL=0.02

# Binary paths. Debian installs slurmd/slurmctld/slurmstepd as alternatives
# symlinks (slurmd -> slurmd-wlm), and /proc/PID/exe shows the real file, so
# compare against the resolved path.
find_bin() {
    local name=$1 p
    if [[ -n $SLURM_PREFIX && $name == slurm* ]]; then
        p=$SLURM_PREFIX/sbin/$name
        [[ -x $p ]] || die "$name not found in $SLURM_PREFIX/sbin (--slurm-prefix)"
    else
        p=$(command -v "$name" 2>/dev/null) || p=/usr/sbin/$name
        [[ -x $p ]] || die "$name not found (install slurmctld slurmd slurm-client munge)"
    fi
    readlink -f -- "$p"
}

# The Slurm this DIR runs: --slurm-prefix, else what start recorded, else
# the system's. Its clients come first in PATH for this script.
use_slurm_prefix() {
    if [[ -z $SLURM_PREFIX_GIVEN && -r $DIR/.slurm-prefix ]]; then
        SLURM_PREFIX=$(<"$DIR/.slurm-prefix")
    fi
    if [[ -n $SLURM_PREFIX ]]; then
        [[ $SLURM_PREFIX == /* && -x $SLURM_PREFIX/sbin/slurmctld && -x $SLURM_PREFIX/bin/sinfo ]] \
            || die "--slurm-prefix: no Slurm installed in '$SLURM_PREFIX' (sbin/slurmctld, bin/sinfo)"
        PATH=$SLURM_PREFIX/bin:$SLURM_PREFIX/sbin:$PATH
    fi
}

set_paths() {
    # Absolute DIR: daemons chdir, and the path ends up in slurm.conf.
    [[ $DIR == /* ]] || DIR=$PWD/$DIR
    DIR=${DIR%/}
    [[ -n $DIR && $DIR != *[[:space:]]* ]] || die "--dir: need a path without spaces (it goes into slurm.conf)"
    MARKER=$DIR/.tasksuite-cluster
    ETC=$DIR/etc
    CONF=$ETC/slurm.conf
    PLUGSTACK=$ETC/plugstack.conf
    RUN=$DIR/run
    LOG=$DIR/log
    SPOOL=$DIR/spool
    STATE=$DIR/state
    MUNGE_DIR=$DIR/munge
    MUNGE_SOCK=$MUNGE_DIR/munge.sock
    MUNGE_KEY=$MUNGE_DIR/munge.key
}

need_int() {  # need_int OPTION VALUE MIN MAX
    if ! [[ $2 =~ ^[0-9]+$ ]] || (( 10#$2 < $3 || 10#$2 > $4 )); then
        die "$1: expected an integer in $3..$4, got '$2'"
    fi
}

# Environment for the daemons: a clean one, so a caller's SLURM_* variables (or
# anything else) cannot leak into slurmd/slurmstepd and the jobs' prolog.
daemon_env() {
    printf '%s\n' env -i PATH="${SLURM_PREFIX:+$SLURM_PREFIX/sbin:$SLURM_PREFIX/bin:}/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root LANG=C \
        "SLURM_CONF=$CONF"
}

# Start a daemon in the foreground mode of its own, detached (setsid), with all
# inherited descriptors above 2 closed: otherwise a daemon would keep e.g. a
# caller's $(...) pipe or a make jobserver fd open and hang the caller.
# The subshell execs env, which execs setsid, which execs the daemon (setsid does
# not fork when not a group leader), so $! is the daemon's pid.
spawn() {  # spawn NAME CMD...
    local name=$1; shift
    local -a envcmd
    mapfile -t envcmd < <(daemon_env)
    (
        for fd in "/proc/$BASHPID/fd/"*; do
            fd=${fd##*/}
            if (( fd > 2 )); then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        cd /
        exec "${envcmd[@]}" setsid "$@" </dev/null >>"$LOG/$name.console" 2>&1
    ) &
    local pid=$!
    echo "$pid" >"$RUN/$name.pid"
    # Until the exec chain is through, /proc/PID/exe is bash/env/setsid and the
    # daemon would look dead to pid_is(): wait for the exec (or the exit).
    wait_for 5 exec_done "$pid" "$1" || start_failed "$name did not start"
}

exec_done() {  # exec_done PID BINARY: PID runs BINARY or is gone
    local exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 0
    [[ ${exe% (deleted)} == "$2" ]] || ! pid_alive "$1"
}

pid_alive() {  # not gone and not a zombie
    local state
    state=$(awk '/^State:/ {print $2; exit}' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# True if PID is alive (not a zombie) and runs BINARY. Killed daemons can stay
# zombies for a while here, and kill -0 succeeds on zombies.
pid_is() {  # pid_is PID BINARY
    local pid=$1 bin=$2 exe
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    exe=${exe% (deleted)}
    [[ $exe == "$bin" ]] && pid_alive "$pid"
}

# Binary expected for a pid file name (munged.pid, slurmctld.pid, slurmd-nI.pid).
bin_for_pidfile() {
    case ${1##*/} in
        munged.pid)    echo "$MUNGED_BIN" ;;
        slurmctld.pid) echo "$SLURMCTLD_BIN" ;;
        slurmd-*.pid)  echo "$SLURMD_BIN" ;;
        *)             return 1 ;;
    esac
}

pidfile_alive() {  # pidfile_alive FILE -> true if its pid is ours and running
    local f=$1 pid bin
    [[ -r $f ]] || return 1
    pid=$(<"$f") && bin=$(bin_for_pidfile "$f") || return 1
    pid_is "$pid" "$bin"
}

# Wait until CMD succeeds or SECONDS pass.
wait_for() {  # wait_for SECONDS CMD...
    local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
    until "$@"; do
        (( $(date +%s%N) < deadline )) || return 1
        sleep "$POLL"
    done
}

# Print the last lines of the logs of daemons that died, or of all daemons if
# none died (e.g. a timeout). Slurm's own *.log is preferred; the *.console
# capture holds what was printed before the log file was opened (and munged's).
log_tail() {
    local f name
    local -a dead
    mapfile -t dead < <(dead_daemons)
    (( ${#dead[@]} )) || mapfile -t dead < <(dead_daemons alive)
    for name in "${dead[@]}"; do
        f=$LOG/$name.log
        [[ -s $f ]] || f=$LOG/$name.console
        [[ -s $f ]] || continue
        echo "---- last lines of $f" >&2
        tail -n 8 "$f" >&2
    done
}

# Is anything listening on TCP PORT (v4 or v6)? Parsed from /proc so it needs no ss.
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p {f=1} END {exit !f}' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

slurm() {  # run a Slurm client against this cluster
    SLURM_CONF=$CONF "$@"
}

# start wipes DIR/state, DIR/spool and DIR/log: only ever do that in a directory
# this script created (marker file) or in a new/empty one.
claim_dir() {
    if [[ -e $DIR && ! -e $MARKER ]]; then
        [[ -d $DIR ]] || die "$DIR exists and is not a directory"
        [[ -z $(ls -A "$DIR") ]] || die "$DIR exists, is not empty and is not a cluster directory of $PROG"
    fi
    mkdir -p "$DIR"
    touch "$MARKER"
}

# Serialise start/stop/resume on one DIR (tests may call start in parallel).
# fd 9 is not inherited by the daemons: spawn() closes all fds above 2.
lock_dir() {
    exec 9>"$DIR/.lock"
    flock -w 120 9 || die "could not lock $DIR/.lock within 120s"
}

# ---------------------------------------------------------------- test user

# Unprivileged user for submitting as non-root: primary group tsuser, extra
# group tsextra (tests check supplementary groups survive into the job).
ensure_test_user() {
    getent group "$TEST_EXTRA_GROUP" >/dev/null || groupadd "$TEST_EXTRA_GROUP"
    if ! id "$TEST_USER" >/dev/null 2>&1; then
        local -a grp=(-U)
        getent group "$TEST_USER" >/dev/null && grp=(-g "$TEST_USER")
        useradd -m -d "/home/$TEST_USER" "${grp[@]}" -G "$TEST_EXTRA_GROUP" \
            -s /bin/bash "$TEST_USER"
        note "created user $TEST_USER"
    elif ! id -nG "$TEST_USER" | tr ' ' '\n' | grep -qx "$TEST_EXTRA_GROUP"; then
        usermod -aG "$TEST_EXTRA_GROUP" "$TEST_USER"
    fi
}

# ---------------------------------------------------------------- config

render_slurm_conf() {
    local i
    cat <<EOF
# Generated by tests/cluster/cluster.sh - do not edit, rewritten on each start.
ClusterName=tasksuite-test
# "localhost" is accepted by slurmctld as its own host whatever hostname says.
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$PORT_BASE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# Private munged; cred_expire=5 (default) so a requeued job reruns after ~10 s, not 121 s.
AuthInfo=socket=$MUNGE_SOCK,cred_expire=$CRED_EXPIRE
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL/slurmd-%n
# The daemons' own pid files; run/*.pid are written by this script (a daemon
# rewriting the file we poll would race with the poll).
SlurmctldPidFile=$SPOOL/slurmctld.pid
SlurmdPidFile=$SPOOL/slurmd-%n.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$PLUGSTACK
EOF
    if [[ $CONTAIN == yes ]]; then
        echo "ProctrackType=proctrack/cgroup"
        echo "TaskPlugin=task/cgroup"
    else
        echo "ProctrackType=proctrack/linuxproc"
        echo "TaskPlugin=task/none"
    fi
    cat <<EOF
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core${MEM_PER_CPU:+_Memory}
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.txt
ReturnToService=2
KillWait=5
MailProg=/bin/true
# batch_sched_delay=0: 2-3x array throughput on a small test box.
SchedulerParameters=batch_sched_delay=0
# 60 s: the default 10 drained the node under large arrays with PrologFlags=Alloc.
MessageTimeout=60
MinJobAge=300
JobRequeue=1
MaxArraySize=$MAX_ARRAY_SIZE
# Advertise more CPUs than exist so many array elements run at once;
# config_overrides stops slurmd from draining the node for it.
SlurmdParameters=config_overrides
EOF
    local flags=()
    [[ $PROLOG_ALLOC == yes ]] && flags+=(Alloc)
    [[ $CONTAIN == yes ]] && flags+=(Contain)
    [[ $RUN_IN_JOB == yes ]] && flags+=(RunInJob)
    (( ${#flags[@]} )) && (IFS=,; echo "PrologFlags=${flags[*]}")
    [[ -z $MAX_JOB_COUNT ]] || echo "MaxJobCount=$MAX_JOB_COUNT"
    [[ -z $MEM_PER_CPU ]] || echo "DefMemPerCPU=$MEM_PER_CPU"
    [[ -z $FIRST_JOB_ID ]] || echo "FirstJobId=$FIRST_JOB_ID"
    [[ -z $SLURMD_TIMEOUT ]] || echo "SlurmdTimeout=$SLURMD_TIMEOUT"
    for (( i = 1; i <= NODES; i++ )); do
        echo "NodeName=n$i NodeHostname=localhost NodeAddr=127.0.0.1 Port=$(( PORT_BASE + i )) CPUs=$CPUS RealMemory=4000 State=UNKNOWN"
    done
    echo "PartitionName=debug Nodes=$( (( NODES == 1 )) && echo n1 || echo "n[1-$NODES]") Default=YES MaxTime=INFINITE State=UP"
}

# Read by slurmd from the directory of SLURM_CONF. cgroup v1 (what these
# machines mount); cores and RAM are not constrained: the nodes advertise
# more CPUs than exist, and containment (one cgroup per job and step, killed
# as a whole) is what the tests need.
render_cgroup_conf() {
    echo "# Generated by tests/cluster/cluster.sh"
    echo "CgroupPlugin=cgroup/v1"
    echo "CgroupMountpoint=/sys/fs/cgroup"
    echo "ConstrainCores=no"
    # With containment, the job's memory cgroup has its limit (RealMemory
    # below, or the job's --mem): what a hook must count against.
    [[ $CONTAIN == yes ]] && echo "ConstrainRAMSpace=yes" || echo "ConstrainRAMSpace=no"
}

render_plugstack() {
    echo "# Generated by tests/cluster/cluster.sh"
    [[ $PLUGIN == none ]] || echo "required $PLUGIN${PLUGIN_ARGS:+ $PLUGIN_ARGS}"
}

# Identity of a configuration: both files plus the plugin's content (a rebuilt
# plugin needs a slurmd restart: prolog/epilog hooks are loaded by slurmd).
fingerprint() {
    {
        render_slurm_conf
        render_plugstack
        render_cgroup_conf
        [[ $PLUGIN == none ]] || sha256sum <"$PLUGIN"
        echo "$MUNGED_BIN $SLURMCTLD_BIN $SLURMD_BIN"
    } | sha256sum | cut -d' ' -f1
}

# ---------------------------------------------------------------- state

# Running = every pid file in run/ belongs to a live daemon of ours, and there
# is a munged, a slurmctld and at least one slurmd.
cluster_running() {
    local f n=0
    pidfile_alive "$RUN/munged.pid" || return 1
    pidfile_alive "$RUN/slurmctld.pid" || return 1
    for f in "$RUN"/slurmd-*.pid; do
        [[ -e $f ]] || continue
        pidfile_alive "$f" || return 1
        n=$(( n + 1 ))
    done
    (( n > 0 ))
}

# Every daemon spawned so far (all pid files in run/) is still alive.
spawned_alive() {
    [[ -z $(dead_daemons) ]]
}

# Names (munged, slurmctld, slurmd-nI) of daemons with a pid file in run/ that
# are not running; with "alive", the running ones instead.
dead_daemons() {  # dead_daemons [alive]
    local f name
    for f in "$RUN"/*.pid; do
        [[ -e $f ]] || continue
        name=${f##*/}; name=${name%.pid}
        if pidfile_alive "$f"; then
            [[ ${1:-} == alive ]] && echo "$name"
        else
            [[ ${1:-} == alive ]] || echo "$name"
        fi
    done
    return 0
}

# sinfo's per-node state; true when NODES nodes are reported and all are idle.
all_nodes_idle() {
    local out
    out=$(slurm sinfo -h -N -o '%N %T' 2>/dev/null) || return 1
    [[ $(grep -c . <<<"$out") -eq $NODES ]] || return 1
    ! grep -qv ' idle$' <<<"$out"
}

ctld_answers() { slurm scontrol ping 2>/dev/null | grep -q 'is UP'; }

# Poll predicate for start: 0 when done, 1 to keep waiting. A daemon that died
# (e.g. slurmd refusing a broken SPANK plugin) fails the start at once instead
# of after the whole timeout.
ready_or_dead() {  # ready_or_dead CHECK
    if ! spawned_alive; then
        start_failed "exited during startup: $(dead_daemons | paste -sd' ') (log lines follow)"
    fi
    "$1"
}

# ---------------------------------------------------------------- stop

# Arguments of the next functions are "pid:binary" pairs; a process is only
# signalled or waited for while it still runs that binary, so a reused pid is
# never hit.
none_alive() {
    local pb
    for pb in "$@"; do pid_is "${pb%%:*}" "${pb#*:}" && return 1; done
    return 0
}

signal_pairs() {  # signal_pairs SIGNAL PAIRS...: prints the pairs it signalled
    local sig=$1 pb; shift
    for pb in "$@"; do
        pid_is "${pb%%:*}" "${pb#*:}" || continue
        kill -"$sig" "${pb%%:*}" 2>/dev/null && echo "$pb"
    done
    return 0
}

# TERM, wait up to STOP_GRACE s, KILL what is left, wait again.
terminate() {
    local -a live left
    mapfile -t live < <(signal_pairs TERM "$@")
    (( ${#live[@]} )) || return 0
    wait_for "$STOP_GRACE" none_alive "${live[@]}" && return 0
    mapfile -t left < <(signal_pairs KILL "${live[@]}")
    note "killed (SIGKILL) after ${STOP_GRACE}s: ${left[*]%%:*}"
    wait_for 5 none_alive "${left[@]}" || note "warning: still alive: ${left[*]%%:*}"
}

# SIGKILL at once and wait until gone. For leftover steps: slurmstepd ignores
# SIGTERM and an orphaned srun waits on it, so a polite TERM would only cost
# STOP_GRACE seconds per stop.
kill_now() {
    local -a live
    mapfile -t live < <(signal_pairs KILL "$@")
    (( ${#live[@]} )) || return 0
    wait_for 5 none_alive "${live[@]}" || note "warning: still alive: ${live[*]%%:*}"
}

# Daemons from pid files matching GLOB, as pid:binary pairs.
pidfile_pairs() {
    local f pid bin
    for f in "$RUN"/$1; do
        [[ -r $f ]] || continue
        pid=$(<"$f") bin=$(bin_for_pidfile "$f") || continue
        echo "$pid:$bin"
    done
}

# slurmstepd processes of this cluster (they outlive slurmd by design) and the
# job processes below them. A stepd is ours if its environment has our
# SLURM_CONF (slurmd passes it on). Prints pid:binary pairs, children first.
stray_steps() {
    local p pid exe
    local -a stepds=()
    # find reads the exe links itself: one fork instead of one per process.
    while read -r p; do
        p=${p%/exe}
        grep -qzxF "SLURM_CONF=$CONF" "$p/environ" 2>/dev/null || continue
        stepds+=("${p#/proc/}")
    done < <(find /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*/exe' \
                  \( -lname "$SLURMSTEPD_BIN" -o -lname "$SLURMSTEPD_BIN (deleted)" \) 2>/dev/null)
    (( ${#stepds[@]} )) || return 0
    # Descendants of the stepds (the job's processes), from a ppid map; the exe
    # of each is recorded so kill_now() only signals the same program.
    ps -e -o pid=,ppid= | awk -v roots="${stepds[*]}" '
        { kids[$2] = kids[$2] " " $1 }
        END {
            n = split(roots, q, " ")
            for (i = 1; i <= n; i++) {
                m = split(kids[q[i]], k, " ")
                for (j = 1; j <= m; j++) { q[++n] = k[j]; out[k[j]] = 1 }
            }
            for (p in out) print p
        }' | while read -r pid; do
        [[ $pid == "$$" ]] && continue
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null) && echo "$pid:${exe% (deleted)}"
    done
    for pid in "${stepds[@]}"; do echo "$pid:$SLURMSTEPD_BIN"; done
}

do_stop() {
    local -a pairs
    # slurmctld first (no new work is scheduled), then the slurmds, then whatever
    # job steps survived them, munged last (stepds may still need credentials).
    mapfile -t pairs < <(pidfile_pairs slurmctld.pid); terminate "${pairs[@]}"
    mapfile -t pairs < <(pidfile_pairs 'slurmd-*.pid'); terminate "${pairs[@]}"
    mapfile -t pairs < <(stray_steps)
    (( ${#pairs[@]} )) && note "killing ${#pairs[@]} leftover job step process(es)"
    kill_now "${pairs[@]}"
    mapfile -t pairs < <(pidfile_pairs munged.pid); terminate "${pairs[@]}"
    rm -f "$RUN"/*.pid "$RUN/fingerprint" "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
}

# ---------------------------------------------------------------- start

check_dir_readable_by_test_user() {
    runuser -u "$TEST_USER" -- test -r "$CONF" -a -x "$MUNGE_DIR" 2>/dev/null \
        || note "warning: $TEST_USER cannot read $CONF (a parent of $DIR is not traversable): non-root clients will fail"
    [[ $PLUGIN == none ]] || runuser -u "$TEST_USER" -- test -r "$PLUGIN" 2>/dev/null \
        || note "warning: $TEST_USER cannot read $PLUGIN: its sbatch/srun will fail to load plugstack"
}

# Fresh directories. State, spool and logs of an earlier incarnation are moved
# away/removed so job ids, node states and logs start clean; the munge key stays.
prepare_dirs() {
    local i
    umask 022
    # Readable by tsuser (clients read slurm.conf); not group/world writable
    # (munged refuses keys below such directories).
    chmod 0755 "$DIR"
    rm -rf "$STATE" "$SPOOL" "$LOG.prev"
    [[ -d $LOG ]] && mv "$LOG" "$LOG.prev"
    mkdir -p "$ETC" "$RUN" "$LOG" "$SPOOL" "$MUNGE_DIR"
    # slurmd would create its spool dir itself, but logs an error first.
    for (( i = 1; i <= NODES; i++ )); do mkdir -p "$SPOOL/slurmd-n$i"; done
    mkdir -m 0700 "$STATE"
    chmod 0755 "$ETC" "$RUN" "$LOG" "$SPOOL" "$MUNGE_DIR"
    if [[ ! -s $MUNGE_KEY ]]; then
        (umask 077; dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none)
    fi
    chmod 0600 "$MUNGE_KEY"
    render_slurm_conf >"$CONF"
    render_plugstack >"$PLUGSTACK"
    render_cgroup_conf >"$ETC/cgroup.conf"
    chmod 0644 "$CONF" "$PLUGSTACK" "$ETC/cgroup.conf"
}

start_failed() {
    echo "$PROG: error: $*" >&2
    log_tail
    do_stop
    exit 1
}

do_start() {
    local i port fp
    ensure_test_user
    fp=$(fingerprint)

    if cluster_running && [[ -r $RUN/fingerprint && $(<"$RUN/fingerprint") == "$fp" ]] \
        && ctld_answers; then
        note "already running in $DIR with the same configuration"
        echo "SLURM_CONF=$CONF"
        return 0
    fi
    if compgen -G "$RUN/*.pid" >/dev/null; then
        note "configuration changed or cluster incomplete: restarting"
        do_stop
    fi

    # Refuse foreign listeners: a slurmd of ours could otherwise register with
    # someone else's slurmctld on the same port.
    for (( port = PORT_BASE; port <= PORT_BASE + NODES; port++ )); do
        port_in_use "$port" && die "TCP port $port is already in use (another cluster? use --port-base)"
    done

    prepare_dirs
    if [[ -n $SLURM_PREFIX ]]; then echo "$SLURM_PREFIX" >"$DIR/.slurm-prefix"; else rm -f "$DIR/.slurm-prefix"; fi
    check_dir_readable_by_test_user

    spawn munged "$MUNGED_BIN" --foreground --force --socket="$MUNGE_SOCK" \
        --key-file="$MUNGE_KEY" --pid-file="$MUNGE_DIR/munged.pid" \
        --log-file="$LOG/munged.log" --seed-file="$MUNGE_DIR/munged.seed"
    wait_for 10 test -S "$MUNGE_SOCK" || start_failed "munged did not create $MUNGE_SOCK"

    # -D: foreground, so the pid we recorded is the daemon's. State is fresh.
    spawn slurmctld "$SLURMCTLD_BIN" -D -c
    # slurmd registers once at startup, so the controller must answer first.
    wait_for 15 ready_or_dead ctld_answers || start_failed "slurmctld did not answer on port $PORT_BASE"

    for (( i = 1; i <= NODES; i++ )); do
        spawn "slurmd-n$i" "$SLURMD_BIN" -D -N "n$i"
    done
    wait_for "$START_TIMEOUT" ready_or_dead all_nodes_idle \
        || start_failed "nodes not idle after ${START_TIMEOUT}s: $(slurm sinfo -h -N -o '%N=%T' 2>&1 | tr '\n' ' ')"
    echo "$fp" >"$RUN/fingerprint"
    note "running in $DIR: $NODES node(s), slurmctld port $PORT_BASE"
    echo "SLURM_CONF=$CONF"
}

# ---------------------------------------------------------------- other commands

do_status() {
    if cluster_running; then
        echo "running ($DIR)"
        slurm sinfo -N -o '%10N %10T %5c %P' || true
        return 0
    fi
    local alive dead
    alive=$(dead_daemons alive | paste -sd' ')
    dead=$(dead_daemons | paste -sd' ')
    if [[ -n $alive ]]; then
        echo "incomplete ($DIR): alive: $alive; dead: ${dead:-none} (run start to restart)"
    else
        echo "not running ($DIR)"
    fi
    return 1
}

# Start one daemon a test killed, without touching anything else (start
# would restart the whole cluster and wipe its state). slurmctld without -c
# recovers jobs and nodes from StateSaveLocation.
do_respawn() {
    local node
    [[ -e $MARKER && -r $CONF && -r $RUN/fingerprint ]] || die "no cluster was started in $DIR"
    case $DAEMON in
        slurmctld) ;;
        slurmd-n[0-9]*)
            node=${DAEMON#slurmd-}
            grep -q "^NodeName=$node " "$CONF" || die "--daemon: no node $node in $CONF" ;;
        *) die "--daemon: expected slurmctld or slurmd-nI, got '$DAEMON'" ;;
    esac
    if pidfile_alive "$RUN/$DAEMON.pid"; then
        note "$DAEMON is running"
        return 0
    fi
    if [[ $DAEMON == slurmctld ]]; then
        spawn slurmctld "$SLURMCTLD_BIN" -D
        wait_for 30 ctld_answers || die "slurmctld did not answer within 30s after respawn (see $LOG/slurmctld.log)"
    else
        spawn "$DAEMON" "$SLURMD_BIN" -D -N "$node"
    fi
    note "respawned $DAEMON"
}

do_resume_nodes() {
    local nodes
    cluster_running || die "cluster in $DIR is not running"
    nodes=$(slurm sinfo -h -N -t drain,down,fail -o '%N' | sort -u | paste -sd, -) || true
    [[ -n $nodes ]] || { note "no drained/down nodes"; return 0; }
    slurm scontrol update nodename="$nodes" state=resume || note "warning: resume of $nodes failed"
    # A node resumed from DOWN is "not responding" (idle*) until slurmctld hears
    # from it again; wait so the caller's next job can use it.
    wait_for 15 nodes_usable "$nodes" \
        || note "warning: not usable yet: $(slurm sinfo -h -N -n "$nodes" -o '%N=%t' | paste -sd' ')"
    note "resumed $nodes"
}

nodes_usable() {  # nodes_usable NODELIST: none drained/down/not responding
    local states
    states=$(slurm sinfo -h -N -n "$1" -o '%t' 2>/dev/null) || return 1
    ! grep -qE '\*|drain|drng|down|fail' <<<"$states"
}

# End-to-end check: batch job as root and as the test user, srun over all nodes.
do_selftest() {
    local nodes rc=0
    cluster_running || die "cluster in $DIR is not running"
    nodes=$(slurm sinfo -h -o '%D' | head -n1)
    WORK=$(mktemp -d /tmp/ts-selftest.XXXXXX)
    chmod 0777 "$WORK"      # the test user writes its job output here
    check "sbatch as root" st_root_batch || rc=1
    check "sbatch as $TEST_USER, in group $TEST_EXTRA_GROUP" st_user_batch || rc=1
    check "srun -N$nodes -n$nodes as $TEST_USER reaches n1..n$nodes" st_user_srun "$nodes" || rc=1
    rm -rf "$WORK"
    return "$rc"
}

check() {  # check DESCRIPTION CMD...: run CMD, print ok/FAIL
    local desc=$1; shift
    if "$@"; then echo "ok: $desc"; return 0; fi
    echo "FAIL: $desc"
    return 1
}

as_test_user() {  # run a Slurm client as the test user, from a dir it can use
    (cd "$WORK" && runuser -u "$TEST_USER" -- env SLURM_CONF="$CONF" "$@")
}

st_root_batch() {
    slurm sbatch --wait --quiet --chdir="$WORK" -o root.out --wrap 'id -un' \
        && [[ $(<"$WORK/root.out") == root ]]
}

st_user_batch() {
    as_test_user sbatch --wait --quiet --chdir="$WORK" -o user.out --wrap 'id -un; id -Gn' \
        && grep -qx "$TEST_USER" "$WORK/user.out" \
        && grep -qw "$TEST_EXTRA_GROUP" "$WORK/user.out"
}

st_user_srun() {  # st_user_srun NODES: one task per node, each on another node
    local seen
    seen=$(as_test_user srun -N"$1" -n"$1" printenv SLURMD_NODENAME | sort -u | wc -l)
    [[ $seen -eq $1 ]]
}

# ---------------------------------------------------------------- main

parse_options() {
    while (( $# )); do
        case $1 in
            --dir)            DIR=${2:?--dir needs a value}; shift ;;
            --nodes)          NODES=${2:-}; shift ;;
            --port-base)      PORT_BASE=${2:-}; shift ;;
            --plugin)         PLUGIN=${2:?--plugin needs a value}; shift ;;
            --plugin-args)    PLUGIN_ARGS=${2-}; shift ;;
            --prolog-alloc)   PROLOG_ALLOC=${2:-}; shift ;;
            --contain)        CONTAIN=${2:-}; shift ;;
            --max-array-size) MAX_ARRAY_SIZE=${2:-}; shift ;;
            --max-job-count)  MAX_JOB_COUNT=${2:-}; shift ;;
            --mem-per-cpu)    MEM_PER_CPU=${2:-}; shift ;;
            --cpus)           CPUS=${2:-}; shift ;;
            --slurm-prefix)   SLURM_PREFIX=${2%/}; SLURM_PREFIX_GIVEN=1; shift ;;
            --first-job-id)   FIRST_JOB_ID=${2:-}; shift ;;
            --run-in-job)     RUN_IN_JOB=${2:-}; shift ;;
            --cred-expire)    CRED_EXPIRE=${2:-}; shift ;;
            --slurmd-timeout) SLURMD_TIMEOUT=${2:-}; shift ;;
            --daemon)         DAEMON=${2:-}; shift ;;
            --dir=*|--nodes=*|--port-base=*|--plugin=*|--plugin-args=*|--prolog-alloc=*|--contain=*|--max-array-size=*|--max-job-count=*|--mem-per-cpu=*|--cpus=*|--slurm-prefix=*|--first-job-id=*|--cred-expire=*|--run-in-job=*|--slurmd-timeout=*|--daemon=*)
                              parse_options "${1%%=*}" "${1#*=}" ;;
            -h|--help)        usage; exit 0 ;;
            *)                die "unknown option '$1' (see --help)" ;;
        esac
        shift
    done
}

validate_options() {
    need_int --nodes "$NODES" 1 64
    need_int --port-base "$PORT_BASE" 1024 $(( 65535 - NODES ))
    need_int --max-array-size "$MAX_ARRAY_SIZE" 1 4000000
    [[ -z $MAX_JOB_COUNT ]] || need_int --max-job-count "$MAX_JOB_COUNT" 1 10000000
    [[ -z $MEM_PER_CPU ]] || need_int --mem-per-cpu "$MEM_PER_CPU" 1 4000
    need_int --cpus "$CPUS" 1 1024
    need_int --cred-expire "$CRED_EXPIRE" 1 100000
    [[ -z $SLURMD_TIMEOUT ]] || need_int --slurmd-timeout "$SLURMD_TIMEOUT" 1 65533
    [[ -z $FIRST_JOB_ID ]] || need_int --first-job-id "$FIRST_JOB_ID" 1 60000000
    [[ $PROLOG_ALLOC == yes || $PROLOG_ALLOC == no ]] || die "--prolog-alloc: expected yes or no"
    [[ $CONTAIN == yes || $CONTAIN == no ]] || die "--contain: expected yes or no"
    [[ $RUN_IN_JOB == yes || $RUN_IN_JOB == no ]] || die "--run-in-job: expected yes or no"
    [[ $PLUGIN_ARGS != *$'\n'* ]] || die "--plugin-args must be one line"
    if [[ $PLUGIN != none ]]; then
        [[ $PLUGIN == /* ]] || PLUGIN=$PWD/$PLUGIN
        [[ -f $PLUGIN && -r $PLUGIN ]] || die "--plugin: no readable file $PLUGIN"
        [[ $PLUGIN != *[[:space:]]* ]] || die "--plugin: path must not contain spaces"
    fi
}

main() {
    local cmd=${1:-}
    [[ -n $cmd ]] || { usage >&2; exit 2; }
    shift
    case $cmd in
        -h|--help|help) usage; exit 0 ;;
        start|stop|status|env|resume-nodes|respawn|selftest) ;;
        *) die "unknown command '$cmd' (see --help)" ;;
    esac
    parse_options "$@"
    umask 022
    if [[ $cmd == start ]]; then validate_options; fi
    [[ $(id -u) == 0 ]] || [[ $cmd == env ]] || die "must run as root (daemons run as root)"
    set_paths
    [[ -n $SLURM_PREFIX ]] && SLURM_PREFIX_GIVEN=1
    use_slurm_prefix
    MUNGED_BIN=$(find_bin munged)
    SLURMCTLD_BIN=$(find_bin slurmctld)
    SLURMD_BIN=$(find_bin slurmd)
    SLURMSTEPD_BIN=$(find_bin slurmstepd)

    case $cmd in
        start)        claim_dir; lock_dir; do_start ;;
        stop)
            # Nothing of ours can run in a directory without the marker.
            if [[ -e $MARKER ]]; then lock_dir; do_stop; fi
            note "stopped ($DIR)" ;;
        status)       do_status ;;
        env)          echo "SLURM_CONF=$CONF" ;;
        resume-nodes) if [[ -e $MARKER ]]; then lock_dir; fi; do_resume_nodes ;;
        respawn)      lock_dir; do_respawn ;;
        selftest)     do_selftest ;;
    esac
}

main "$@"

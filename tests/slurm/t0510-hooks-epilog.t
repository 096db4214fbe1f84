#!/usr/bin/env bash
# The cases of t0500-hooks.t on a cluster WITHOUT PrologFlags=Contain
# (proctrack/linuxproc, PrologFlags=Alloc), where env_cleanup needs the job
# epilog of tasksuite_epilog.so; then user_hooks=no; then plain tasksuite.so
# there: preparation works, and the missing cleanup is said, not silent.
# Uses a cluster of its own (own directory, ports and state_dir), so the
# runner's cluster is untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hooks-cases.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
CL=$SRC/tests/cluster/cluster.sh
D=$TS_CLUSTER_DIR-hooks-epilog
STATE=$(cluster_state_dir "$SLURM_CONF")-alloc
PORT=${TS_EPILOG_PORT_BASE:-$((TS_PORT_BASE + 2300))}
PLUGIN=$TS_PLUGIN_DIR/tasksuite_epilog.so
trap '"$CL" stop --dir "$D" >/dev/null 2>&1; rm -rf "$D" "$STATE"' EXIT

start() {   # start PLUGIN-ARGS [PLUGIN]: (re)start the private cluster; exports its SLURM_CONF
    local conf
    conf=$("$CL" start --dir "$D" --port-base "$PORT" --nodes 2 --prolog-alloc yes \
           --plugin "${2:-$PLUGIN}" --plugin-args "$1" 2>"$D.start.log" | tail -1)
    [ -n "$conf" ] || { tail -5 "$D.start.log" >&2; return 1; }
    export "$conf"
    TS_CLUSTER_DIR=$D
}

mkdir -p "$(dirname "$D")"
start "state_dir=$STATE log_level=debug"
ok $? "a 2-node cluster with PrologFlags=Alloc, without Contain, with tasksuite_epilog.so starts"
is "$(cluster_prolog_alloc "$SLURM_CONF")" yes "it has PrologFlags=Alloc"

hook_cases yes "$STATE"

# ---------------------------------------------------------------- user_hooks=no
start "state_dir=$STATE user_hooks=no"
W=$(mk_workdir)
suite "$W" off 'true' 'true'
err=$(as_user "$W" sbatch --wait -N1 -n1 -o "$W/off.out" --task-suite=off.yaml --wrap 'echo ran' 2>&1)
ok $? "user_hooks=no: the job still runs"
like "$err" 'tasksuite: warning: user hooks are disabled on this cluster \(user_hooks=no\): env_preparation will not run' \
    "sbatch warns the user at submission"
is "$(cat "$W/off.out" 2>/dev/null)" ran "its task ran"
sleep 1
is "$(marks "$W" prep)/$(marks "$W" cleanup)" "0/0" "no hook ran"
like "$(slurmd_log n1; slurmd_log n2)" 'tasksuite: job [0-9]+: user hooks are disabled \(user_hooks=no\): env_preparation not run on n[12]' \
    "slurmd's log says they were skipped"
rm -rf "$W"

# ---------------------------------------------------------------- tasksuite.so, no Contain
# Preparation works; env_cleanup has no end-of-allocation hook to run from,
# and slurmd's log says so instead of staying silent.
start "state_dir=$STATE" "$TS_PLUGIN_DIR/tasksuite.so"
ok $? "the same cluster with plain tasksuite.so (no job epilog, no Contain)"
W=$(mk_workdir)
suite "$W" plain 'true' 'true'
out=$(as_user "$W" sbatch --wait -N1 -n1 -o "$W/plain.out" --task-suite=plain.yaml --wrap 'echo ran' 2>&1)
jobid=$(printf '%s\n' "$out" | jobid_of)
is "$(cat "$W/plain.out" 2>/dev/null)" ran "its task ran"
is "$(marks "$W" prep "" "$jobid")" 1 "env_preparation ran"
sleep 2
is "$(marks "$W" cleanup "" "$jobid")" 0 "env_cleanup did not (nothing ends the allocation for the plugin)"
like "$(slurmd_log n1; slurmd_log n2)" "tasksuite: job $jobid: env_preparation on n[12].*without PrologFlags=Contain \(or tasksuite_epilog.so\) env_cleanup will not run on n[12]" \
    "slurmd's log says env_cleanup will not run, and what would make it"
rm -rf "$W"

done_testing

#!/usr/bin/env bash
# The cases of t0500-hooks.t with PrologFlags=RunInJob (Slurm 24.05 and
# newer: prolog and epilog run inside the job's extern step; the flag implies
# Contain and Alloc). tasksuite.so defines no job prolog or epilog, so it
# must behave as in configuration (a) of tasksuite.so(8): preparation from
# the job's first task on a node, cleanup from the extern step's
# slurm_spank_exit. Then tasksuite_epilog.so there: its job epilog now runs
# in the extern step, after that step's slurm_spank_exit, and finds the
# record already gone: one cleanup per node, never two.
# A cluster of its own (own directory, ports, state_dir, job ids), so the
# runner's cluster is untouched. Skipped, saying why, on older Slurm.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hooks-cases.sh"

release=$(slurmctld -V 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
IFS=. read -r major minor _ <<<"$release"
if [ -z "$release" ] || (( 10#$major * 100 + 10#$minor < 2405 )); then
    echo "ok 1 # SKIP PrologFlags=RunInJob needs Slurm 24.05 or newer (this cluster runs ${release:-an unknown release})"
    echo "1..1"
    exit 0
fi

SRC=$(cd "$(dirname "$0")/../.." && pwd)
CL=$SRC/tests/cluster/cluster.sh
D=$TS_CLUSTER_DIR-runinjob
STATE=$(cluster_state_dir "$SLURM_CONF")-runinjob
PORT=${TS_RUNINJOB_PORT_BASE:-$((TS_PORT_BASE + 2600))}
trap '"$CL" stop --dir "$D" >/dev/null 2>&1; rm -rf "$D" "$STATE"' EXIT

start() {   # start PLUGIN: (re)start the private cluster; exports its SLURM_CONF
    local conf
    conf=$("$CL" start --dir "$D" --port-base "$PORT" --nodes 2 --contain yes --run-in-job yes \
           --plugin "$1" --plugin-args "state_dir=$STATE log_level=debug" 2>"$D.start.log" | tail -1)
    [ -n "$conf" ] || { tail -5 "$D.start.log" >&2; return 1; }
    export "$conf"
    TS_CLUSTER_DIR=$D
}

mkdir -p "$(dirname "$D")"
start "$TS_PLUGIN_DIR/tasksuite.so"
ok $? "a 2-node cluster with PrologFlags=Contain,RunInJob and tasksuite.so starts (Slurm $release)"
like "$(scontrol show config | grep -i '^PrologFlags')" 'RunInJob' "slurmctld runs with RunInJob"

hook_cases yes "$STATE"

# ---------------------------------------------------------------- root at the end, every time
# Slurm 24.11's extern step runs slurm_spank_exit while another of its
# threads switches the process to the job user's euid (X11 shutdown): the
# cleanup must still act as root (it failed about one time in four).
W=$(mk_workdir)
suite "$W" many 'true' 'true'
out=$(as_user "$W" sbatch --wait --array=1-12 -N1 -n1 -o /dev/null --task-suite=many.yaml --wrap true 2>&1)
j=$(printf '%s\n' "$out" | jobid_of)
all_cleaned() { [ "$(awk -v j="$j" '$1 == "cleanup" && $3 >= j' "$W/markers" | wc -l)" -ge 12 ]; }
wait_for 60 all_cleaned
is "$(awk -v j="$j" '$1 == "cleanup" && $3 >= j' "$W/markers" | wc -l)" 12 \
    "an array of 12: env_cleanup ran for every element"
unlike "$(slurmd_log n1; slurmd_log n2)" 'env_cleanup on n[12].*(could not start|refused|cannot remove|Permission denied)' \
    "no cleanup was refused or failed to start (slurmd's log)"
rm -rf "$W"

# ---------------------------------------------------------------- tasksuite_epilog.so
start "$TS_PLUGIN_DIR/tasksuite_epilog.so"
ok $? "the same cluster with tasksuite_epilog.so"
W=$(mk_workdir)
suite "$W" epi 'true' 'true'
out=$(as_user "$W" sbatch --wait -N2 -n2 -o "$W/epi.out" --task-suite=epi.yaml \
      --wrap 'srun -N2 -n2 true; echo ran' 2>&1)
jobid=$(printf '%s\n' "$out" | jobid_of)
is "$(cat "$W/epi.out" 2>/dev/null)" ran "its job ran"
wait_marks "$W" cleanup 2 "" "$jobid"
sleep 2
is "$(marks "$W" prep n1 "$jobid")/$(marks "$W" prep n2 "$jobid")" "1/1" "env_preparation once on each node"
is "$(marks "$W" cleanup n1 "$jobid")/$(marks "$W" cleanup n2 "$jobid")" "1/1" \
    "env_cleanup once on each node: the extern step's end ran it, the epilog in the same step found no record"
wait_for 30 nodes_idle
is "$(sinfo -h -N -o '%T' | sort -u | tr '\n' ' ')" "idle " "the nodes are idle, not drained"
rm -rf "$W"

done_testing

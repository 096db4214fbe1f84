#!/usr/bin/env bash
# Strict plugstack.conf arguments on a real slurmd: an unknown or malformed
# argument is one clear line in slurmd's log (and sbatch's stderr) naming it
# and listing the valid keys; valid arguments load. Uses its own cluster
# (own directory and ports) so the main test cluster is untouched.
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
CL=$SRC/tests/cluster/cluster.sh
D=$TS_CLUSTER_DIR-plugargs
PORT=${TS_PLUGARGS_PORT_BASE:-$((TS_PORT_BASE + 100))}
PLUGIN=$TS_PLUGIN_DIR/tasksuite.so
trap '"$CL" stop --dir "$D" >/dev/null 2>&1; rm -rf "$D"' EXIT
keys='valid keys: user_hooks, max_hook_timeout, state_dir, log_level'

try_args() {   # try_args "ARGS": start a cluster with them; prints its exit code
    "$CL" stop --dir "$D" >/dev/null 2>&1
    rm -rf "$D"
    "$CL" start --dir "$D" --port-base "$PORT" --plugin "$PLUGIN" --plugin-args "$1" >/dev/null 2>&1
    echo $?
}

rc=$(try_args "bogus=1 user_hooks=yes")
ok $((rc == 0)) "slurmd refuses to start with an unknown argument (exit $rc)"
like "$(cat "$D"/log/slurmd-*.log 2>/dev/null)" "error: tasksuite: plugstack.conf: unknown argument \"bogus=1\" \\($keys\\)" \
    "slurmd's log names the argument and lists the valid keys"
unlike "$(cat "$D"/log/*.log 2>/dev/null)" 'Segmentation|segfault|core dumped' "no crash"
err=$(SLURM_CONF=$D/etc/slurm.conf sbatch --wrap true 2>&1)
like "$err" "sbatch: error: tasksuite: plugstack.conf: unknown argument \"bogus=1\"" "sbatch shows the same one-line reason"

rc=$(try_args "user_hooks")
like "$(cat "$D"/log/slurmd-*.log 2>/dev/null)" "argument \"user_hooks\" is not key=value \\($keys\\)" \
    "a word without = is refused the same way"

rc=$(try_args "max_hook_timeout=soon")
like "$(cat "$D"/log/slurmd-*.log 2>/dev/null)" 'argument "max_hook_timeout=soon": expected a duration' \
    "a bad value names the argument and what was expected"

rc=$(try_args "user_hooks=no max_hook_timeout=10m state_dir=/run/tasksuite-test log_level=debug")
is "$rc" 0 "every valid argument together: the cluster starts"
like "$(cat "$D"/log/slurmd-*.log 2>/dev/null)" 'tasksuite: version [0-9.]+ loaded \(user_hooks=no, max_hook_timeout=600s, state_dir=/run/tasksuite-test\)' \
    "slurmd logs the version and the settings once at start"
# Slurm loads a plugin only into the slurmd of its own release: the line
# names the release it was built for, which is this slurmd's.
release=$(slurmd -V 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
like "$(cat "$D"/log/slurmd-*.log 2>/dev/null)" "tasksuite: version [0-9.]+ loaded \(.*\), built for Slurm ${release//./\\.}\$" \
    "... and the Slurm release it was built for, the running slurmd's ($release)"

# ---------------------------------------------------------------- broken after slurmd started
# plugstack.conf edited without restarting slurmd: each job's slurmstepd
# reads it anew. slurm_spank_init must not fail there (from Slurm 25.05 that
# drains the node): the plugin stays inert, jobs without the option run, a
# --task-suite job fails with a message. Should init ever fail there, the
# exported slurm_spank_init_failure_mode (ESPANK_JOB_FAILURE from 25.05)
# fails the job instead of draining the node.
. "$(dirname "$0")/hooks-cases.sh"
state=$(cluster_state_dir "$SLURM_CONF")-plugargs
rc=$(try_args "state_dir=$state")
is "$rc" 0 "a cluster with valid arguments starts"
main_conf=$SLURM_CONF
export SLURM_CONF=$D/etc/slurm.conf
W=$(mk_workdir)
suite "$W" inert 'echo prepared' 'true'
j1=$(as_user "$W" sbatch --parsable --hold -N1 -n1 -o "$W/suite.out" --task-suite=inert.yaml --wrap 'echo TASK-RAN' 2>&1)
j2=$(as_user "$W" sbatch --parsable --hold -N1 -n1 -o "$W/plain.out" --wrap 'echo plain-ran' 2>&1)
like "$j1 $j2" '^[0-9]+ [0-9]+$' "two held jobs, one with --task-suite, submitted while the arguments were valid"
sed -i 's|^required .*|& bogus=1|' "$D/etc/plugstack.conf"
scontrol release "$j1" "$j2"
wait_job "$j1" 60 >/dev/null; wait_job "$j2" 60 >/dev/null
is "$(cat "$W/plain.out" 2>/dev/null)" plain-ran "then, with a bad argument in plugstack.conf: a job without the option runs"
is "$(squeue -h -t all -j "$j1" -o %T 2>/dev/null)" FAILED "the --task-suite job fails"
like "$(cat "$W/suite.out" 2>/dev/null)" "tasksuite: the plugin's arguments in plugstack.conf are invalid on this node \\(see slurmd's log\\): env_preparation cannot run" \
    "... saying why in its output"
unlike "$(cat "$W/suite.out" 2>/dev/null)" 'TASK-RAN' "... before its task runs"
wait_for 30 nodes_idle
is "$(sinfo -h -N -o '%T' | sort -u | tr '\n' ' ')" "idle " "no node is drained"
like "$(cat "$D"/log/slurmd-*.log 2>/dev/null)" 'tasksuite: plugstack.conf: unknown argument "bogus=1"' \
    "slurmd's log names the bad argument"
nm -D --defined-only "$PLUGIN" 2>/dev/null | grep -qw slurm_spank_init_failure_mode
ok $? "tasksuite.so exports slurm_spank_init_failure_mode (Slurm 25.05+: an init failure fails the job, not the node)"
export SLURM_CONF=$main_conf
rm -rf "$W" "$state"

done_testing

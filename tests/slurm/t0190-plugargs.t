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
PLUGIN=$TS_PREFIX/lib/slurm/tasksuite.so
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

done_testing

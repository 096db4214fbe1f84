#!/usr/bin/env bash
# What an HPC security review asks of the root side, on the runner's real
# cluster (PrologFlags=Contain, proctrack/cgroup, tasksuite.so), as the
# unprivileged test user: hooks are contained in the job (cgroup, limits,
# nothing left behind), root's work is bounded (expansion bomb, FIFO or
# directory as a log), a spec smuggled onto a step and another user's log
# directory change nothing for root, and in every case the node stays idle
# (never drained) and keeps running jobs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hooks-cases.sh"

state=$(cluster_state_dir "$SLURM_CONF")
W=$(mk_workdir)
trap 'rm -rf "$W"' EXIT
grep -q '^PrologFlags=.*Contain' "$SLURM_CONF"
ok $? "the runner's cluster has PrologFlags=Contain"
grep -q '^ProctrackType=proctrack/cgroup' "$SLURM_CONF"
ok $? "and tracks jobs with cgroups"

node_ok() {   # the nodes are idle and a plain job still runs
    wait_for 60 nodes_idle || return 1
    as_user "$W" sbatch --wait -N1 -n1 -o /dev/null --wrap true >/dev/null 2>&1
}

# ------------------------------------------------ a hook that escapes its group
# setsid and a double fork: both leave the hook's process group and session.
suite "$W" esc 'setsid sleep 7771 & (sh -c "sleep 7772 &" &); grep -E "freezer|^0::" /proc/self/cgroup; sleep 4' 'true'
out=$(as_user "$W" sbatch -N1 -n1 -o "$W/esc.out" --task-suite=esc.yaml --wrap 'echo TASK-RAN' 2>&1)
jobid=$(printf '%s\n' "$out" | jobid_of)
wait_for 30 pgrep -u "$TS_USER" -f 'sleep 7771'
pid=$(pgrep -u "$TS_USER" -f 'sleep 7771' | head -1)
like "$(cat /proc/"$pid"/cgroup 2>/dev/null | grep freezer)" "/job_$jobid/step_extern\$" \
    "while the hook runs, what it setsid'd is in the job's cgroup (step_extern)"
pid2=$(pgrep -u "$TS_USER" -f 'sleep 7772' | head -1)
like "$(cat /proc/"$pid2"/cgroup 2>/dev/null | grep freezer)" "/job_$jobid/" \
    "and what it double-forked too"
wait_job "$jobid" 60 >/dev/null
is "$(pgrep -u "$TS_USER" -f 'sleep 777[12]' | wc -l)" 0 "nothing of the hook is left after the job"
like "$(cat "$W/esc.out" 2>/dev/null)" 'TASK-RAN' "the job's task ran after the hook"
like "$(cat "$W"/tasksuite-"$jobid"/*.env_preparation.log 2>/dev/null)" "freezer:.*/job_$jobid/step_extern" \
    "the hook itself ran in the job's extern-step cgroup"

# ------------------------------------------------ the job's limits
suite "$W" lim 'echo nofile=$(ulimit -n) core=$(ulimit -c)' 'echo cleanup-nofile=$(ulimit -n)'
out=$(as_user "$W" bash -c 'ulimit -n 777; ulimit -c 0; sbatch --wait -N1 -n1 -o /dev/null --task-suite=lim.yaml --wrap true' 2>&1)
jobid=$(printf '%s\n' "$out" | jobid_of)
like "$(cat "$W"/tasksuite-"$jobid"/*.env_preparation.log 2>/dev/null)" 'nofile=777 core=0' \
    "env_preparation has the submitter's limits, as Slurm propagates them (ulimit -n 777, -c 0)"
wait_for 20 grep -q cleanup-nofile "$W"/tasksuite-"$jobid"/n1.env_cleanup.log "$W"/tasksuite-"$jobid"/n2.env_cleanup.log
like "$(cat "$W"/tasksuite-"$jobid"/*.env_cleanup.log 2>/dev/null)" 'cleanup-nofile=777' \
    "and env_cleanup, at the end of the allocation, too"
like "$(stat -c %a "$W"/tasksuite-"$jobid"/*.env_preparation.log 2>/dev/null)" '^600$' \
    "hook logs are private to the user (0600: preparation output often holds tokens)"

# ------------------------------------------------ cleanup within the job's memory limit
# By the time the extern step's exit runs, Slurm has removed the job's memory
# cgroup: env_cleanup gets a cgroup of its own with the job's limit. A job has
# a memory limit only where Slurm schedules memory (Slurm 24.11 with CR_Core
# sets none), so this runs on a one-node cluster of its own with
# CR_Core_Memory (DefMemPerCPU=100): the check runs on every release.
CL=$(cd "$(dirname "$0")/../cluster" && pwd)/cluster.sh
MD=$TS_CLUSTER_DIR-mem
mconf=$("$CL" start --dir "$MD" --port-base "${TS_MEM_PORT_BASE:-$((TS_PORT_BASE + 3100))}" --nodes 1 \
    --contain yes --mem-per-cpu 100 --plugin "$TS_PLUGIN_DIR/tasksuite.so" \
    --plugin-args "state_dir=$state-mem" 2>"$W/mem-cluster.err" | tail -1)
ok $? "a one-node cluster that schedules memory starts (CR_Core_Memory, DefMemPerCPU=100)"
[[ $mconf == SLURM_CONF=* ]] || cat "$W/mem-cluster.err" >&2
trap 'rm -rf "$W"; "$CL" stop --dir "$MD" >/dev/null 2>&1; rm -rf "$MD" "$MD.start.log"' EXIT
# The limit of the job's own cgroup (job_N): Slurm 24.11 sets it on the job
# and the step, not on the task's cgroup the hook starts in.
cat > "$W/memlim.sh" <<'SH'
cg=$(grep -E '^[0-9]+:memory:' /proc/self/cgroup | cut -d: -f3)
d=$cg
while [ -n "$d" ]; do case ${d##*/} in job_*) break ;; esac; d=${d%/*}; done
echo "$1 cg=$cg limit=$(cat "/sys/fs/cgroup/memory${d:-$cg}/memory.limit_in_bytes" 2>/dev/null)"
SH
chmod 755 "$W/memlim.sh"
put "$W" memlim.yaml <<YAML
name: memlim
run: "true"
env_preparation:
  args: ["sh", "$W/memlim.sh", "prep"]
env_cleanup:
  args: ["sh", "$W/memlim.sh", "cleanup"]
YAML
out=$(export "${mconf?}"; as_user "$W" sbatch --wait -N1 -n1 -o /dev/null --task-suite=memlim.yaml --wrap true 2>&1)
jobid=$(printf '%s\n' "$out" | jobid_of)
wait_for 20 bash -c "cat $W/tasksuite-$jobid/*.env_cleanup.log 2>/dev/null | grep -q '^cleanup cg='"
prep_lim=$(sed -n 's/^prep .*limit=//p' "$W"/tasksuite-"$jobid"/*.env_preparation.log 2>/dev/null)
is "$prep_lim" $((100 * 1024 * 1024)) "the job has Slurm's memory limit, DefMemPerCPU=100 MB"
like "$(cat "$W"/tasksuite-"$jobid"/*.env_cleanup.log 2>/dev/null)" "^cleanup cg=/.*/tasksuite_cleanup_${jobid}_n1 limit=${prep_lim:-none}\$" \
    "env_cleanup runs in a memory cgroup of its own with the job's limit (${prep_lim:-none} bytes)"
wait_for 10 bash -c "! ls -d /sys/fs/cgroup/memory/*/tasksuite_cleanup_${jobid}_* 2>/dev/null"
ok $? "which is removed afterwards"
"$CL" stop --dir "$MD" >/dev/null 2>&1

# ------------------------------------------------ an expansion bomb as root
# 2.9 KB of suite file asking root for ~27 GB: $VAR values expand when the
# hook's environment is built, so no check at submission can be the
# boundary (the spec travels in the job's environment, which a user
# controls): the root side enforces its caps itself.
{
    echo "name: bomb"
    echo 'run: "true"'
    echo "env_preparation:"
    echo "  run: echo never"
    echo "  envs:"
    echo "    A: $(printf 'x%.0s' $(seq 1000))"
    echo "    B: \"$(printf '$A%.0s' $(seq 300))\""
    echo "    C: \"$(printf '$B%.0s' $(seq 300))\""
    echo "    D: \"$(printf '$C%.0s' $(seq 300))\""
} | put "$W" bomb.yaml
rss_kb() {   # the largest resident set of this cluster's slurmd processes (kB)
    local f max=0 v
    for f in "$TS_CLUSTER_DIR"/run/slurmd-*.pid; do
        v=$(awk '/^VmHWM:/ {print $2}' "/proc/$(cat "$f")/status" 2>/dev/null)
        [ "${v:-0}" -gt "$max" ] && max=$v
    done
    echo "$max"
}
t0=$(date +%s)
out=$(as_user "$W" sbatch --wait -N1 -n1 -o "$W/bomb.out" --task-suite=bomb.yaml --wrap 'echo TASK-RAN' 2>&1)
took=$(($(date +%s) - t0))
hwm=$(rss_kb)
ok $((hwm == 0 || hwm > 200000)) "slurmd's peak RSS stays small (${hwm} kB; the bomb asked for 27 GB)"
like "$(cat "$W/bomb.out" 2>/dev/null)" 'env_preparation failed on node n[12] .*expands to more than [0-9]+ bytes' \
    "a \$VAR expansion bomb fails the job with a clear error in its output (${took}s)"
unlike "$(cat "$W/bomb.out" 2>/dev/null)" 'TASK-RAN' "its task does not start"
ok $((took >= 60)) "quickly: root never builds the 27 GB"
node_ok
ok $? "the node is idle, not drained, and runs the next job"

# ------------------------------------------------ a FIFO, a directory as the log
for kind in fifo dir; do
    suite "$W" "log$kind" '' 'echo cleaning'
    make='mkfifo'; [ "$kind" = dir ] && make='mkdir -p'
    t0=$(date +%s)
    out=$(as_user "$W" sbatch --wait -N1 -n1 -o /dev/null --task-suite="log$kind.yaml" \
          --wrap "mkdir -p $W/tasksuite-\$SLURM_JOB_ID && $make $W/tasksuite-\$SLURM_JOB_ID/\$SLURMD_NODENAME.env_cleanup.log" 2>&1)
    jobid=$(printf '%s\n' "$out" | jobid_of)
    wait_for 60 nodes_idle
    took=$(($(date +%s) - t0))
    ok $((took >= 45)) "a $kind as the cleanup log: the end of the job is not held (${took}s)"
    like "$(slurmd_log n1; slurmd_log n2)" "tasksuite: job $jobid: env_cleanup on n[12].*not a regular file" \
        "slurmd's log says the log is not a regular file"
    node_ok
    ok $? "the node is idle and runs the next job"
done

# ------------------------------------------------ another user's log directory
suite "$W" foreign 'echo secret-token' ''
out=$(as_user "$W" sbatch -H -N1 -n1 -o "$W/foreign.out" --task-suite=foreign.yaml --wrap 'echo TASK-RAN' 2>&1)
jobid=$(printf '%s\n' "$out" | jobid_of)
mkdir -m 0777 "$W/tasksuite-$jobid"
chown nobody: "$W/tasksuite-$jobid"
as_user "$W" scontrol release "$jobid"
wait_job "$jobid" 60 >/dev/null
like "$(cat "$W/foreign.out" 2>/dev/null)" "tasksuite: env_preparation failed on node n[12] for job $jobid: could not start: .*tasksuite-$jobid" \
    "a log directory owned by another user is refused, and the job says so"
is "$(ls "$W/tasksuite-$jobid" | wc -l)" 0 "nothing was written into it"
unlike "$(cat "$W/foreign.out" 2>/dev/null)" 'TASK-RAN' "the task did not run without its preparation"

# ------------------------------------------------ a spec smuggled onto a step
# The allocation has no suite; its first step on the node brings one. The
# end of the allocation acts on the node's record, so cleanup runs once and
# nothing stays in the state dir.
suite "$W" smug "echo prep \$SLURMD_NODENAME \$SLURM_JOB_ID >> $W/smuggled" \
      "echo cleanup \$SLURMD_NODENAME \$SLURM_JOB_ID >> $W/smuggled"
out=$(as_user "$W" salloc -N1 -n1 bash -c 'srun -n1 --task-suite=smug.yaml true; echo job=$SLURM_JOB_ID' 2>/dev/null)
jobid=$(printf '%s\n' "$out" | sed -n 's/^job=//p')
wait_for 30 grep -q "^cleanup n[12] $jobid" "$W/smuggled"
is "$(grep -c "^prep n[12] $jobid\$" "$W/smuggled" 2>/dev/null)/$(grep -c "^cleanup n[12] $jobid\$" "$W/smuggled" 2>/dev/null)" "1/1" \
    "a step's own suite prepared the node, and the same record drove its cleanup (once each)"
wait_for 10 bash -c "! ls $state/$jobid.*.prep"
ok $? "no record is left in the state dir"

# A job submitted from inside a suite job inherits the spec, not the option.
printf '{"v":1,"name":"smuggled","prep":{"run":"echo prep x $SLURM_JOB_ID >> %s/smuggled"}}' "$W" | put "$W" smug.spec
out=$(as_user "$W" sbatch --wait -N1 -n1 -o "$W/nested.out" \
      --wrap "SLURM_SPANK_TASK_SUITE_SPEC=\$(cat $W/smug.spec) srun -n1 printenv TASK_SUITE_NAME; echo job=\$SLURM_JOB_ID" 2>&1)
jobid=$(sed -n 's/^job=//p' "$W/nested.out")
is "$(grep -c " $jobid\$" "$W/smuggled" 2>/dev/null)" 0 \
    "a step with the spec in its environment but without --task-suite runs no hook"

node_ok
ok $? "after all of it, the nodes are idle (never drained) and slurmd runs jobs"

done_testing

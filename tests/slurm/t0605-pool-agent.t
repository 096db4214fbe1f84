#!/usr/bin/env bash
# t0605-pool-agent: `tasksuite pool-agent` on the real cluster (doc/pool.md,
# "Agents"), one agent per node started by srun in a 2-node allocation of
# --time=1 --signal=USR2@40, over a run directory laid out by hand the way
# the login side does (tests/cli/pool-fixture, built by `make check`):
# every task runs exactly once; each task's TASK_SUITE_WORKER_CPUS is its
# Cpus_allowed_list inside the job's cgroup; Slurm's early warning is held
# to the agent's clock; a task that ignores the warning is TERMed before the
# end as a timeout, its attempt 2 queued in the pool (`resubmitted`,
# next_job 0); both agents leave a .workers file; the job ends before its
# limit. About 60 s (the walltime of one minute).
. "$(dirname "$0")/lib.sh"

need_built FIX tests/cli/pool-fixture
w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
cp "$FIX" "$w/pool-fixture" && chmod 755 "$w/pool-fixture"

put "$w" pool.yaml <<'YAML'
name: poolagent
run: echo "%(n) $TASK_SUITE_ATTEMPT $SLURMD_NODENAME $TASK_SUITE_WORKER_ID $TASK_SUITE_WORKER_CPUS $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)" >> out.txt; [ %(n) != 0 ] || { trap '' USR2; sleep 300; }
matrix:
  n: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
resume: {signal: USR2@40}
worker_schedule:
  worker_count: 2
YAML
as_user "$w" "$w/pool-fixture" make "$w/pool.yaml" "$w/run" "$w" >/dev/null
put "$w" job.sh <<EOF2
#!/bin/sh
srun --ntasks-per-node=1 --kill-on-bad-exit=0 $TS_BIN pool-agent $w/run
EOF2
chmod 755 "$w/job.sh"
id=$(as_user "$w" sbatch --parsable -N2 -c2 --time=1 --signal=USR2@40 -o "$w/job.out" "$w/job.sh")
ok "$([ -n "$id" ] && echo 0 || echo 1)" "the allocation is queued ($id)"
state=$(wait_job "$id" 180)
like "$state" COMPLETED "the job ends by itself, before its limit (agents exit 0): $state" || cat "$w/job.out"

is "$(awk '$1 != 0' "$w/out.txt" | awk '{print $1}' | sort -n | uniq -c | awk '$1 == 1' | wc -l)" 11 \
    "tasks 1-11 ran exactly once each" || cat "$w/out.txt"
is "$(awk '$5 != $6' "$w/out.txt")" "" "each task's TASK_SUITE_WORKER_CPUS is its Cpus_allowed_list"
is "$(awk '$1 == 0 {print $2}' "$w/out.txt" | paste -sd' ')" 1 "the long task ran once, as attempt 1"
# Slurm checks every 30 s: its USR2 comes 40 to 10 s before the end; one
# that comes before 30 s (lead 40, clamped to half of 60 s) is held.
like "$(cat "$w/job.out")" 'warning signal came [0-9]+ s before the walltime: warning at 30 s before|warning signal came: no more tasks|warning is due: no more tasks' \
    "the agent warned its task at the walltime's warning"
ev=$(tr '\n' ' ' < "$w/run/events/0/1-$id-"*.ev)
like "$ev" '"type":"signal_received".*"signal":12.*"type":"graceful_timeout".*"type":"resubmitted".*"next_job":0.*"type":"exited".*"signal":15' \
    "the task ignoring the warning: warned, TERMed before the end as a timeout, attempt 2 queued, then exited"
ok "$(grep -qx '0 2 0 [0-9-]*' "$w"/run/pool/queue/*.q; echo $?)" "attempt 2 is in the pool's queue"
is "$(ls "$w"/run/pool/agents/*.workers | wc -l)" 2 "one .workers file per node"
is "$(as_user "$w" "$w/pool-fixture" scan "$w/run" | grep -c ' 1 0 started$')" 12 \
    "12 claims, all started (nothing left claimed-unstarted)"

done_testing

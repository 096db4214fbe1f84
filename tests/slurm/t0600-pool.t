#!/usr/bin/env bash
# Pool mode, the login side (issue 13, doc/pool.md "Submitting"): a suite
# with worker_schedule is queued as pool allocations, not arrays: validate
# and --dry-run say so; submit writes the pool manifest (position == task
# index), the first queue epoch (priorities) and the allocations (name,
# comment, batch script), recorded as the suite's jobs. An agent that dies
# with a started and an unstarted claim: the end-of-allocation reconcile
# closes the started attempt node_fail, puts the unstarted one back, and
# queues the next allocation (safety net), which runs it: every other task
# once. status shows the agents' workers; cancel scancels the allocations.
#
# The agent here is a STAND-IN (TASKSUITE_FAULT_POOL_AGENT, a bash script
# using tests/slurm/poolprobe for the claim protocol and `tasksuite exec
# --position` to run a task): it dies in an exact state (3 claimed by
# priority, 2 started, 1 run), which the real agent cannot be made to reach
# on demand, and writes a suspended worker's report for status. The real
# agent end to end (every task once, kill -9, scancel, walltime, priority,
# suspension, preparation, binding): t0610-pool-accept.t.
. "$(dirname "$0")/lib.sh"
need_fault_injection

W=$(mk_workdir)
ids=""
cleanup() {   # TS_KEEP=1 keeps the work directory for a look
    local s
    for s in $ids; do scancel -n "ts-$s" 2>/dev/null; scancel -n "ts-$s-reconcile" 2>/dev/null; done
    [ -n "${TS_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
need_built PROBE tests/slurm/poolprobe

# The stand-in agent: its first run claims 3, starts 2, runs 1 and dies;
# later runs claim and run one at a time, and report a suspended worker.
put "$W" agent.sh <<EOF2
#!/bin/bash
dir=\$1
if [ -e "$W/hold" ]; then sleep 300; exit 0; fi
if [ ! -e "$W/first-done" ]; then
    touch "$W/first-done"
    $PROBE claim "\$dir/pool" "\$SLURM_JOB_ID" 3 2 > "$W/claims-1"
    read -r t a g s < "$W/claims-1"
    $TS_BIN exec --dir "\$dir" --manifest "\$dir/pool/manifest.jsonl" --position "\$t"
    exit 0
fi
printf '{"agent":"standin.%s.1.1","host":"%s","jobid":%s,"time":%s,"workers":[{"worker":0,"cpus":"0","gpus":"","state":"suspended","task":null,"attempt":null,"done":1,"failed":5,"streak":5,"reason":"5 tasks failed in a row"}]}\n' \
    "\$SLURM_JOB_ID" "\$(hostname -s)" "\$SLURM_JOB_ID" "\$(date +%s)" > "\$dir/pool/agents/standin.\$SLURM_JOB_ID.1.1.workers"
while :; do
    line=\$($PROBE claim "\$dir/pool" "\$SLURM_JOB_ID" 1 1)
    [ -n "\$line" ] || break
    echo "\$line" >> "$W/claims-2"
    set -- \$line
    # the attempt as exec counts it: the manifest's (1) + SLURM_RESTART_COUNT
    [ "\$4" = S ] && SLURM_RESTART_COUNT=\$((\$2 - 1)) $TS_BIN exec --dir "\$dir" --manifest "\$dir/pool/manifest.jsonl" --position "\$1"
done
exit 0
EOF2
chmod 755 "$W/agent.sh"

put "$W" pool.yaml <<'YAML'
name: pooled
close_after: 1s
run: echo "$TASK_SUITE_TASK $TASK_SUITE_ATTEMPT" >> "$TASK_SUITE_TASK_DIR/ran"
tasks:
  - {name: a, priority: 3}
  - {name: b, priority: 2}
  - {name: c, priority: 1}
resume: {max_retries: 0}
worker_schedule: {worker_count: 1, allocations: 1, lease: 30s}
slurm: {time: "10"}
YAML

# ---------------------------------------------------------------- validate, dry run
out=$(ts "$W" validate pool.yaml 2>&1)
like "$out" 'pool mode: 1 allocation at once, each 1 node x 1 worker \(prefetch 1, lease 30s\)' \
    "validate says pool mode and the allocations' shape"
out=$(ts "$W" submit --dry-run pool.yaml 2>&1)
like "$out" 'would submit suite pooled in pool mode: 3 tasks, 1 pool allocation of 1 node at once' \
    "submit --dry-run says pool mode"
unlike "$out" 'array' "no job array in pool mode"

# ---------------------------------------------------------------- refused
put "$W" refused.yaml <<'YAML'
name: refused
run: "true"
slurm: {partition: nosuch}
worker_schedule: {worker_count: 1}
YAML
ts "$W" submit --detach refused.yaml >"$W/refused.out" 2>&1
is $? 5 "Slurm refuses the pool allocation: exit 5"
is "$(jsql "$W" "select count(*) from suites")" 0 "the suite is discarded"
is "$(ls "$W/.tshome/suites" 2>/dev/null | wc -l)" 0 "its run directory (pool/ too) is gone"

# ---------------------------------------------------------------- submit
id=$(as_user "$W" env TASKSUITE_HOME="$W/.tshome" TASKSUITE_FAULT_POOL_AGENT="$W/agent.sh" "$TS_BIN" submit --detach pool.yaml 2>"$W/submit.err" | tail -1)
like "$id" '^[a-z0-9]{8}$' "submit --detach prints the suite ID ($id)"
ids="$id"
D="$W/.tshome/suites/$id"
is "$(wc -l < "$D/pool/manifest.jsonl" 2>/dev/null)" 3 "the pool manifest: one line per task"
ok "$(grep -n '"a"' "$D/pool/manifest.jsonl" | cut -d: -f1 | grep -qx 1; echo $?)" "line 1 (position 0) is task 0, a"
is "$(head -1 "$D/pool/queue/00000001.q" 2>/dev/null)" "TSQ1 3" "the first queue epoch holds 3 entries"
is "$(sed -n 2p "$D/pool/queue/00000001.q" 2>/dev/null)" "0 1 0 3" "highest priority first: task 0, attempt 1, generation 0, priority 3"
is "$(jsql "$W" "select count(*) from slurm_jobs k join submissions b on b.id = k.submission_id where b.suite_id='$id' and k.last_index < k.first_index")" 1 \
    "one pool allocation recorded as the suite's job"
job=$(jsql "$W" "select k.array_job_id from slurm_jobs k join submissions b on b.id = k.submission_id where b.suite_id='$id' limit 1")
is "$(squeue -h -t all -j "$job" -o '%j|%k' 2>/dev/null)" "ts-$id|tasksuite:$id:pool:0" \
    "the allocation's name and recovery key"
script=$(scontrol write batch_script "$job" - 2>/dev/null)
like "$script" "srun --ntasks-per-node=1 --kill-on-bad-exit=0 .*agent.sh' '$D'" \
    "its batch script runs one agent per node on the run directory"
like "$script" "reconcile $id" "then the suite's reconcile"

# ---------------------------------------------------------------- a dying agent
sync_done() {   # (a fresh suite's tasks have no row in `tasks` until touched)
    ts "$W" sync "$id" >/dev/null 2>&1
    ts "$W" status "$id" --json 2>/dev/null | tr -d ' \t\n' | grep -q '"pending":0,"running":0,'
}
ok "$(wait_for 150 sync_done; echo $?)" "every task settles"
is "$(cat "$W/claims-1" 2>/dev/null | tr '\n' ' ')" "0 1 0 S 1 1 0 S 2 1 0 U " \
    "the first agent claimed all three by priority, started two"
is "$(jsql "$W" "select name || ':' || state || ':' || attempts from tasks where suite_id='$id' order by idx" | tr '\n' ' ')" \
    "a:completed:1 b:node_fail:1 c:completed:1 " \
    "a ran; b, started by the dead agent and never run, is node_fail; c ran in the next allocation"
is "$(cat "$D/tasks/a/ran" 2>/dev/null)" "a 1" "a ran once"
is "$(cat "$D/tasks/c/ran" 2>/dev/null)" "c 1" "c ran once, attempt 1 (its return cost no attempt)"
ok "$([ ! -e "$D/tasks/b/ran" ]; echo $?)" "b never ran"
is "$(cat "$W/claims-2" 2>/dev/null | tr '\n' ' ')" "2 1 1 S " "the next agent got c back as generation 1"
is "$(jsql "$W" "select count(*) from slurm_jobs k join submissions b on b.id = k.submission_id where b.suite_id='$id' and k.last_index < k.first_index")" 2 \
    "the safety net queued a second allocation"
is "$(jsql "$W" "select count(*) from attempts where suite_id='$id'")" 3 "one attempt per task, no gaps"

# ---------------------------------------------------------------- status
out=$(ts "$W" status "$id" 2>&1)
like "$out" 'pool:' "status has a pool section"
like "$out" 'worker 0  cpus 0  suspended \(5 tasks failed in a row\)  done 1 failed 5' \
    "a suspended worker with its reason"
out=$(ts "$W" status "$id" --json 2>/dev/null)
like "$out" '"reason":[[:space:]]*"5 tasks failed in a row"' "status --json has the agents' reports"

# ---------------------------------------------------------------- retry
out=$(ts "$W" retry "$id" 2>&1)
ok $? "retry of the node_fail task: $out"
ok "$(grep -qx '1 2 0 2' "$D"/pool/queue/*.q; echo $?)" "attempt 2 of b went to the pool queue (generation 0)"
ok "$(wait_for 150 sync_done; echo $?)" "it settles"
is "$(jsql "$W" "select state || ':' || attempts from tasks where suite_id='$id' and name='b'")" "completed:2" \
    "b completed at attempt 2"
is "$(cat "$D/tasks/b/ran" 2>/dev/null)" "b 2" "b ran once, as attempt 2"
is "$(jsql "$W" "select group_concat(attempt || ':' || state, ' ') from attempts where suite_id='$id' and task_idx=1")" \
    "1:node_fail 2:completed" "b's attempts without a gap"

# ---------------------------------------------------------------- cancel
touch "$W/hold"
chown "$TS_USER:" "$W/hold"
sed -i 's/^name: pooled/name: held/' "$W/pool.yaml"
hid=$(as_user "$W" env TASKSUITE_HOME="$W/.tshome" TASKSUITE_FAULT_POOL_AGENT="$W/agent.sh" "$TS_BIN" submit --detach --new pool.yaml 2>"$W/held.err" | tail -1)
ids="$ids $hid"
ok "$(wait_for 60 bash -c "squeue -h -n ts-$hid -t running -o %i | grep -q ."; echo $?)" "the held suite's allocation runs"
out=$(ts "$W" cancel "$hid" --task a 2>&1)
like "$out" "task \"a\" of suite $hid cancelled \(its pool agent stops it, or never starts it\)" \
    "cancel --task of a pooled task: the agent's business"
ok "$([ -e "$W/.tshome/suites/$hid/events/0/cancelled" ]; echo $?)" "its cancel mark is set for the agent"
ok "$(squeue -h -n "ts-$hid" -t running -o %i | grep -q .; echo $?)" "the allocation keeps running for the other tasks"
out=$(ts "$W" cancel "$hid" 2>&1)
ok $? "cancel of a pool suite: $out"
ok "$(wait_for 60 bash -c "! squeue -h -n ts-$hid -o %i | grep -q ."; echo $?)" "its allocation is gone from Slurm"
out=$(ts "$W" rm "$id" 2>&1)
ok $? "rm of the finished pool suite: $out"
ok "$([ ! -e "$D" ]; echo $?)" "its run directory, pool/ included, is gone"

# The real agent: t0605 (alone under srun), t0610 (end to end); cancel
# --task of a running pooled task: tests/cli/t0490-pool-agent.t.
done_testing

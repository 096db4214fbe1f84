#!/usr/bin/env bash
# t0490-pool-agent: `tasksuite pool-agent RUNDIR` (doc/pool.md, "Agents")
# with real processes and no Slurm: a run directory laid out by hand the way
# the login side does (tests/cli/pool-fixture, built by `make check`), the
# agent started with SLURM_JOB_ID & co. as plain environment. Checks: every
# task runs exactly once (counted from the tasks' own output), priority
# order with one worker, each worker's CPUs per strategy (against
# pool-plan), Exclusive refused, suspension after K failures, exit 75 gives
# attempt 2 queued and run, the walltime's warning, kill -9 of the agent
# leaves claims scan sees, the cancel mark before and during a task.
. "$(dirname "$0")/lib.sh"

need_built FIX tests/cli/pool-fixture
w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
cp "$FIX" "$w/pool-fixture" && chmod 755 "$w/pool-fixture"

# fixture NAME: lay out $w/NAME.run from $w/NAME.yaml
fixture() { as_user "$w" "$w/pool-fixture" make "$w/$1.yaml" "$w/$1.run" "$w" >/dev/null; }
scan() { as_user "$w" "$w/pool-fixture" scan "$w/$1.run"; }
# agent NAME [VAR=VALUE...]: run the agent on CPUs 0-1, its stderr in NAME.err
agent() {
    local name=$1; shift
    as_user "$w" env SLURM_CONF=/nonexistent SLURM_JOB_ID=4242 SLURMD_NODENAME=n1 "$@" \
        taskset -c 0,1 "$TS_BIN" pool-agent "$w/$name.run" 2>"$w/$name.err"
}

# ------------------------------------------------------- exactly once
put "$w" once.yaml <<'YAML'
name: once
run: echo %(n) >> once.out
matrix:
  n: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
worker_schedule:
  worker_count: 2
  task_prefetch_count: 3
YAML
fixture once
agent once; rc=$?
is "$rc" 0 "the agent exits 0 when the queue is empty" || cat "$w/once.err"
is "$(wc -l <"$w/once.out")" 20 "20 tasks ran"
is "$(sort -n "$w/once.out" | uniq | wc -l)" 20 "each exactly once"
is "$(scan once | grep -c ' 1 0 started$')" 20 "20 claims, all started, attempt 1, generation 0"
st=$(cat "$w"/once.run/pool/agents/*.workers)
like "$st" '"workers":\[\{"worker":0,.*"state":"stopped".*\{"worker":1,' "the .workers file lists both workers"
like "$st" '"jobid":"4242"' ".workers names the job"
done_sum=$(grep -o '"done":[0-9]*' <<<"$st" | cut -d: -f2 | paste -sd+ | bc)
is "$done_sum" 20 ".workers: the workers' done counts add up to 20"
ok "$(ls "$w"/once.run/pool/agents/*.hb >/dev/null 2>&1; echo $?)" "a heartbeat was written"

# ------------------------------------------------------- priority order
put "$w" prio.yaml <<'YAML'
name: prio
run: echo %(n) >> prio.out
tasks:
  - {name: a, priority: 1, args: {n: a}}
  - {name: b, priority: 50, args: {n: b}}
  - {name: c, priority: 5, args: {n: c}}
  - {name: d, priority: 100, args: {n: d}}
  - {name: e, priority: 5, args: {n: e}}
worker_schedule:
  worker_count: 1
YAML
fixture prio
agent prio
is "$(paste -sd' ' "$w/prio.out")" "d b c e a" "one worker runs them by priority, highest first"

# ------------------------------------------------------- binding per strategy
for strat in RoundRobin Shared Exclusive; do
    put "$w" "b$strat.yaml" <<YAML
name: b$strat
run: echo "\$TASK_SUITE_WORKER_ID \$TASK_SUITE_WORKER_CPUS \$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)" >> b$strat.out
matrix:
  n: [1, 2, 3, 4, 5, 6]
worker_schedule:
  worker_count: 2
  cpu_binding: {strategy: $strat}
YAML
    fixture "b$strat"
    agent "b$strat"
    plan=$(as_user "$w" taskset -c 0,1 "$TS_BIN" pool-plan "$w/b$strat.yaml" | awk '/^worker/ {print $2, $4}')
    bad=$(awk 'NR == FNR { want[$1] = $2; next } $2 != want[$1] || $3 != $2' \
          <(echo "$plan") "$w/b$strat.out")
    is "$bad" "" "$strat: each task's TASK_SUITE_WORKER_CPUS and Cpus_allowed_list are its worker's in pool-plan" \
        || { diag "plan: $plan"; cat "$w/b$strat.out"; }
    is "$(wc -l <"$w/b$strat.out")" 6 "$strat: 6 tasks ran"
done

put "$w" excl.yaml <<'YAML'
name: excl
run: echo ran >> excl.out
worker_schedule:
  worker_count: 3
  cpu_binding: {strategy: Exclusive}
YAML
fixture excl
agent excl; rc=$?
ok "$([ "$rc" -ne 0 ] && echo 0 || echo 1)" "Exclusive with 3 workers on 2 cores: exit non-zero ($rc)"
is "$(wc -l <"$w/excl.err")" 1 "one line on stderr"
like "$(cat "$w/excl.err")" 'Exclusive gives each worker its own cores: 3 workers, 2 cores' "saying why"
like "$(cat "$w"/excl.run/pool/agents/*.workers)" '"state":"stopped".*"reason":".*Exclusive gives each worker' \
    "and .workers records the reason"
ok "$([ ! -e "$w/excl.out" ] && echo 0 || echo 1)" "nothing ran"

# ------------------------------------------------------- suspension
put "$w" susp.yaml <<'YAML'
name: susp
run: echo %(n) >> susp.out; exit 1
matrix:
  n: [1, 2, 3, 4, 5, 6]
worker_schedule:
  worker_count: 1
  suspend_after: 2
YAML
fixture susp
agent susp
is "$(wc -l <"$w/susp.out")" 2 "suspend_after 2: the worker stops after 2 failed tasks"
like "$(cat "$w/susp.err")" 'worker 0 on n1 suspended: its last 2 tasks failed' "stderr says why"
like "$(cat "$w"/susp.run/pool/agents/*.workers)" '"state":"suspended".*"failed":2,"streak":2,"reason":"suspended' \
    ".workers: suspended, its counts and reason"
is "$(scan susp | awk '{print $4}' | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" \
    "returned=1 started=2" "the prefetched claim was given back, nothing else claimed"

# ------------------------------------------------------- exit 75: attempt 2 from the pool
put "$w" t75.yaml <<'YAML'
name: t75
run: echo "%(n) $TASK_SUITE_ATTEMPT" >> t75.out; [ "$TASK_SUITE_ATTEMPT" -gt 1 ] || exit 75
matrix:
  n: [1, 2]
worker_schedule:
  worker_count: 1
YAML
fixture t75
agent t75
is "$(sort "$w/t75.out" | paste -sd' ')" "1 1 1 2 2 1 2 2" "exit 75: attempt 2 queued in the pool and run by the same agent"
is "$(scan t75 | paste -sd' ')" "0 1 0 started 0 2 0 started 1 1 0 started 1 2 0 started" \
    "claims: attempts 1 and 2 of both, generation 0"
like "$(cat "$w"/t75.run/events/0/1-4242-n1.ev)" '"type":"resubmitted".*"next_job":0' \
    "attempt 1 records resubmitted with next_job 0"
like "$(tr '\n' ' ' <"$w"/t75.run/events/0/1-4242-n1.ev)" '"type":"resubmitted".*"type":"exited".*"exit_code":75' \
    "before its exited record"

# ------------------------------------------------------- the walltime's warning
put "$w" wall.yaml <<'YAML'
name: wall
run: trap 'echo warned >> wall.out; exit 75' USR2; echo "%(n) $TASK_SUITE_ATTEMPT" >> wall.out; sleep 60 & wait
matrix:
  n: [1, 2, 3]
resume: {signal: USR2@10}
worker_schedule:
  worker_count: 1
YAML
fixture wall
agent wall SLURM_JOB_END_TIME=$(( $(date +%s) + 20 ))   # room for a slow start under load
is "$(paste -sd' ' "$w/wall.out")" "1 1 warned" "at end - lead the running task is warned, no other starts"
is "$(scan wall | paste -sd' ')" "0 1 0 started 1 1 0 returned" \
    "the prefetched claim was given back (no attempt spent)"
ok "$(grep -qx '0 2 0 [0-9-]*' "$w"/wall.run/pool/queue/*.q; echo $?)" \
    "attempt 2 of the warned task is queued for the next allocation"
ok "$(grep -qx '1 1 1 [0-9-]*' "$w"/wall.run/pool/queue/*.q; echo $?)" \
    "and the given-back task as generation 1"

# a task that ignores the warning is TERMed near the very end: cut at the
# limit, a timeout, so its next attempt is queued too
put "$w" cut.yaml <<'YAML'
name: cut
run: trap '' USR2; echo "%(n) $TASK_SUITE_ATTEMPT" >> cut.out; sleep 60
matrix:
  n: [1]
resume: {signal: USR2@10}
worker_schedule:
  worker_count: 1
YAML
fixture cut
agent cut SLURM_JOB_END_TIME=$(( $(date +%s) + 20 ))
like "$(tr '\n' ' ' <"$w"/cut.run/events/0/1-4242-n1.ev)" '"type":"resubmitted".*"next_job":0.*"type":"exited".*"signal":15' \
    "a task that ignores the warning is TERMed before the end and its next attempt queued"
ok "$(grep -qx '0 2 0 [0-9-]*' "$w"/cut.run/pool/queue/*.q; echo $?)" "attempt 2 is in the queue"

# ------------------------------------------------------- kill -9 of the agent
put "$w" k9.yaml <<'YAML'
name: k9
run: sleep 3; echo %(n) >> k9.out
matrix:
  n: [1, 2, 3, 4, 5, 6]
worker_schedule:
  worker_count: 2
YAML
fixture k9
as_user "$w" env SLURM_CONF=/nonexistent SLURM_JOB_ID=4243 SLURMD_NODENAME=n1 \
    sh -c 'echo $$ > k9.pid; exec "$0" pool-agent "$1"' "$TS_BIN" "$w/k9.run" 2>"$w/k9.err" &
started() { [ "$(scan k9 | grep -c started)" -ge 2 ]; }
wait_for 30 started
kill -9 "$(cat "$w/k9.pid")"
wait
is "$(scan k9 | awk '{print $4}' | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" \
    "started=2 unstarted=2" "after kill -9: 2 started claims and 2 claimed-unstarted (prefetch) for sync"
sleep 4
is "$(cat "$w/k9.out" 2>/dev/null | wc -l)" 0 \
    "the 2 started tasks died with the agent (lost, for sync: never run on unrecorded)"

# ------------------------------------------------------- cancel
put "$w" can.yaml <<'YAML'
name: can
run: echo "start %(n)" >> can.out; [ %(n) != 0 ] || sleep 60; echo "end %(n)" >> can.out
tasks:
  - {name: t0, priority: 3, args: {n: 0}}
  - {name: t1, priority: 2, args: {n: 1}}
  - {name: t2, priority: 1, args: {n: 2}}
worker_schedule:
  worker_count: 1
YAML
fixture can
as_user "$w" "$w/pool-fixture" cancel "$w/can.run" 1
agent can &
wait_for 30 grep -q "start 0" "$w/can.out"
as_user "$w" "$w/pool-fixture" cancel "$w/can.run" 0
wait
is "$(paste -sd' ' "$w/can.out")" "start 0 start 2 end 2" \
    "a running task whose mark appears is stopped; a marked task never starts"
like "$(cat "$w"/can.run/events/0/*.ev)" '"type":"exited".*"signal":15' "the stopped task ended by SIGTERM"
like "$(cat "$w"/can.run/pool/agents/*.workers)" '"done":1,"failed":0,' \
    "a cancelled task is not counted as the worker's failure"
is "$(ls "$w/can.run/events/1")" cancelled "the task cancelled before it started has no records (only its mark)"

# ------------------------------------------------------- what a task leaves
# Task 0 leaves a sleep in its process group and one it moved out of it
# (setsid); the agent runs no process of its own between it and the task,
# so it stops both itself when task 0 ends: task 1 finds them gone while
# the agent still runs.
put "$w" left.sh <<'SH'
if [ "$1" = 0 ]; then
    sleep 300 & echo $! > grp.pid
    setsid sleep 301 & echo $! > esc.pid
    exit 0
fi
sleep 1
for f in grp esc; do
    if kill -0 "$(cat $f.pid)" 2>/dev/null; then echo "$f alive"; else echo "$f gone"; fi
done > left.out
SH
put "$w" left.yaml <<'YAML'
name: left
run: sh ./left.sh %(n)
matrix:
  n: [0, 1]
worker_schedule:
  worker_count: 1
YAML
fixture left
agent left
is "$(paste -sd' ' "$w/left.out" 2>/dev/null)" "grp gone esc gone" \
    "what a task left running, in its group and out of it, is stopped when it ends"
like "$(cat "$w/left.err")" "left 2 processes running when it ended: stopped" "and the agent says so"

done_testing

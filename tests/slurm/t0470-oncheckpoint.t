#!/usr/bin/env bash
# on_checkpoint and cancel --grace (issue 16) on the real cluster, the three
# cases in parallel:
#  A  a training-like task records 6 checkpoints across 2 attempts (it
#     times out once, real 1-minute walltime, and records step 4 again on
#     resume); with every: 2 exactly 3 evaluation tasks run, each seeing
#     its own checkpoint file and step
#  B  the launcher is killed (kill -9, TASKSUITE_FAULT) between seeing the
#     checkpoints and queueing their tasks, then after writing them but
#     before Slurm has them: the next sync still makes each exactly once
#  C  cancel --task --grace: the task gets the warning signal, writes a
#     checkpoint in the grace period and ends cancelled; retry resumes from
#     that checkpoint
#  D  pool mode: the evaluations run as pool tasks
. "$(dirname "$0")/lib.sh"
need_fault_injection

WA=$(mk_workdir)
WB=$(mk_workdir)
WC=$(mk_workdir)
WD=$(mk_workdir)
trap 'rm -rf "$WA" "$WB" "$WC" "$WD"' EXIT

# ---------------------------------------------------------------- A (slow)
put "$WA" train.yaml <<'YAML'
name: train
slurm: {time: "1"}
resume: {signal: USR2@30}
run: |
  if [ "$TASK_SUITE_ATTEMPT" = 1 ]; then first=1; last=4; else first=4; last=6; fi
  for s in $(seq $first $last); do
    echo "weights-$s" > "$TASK_SUITE_TASK_DIR/ck-$s"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/ck-$s" --step $s
  done
  # attempt 1 waits for the walltime's warning and dies of it: a timeout
  [ "$TASK_SUITE_ATTEMPT" = 1 ] && sleep 200
  exit 0
on_checkpoint:
  run: echo "eval $TASK_SUITE_SOURCE_TASK step=$TASK_SUITE_CHECKPOINT_STEP file=$(cat "$TASK_SUITE_CHECKPOINT")"
  every: 2
tasks:
  - {name: net}
YAML
ts "$WA" submit train.yaml >"$WA/out" 2>"$WA/err" &
a_pid=$!

# ---------------------------------------------------------------- D
put "$WD" pooled.yaml <<'YAML'
name: pooled
worker_schedule: {worker_count: 2}
run: |
  for s in 1 2; do
    echo "w$s" > "$TASK_SUITE_TASK_DIR/ck-$s"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/ck-$s" --step $s
  done
on_checkpoint:
  run: echo "eval $TASK_SUITE_SOURCE_TASK $TASK_SUITE_CHECKPOINT_STEP $(cat "$TASK_SUITE_CHECKPOINT")"
tasks:
  - {name: p}
YAML
ts "$WD" submit pooled.yaml >"$WD/out" 2>"$WD/err" &
d_pid=$!

# ---------------------------------------------------------------- B
put "$WB" crash.yaml <<'YAML'
name: crash
run: |
  for s in 1 2; do
    echo "w$s" > "$TASK_SUITE_TASK_DIR/ck-$s"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/ck-$s" --step $s
  done
on_checkpoint:
  run: echo "eval step=$TASK_SUITE_CHECKPOINT_STEP" >> "$TASK_SUITE_DIR/evals"
tasks:
  - {name: src}
YAML
# No reconcile or watchdog job: only the syncs below look at the suite.
bts() { as_user "$WB" env TASKSUITE_HOME="$WB/.tshome" TASKSUITE_NO_RECONCILE_JOB=1 "$@"; }
bid=$(bts "$TS_BIN" submit --detach crash.yaml 2>/dev/null | tail -1)
# the source's job has ended; its events are in the suite directory
sleep 2
for _ in $(seq 1 60); do
    [ "$(squeue -h -n "ts-$bid" -o %i 2>/dev/null | wc -l)" = 0 ] && break
    sleep 1
done
bts env TASKSUITE_FAULT=oncheckpoint-before-trigger "$TS_BIN" sync "$bid" >/dev/null 2>&1
is "$?" 137 "B: the sync was killed between seeing the checkpoints and queueing their tasks"
is "$(jsql "$WB" "select count(*) from checkpoints where suite_id='$bid'") $(jsql "$WB" "select count(*) from tasks where suite_id='$bid'")" \
    "2 1" "B: the journal holds the 2 checkpoints, and no triggered task yet"
bts env TASKSUITE_FAULT=oncheckpoint-after-trigger "$TS_BIN" sync "$bid" >/dev/null 2>&1
is "$?" 137 "B: the next sync was killed after writing the triggered tasks, before Slurm had them"
is "$(jsql "$WB" "select count(*) from tasks where suite_id='$bid'")" 3 "B: 3 tasks: the source and 2 triggered"
for _ in $(seq 1 60); do
    st=$(jsql "$WB" "select state from suites where id='$bid'")
    [ "$st" = complete ] && break
    bts "$TS_BIN" sync "$bid" >/dev/null 2>&1
    sleep 1
done
is "$st" complete "B: later syncs run the triggered tasks and the suite completes"
is "$(sort "$WB/.tshome/suites/$bid/evals" 2>/dev/null | tr '\n' ' ')" "eval step=1 eval step=2 " \
    "B: each checkpoint was evaluated exactly once"
is "$(jsql "$WB" "select count(*) from ckpt_triggers where suite_id='$bid'")" 2 "B: 2 edges in the journal"
is "$(squeue -h -t all -n "ts-$bid" -o %F 2>/dev/null | sort -u | wc -l)" 2 \
    "B: Slurm holds 2 arrays: the source's and one for both evaluations (none queued twice)"

# ---------------------------------------------------------------- C
put "$WC" grace.yaml <<'YAML'
name: grace
slurm: {time: "10"}
resume: {signal: USR2@60}
run: |
  step=${TASK_SUITE_CHECKPOINT_STEP:-0}
  echo "attempt $TASK_SUITE_ATTEMPT resumes from step $step: ${TASK_SUITE_CHECKPOINT##*/}"
  [ "$TASK_SUITE_ATTEMPT" -gt 1 ] && exit 0
  saved() {
    echo grace > "$TASK_SUITE_TASK_DIR/grace"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/grace" --step 1000
    exit 75
  }
  trap saved USR2
  while :; do
    step=$((step + 1))
    echo $step > "$TASK_SUITE_TASK_DIR/ck-$step"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/ck-$step" --step $step
    sleep 1 & wait $!
  done
tasks:
  - {name: work}
YAML
cid=$(ts "$WC" submit --detach grace.yaml 2>/dev/null | tail -1)
cdir="$WC/.tshome/suites/$cid/tasks/work"
wait_for 60 test -e "$cdir/ck-2"
ok $? "C: the task runs and checkpoints"
ts "$WC" cancel "$cid" --task work --grace 30s >"$WC/cancel.out" 2>&1
ok $? "C: cancel --task --grace succeeds"
like "$(cat "$WC/cancel.out")" 'sent SIGUSR2 to task 0 \(attempt 1, job [0-9]+\); waiting up to 30s' \
    "C: the task got the suite's warning signal and a 30 s grace"
like "$(cat "$WC/cancel.out")" 'task 0 ended within the grace period' "C: it ended within the grace"
ts "$WC" status "$cid" >/dev/null 2>&1
is "$(jsql "$WC" "select state from tasks where suite_id='$cid'")" cancelled "C: the task is cancelled"
is "$(jsql "$WC" "select max(step) from checkpoints where suite_id='$cid'")" 1000 \
    "C: the checkpoint written in the grace is in the journal"
ts "$WC" retry "$cid" --task work >/dev/null 2>&1
ok $? "C: retry --task"
for _ in $(seq 1 60); do
    [ "$(jsql "$WC" "select state from tasks where suite_id='$cid'")" = completed ] && break
    ts "$WC" status "$cid" >/dev/null 2>&1
    sleep 1
done
like "$(cat "$cdir/attempt-2/stdout" 2>/dev/null)" '^attempt 2 resumes from step 1000: grace$' \
    "C: attempt 2 resumed from the checkpoint written in the grace period"

# ---------------------------------------------------------------- D results
wait $d_pid
did=$(head -1 "$WD/out")
is "$(jsql "$WD" "select group_concat(name || ':' || state, ' ') from (select name, state from tasks where suite_id='$did' order by idx)")" \
    "p:completed p.ckpt-1:completed p.ckpt-2:completed" "D: pool mode: one evaluation per checkpoint, completed"
is "$(cat "$WD/.tshome/suites/$did/tasks/p.ckpt-2/attempt-1/stdout" 2>/dev/null)" "eval p 2 w2" \
    "D: the pooled evaluation saw its checkpoint"
[ -d "$WD/.tshome/suites/$did/pool" ]
ok $? "D: the suite ran in pool mode"

# ---------------------------------------------------------------- A results
wait $a_pid
aid=$(tail -1 "$WA/out")
is "$(jsql "$WA" "select group_concat(state, ',') from (select state from attempts where suite_id='$aid' and task_idx=0 order by attempt)")" \
    "timeout,completed" "A: the training task timed out once and completed on attempt 2"
is "$(jsql "$WA" "select count(*) from checkpoints where suite_id='$aid' and task_idx=0")" 7 \
    "A: 7 checkpoint records (steps 1-4, then 4 again, 5, 6)"
is "$(jsql "$WA" "select group_concat(name || ':' || state, ' ') from (select name, state from tasks where suite_id='$aid' and idx > 0 order by idx)")" \
    "net.ckpt-2:completed net.ckpt-4:completed net.ckpt-6:completed" \
    "A: exactly 3 evaluation tasks (steps 2, 4, 6), none twice after the resume"
evals=""
for s in 2 4 6; do
    evals="$evals$(cat "$WA/.tshome/suites/$aid/tasks/net.ckpt-$s/attempt-1/stdout" 2>/dev/null);"
done
is "$evals" "eval net step=2 file=weights-2;eval net step=4 file=weights-4;eval net step=6 file=weights-6;" \
    "A: each evaluation saw its own checkpoint file and step"
is "$(jsql "$WA" "select state from suites where id='$aid'")" complete "A: the suite completed only with its evaluations"
like "$(ts "$WA" status "$aid" 2>&1)" 'net +3 evaluations' "A: status shows the evaluations per source task"
like "$(ts "$WA" status "$aid" --json 2>&1 | tr -d ' \t\n')" '"source_task":"net","step":4,"checkpoint":"[^"]*/ck-4","task":"net.ckpt-4","state":"completed"' \
    "A: status --json carries the edge (source, step -> task)"

done_testing

#!/usr/bin/env bash
# Resumable tasks on the real cluster, with real 1-minute walltimes (Slurm's
# granularity), the slow cases running in parallel:
#  A  a training-like task that checkpoints a step counter and needs three
#     walltimes: warning signal -> checkpoint -> exit 75 -> next attempt
#     queued from the job -> resumes from TASK_SUITE_CHECKPOINT; exact final
#     count
#  B  a task that ignores the warning and is hard-killed at the walltime:
#     it is resubmitted (from the job on Slurm's TERM, else by the safety-net
#     reconcile job); after max_retries it ends
#     `timeout` and the suite completes instead of hanging
#  C  exit 75 is a timeout (retried at once, no walltime needed)
#  D  a failing task is not retried by default, and is with retry_on: [failed]
#  E  the reconcile job cancelled: the next `tasksuite sync` recovers
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
trap 'rm -rf "$W"' EXIT

# ---------------------------------------------------------------- A
put "$W" train.yaml <<'YAML'
name: train
close_after: 1s
slurm: {time: "1"}
resume: {max_retries: 3, signal: "USR2@40"}
run: |
  step=0
  [ -n "$TASK_SUITE_CHECKPOINT" ] && step=$(cat "$TASK_SUITE_CHECKPOINT")
  warned=0
  trap 'warned=1' USR2
  target=$((step + 10)); [ $target -gt 30 ] && target=30
  while [ $step -lt $target ]; do
    step=$((step + 1))
    echo "$step" >> "$TASK_SUITE_TASK_DIR/steps"
    echo "$step" > "$TASK_SUITE_TASK_DIR/ckpt.tmp" && mv "$TASK_SUITE_TASK_DIR/ckpt.tmp" "$TASK_SUITE_TASK_DIR/ckpt.$step"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/ckpt.$step" --step $step
  done
  [ $step -ge 30 ] && exit 0
  while [ $warned = 0 ]; do sleep 1; done    # this attempt's share is done: wait for the warning
  exit 75
YAML

# ---------------------------------------------------------------- B
put "$W" stubborn.yaml <<'YAML'
name: stubborn
close_after: 1s
slurm: {time: "1"}
resume: {max_retries: 1, signal: "USR2@40"}
run: trap '' USR2; sleep 1000
YAML

ts "$W" submit train.yaml >"$W/train.out" 2>"$W/train.err" &
train_pid=$!
ts "$W" submit stubborn.yaml >"$W/stubborn.out" 2>"$W/stubborn.err" &
stubborn_pid=$!

# ---------------------------------------------------------------- C
put "$W" r75.yaml <<'YAML'
name: r75
close_after: 1s
run: '[ "$TASK_SUITE_ATTEMPT" -ge 2 ] || exit 75'
YAML
cid=$(ts "$W" submit r75.yaml 2>/dev/null | tail -1)
is "$(jsql "$W" "select group_concat(state, ',') from (select state from attempts where suite_id='$cid' order by attempt)")" \
    "timeout,completed" "exit 75 counts as timeout and is retried"

# ---------------------------------------------------------------- D
put "$W" fail.yaml <<'YAML'
name: fails-once
close_after: 1s
run: '[ "$TASK_SUITE_ATTEMPT" -ge 2 ] || exit 4'
YAML
did=$(ts "$W" submit fail.yaml 2>/dev/null | tail -1)
is "$(jsql "$W" "select state || ':' || attempts from tasks where suite_id='$did'")" "failed:1" \
    "a failing task is not retried by default"
sed 's/^close_after: 1s$/close_after: 1s\nresume: {retry_on: [failed]}/; s/^name: fails-once$/name: fails-once-retried/' "$W/fail.yaml" | put "$W" fail2.yaml
did2=$(ts "$W" submit fail2.yaml 2>/dev/null | tail -1)
is "$(jsql "$W" "select state || ':' || attempts from tasks where suite_id='$did2'")" "completed:2" \
    "with retry_on: [failed] it gets a second attempt"

# Manual retry of the failed task of the default-policy suite.
out=$(ts "$W" retry "$did" 2>&1)
like "$out" "suite $did: 1 task resubmitted" "tasksuite retry resubmits the failed task"
ok "$(wait_for 60 bash -c "runuser -u $TS_USER -- env SLURM_CONF=$SLURM_CONF TASKSUITE_HOME=$W/.tshome $TS_BIN sync $did >/dev/null 2>&1; [ \"\$(sqlite3 -readonly -cmd \".timeout 10000\" $W/.tshome/journal.db \"select state || ':' || attempts from tasks where suite_id='$did'\")\" = completed:2 ]"; echo $?)" \
    "and its second attempt completes"

# ---------------------------------------------------------------- E
sed 's/^name: fails-once-retried$/name: no-safety-net/' "$W/fail2.yaml" | put "$W" fail3.yaml
eid=$(ts "$W" submit --detach fail3.yaml 2>/dev/null | tail -1)
scancel -n "ts-$eid-reconcile" 2>/dev/null
wait_for 60 bash -c "[ -z \"\$(squeue -h -n ts-$eid -t PENDING,RUNNING,COMPLETING -o %i)\" ]"
sleep 1
# (a task nothing has changed yet has no row: packed in task_chunks, attempt 1)
is "$(jsql "$W" "select coalesce((select attempts from tasks where suite_id='$eid'), (select 1 from task_chunks where suite_id='$eid'))")" 1 "with its reconcile job cancelled, nothing resubmitted the task"
ts "$W" sync "$eid" >/dev/null 2>&1
ok "$(wait_for 90 bash -c "runuser -u $TS_USER -- env SLURM_CONF=$SLURM_CONF TASKSUITE_HOME=$W/.tshome $TS_BIN sync $eid >/dev/null 2>&1; [ \"\$(sqlite3 -readonly -cmd \".timeout 10000\" $W/.tshome/journal.db \"select state from tasks where suite_id='$eid'\")\" = completed ]"; echo $?)" \
    "tasksuite sync resubmitted it and it completed"

# ---------------------------------------------------------------- A, B results
wait $train_pid; rc=$?
is "$rc" 0 "A: the training task finished (submit followed it to the end)"
aid=$(tail -1 "$W/train.out")
tdir="$W/.tshome/suites/$aid/tasks/train"
is "$(jsql "$W" "select group_concat(state, ',') from (select state from attempts where suite_id='$aid' order by attempt)")" \
    "timeout,timeout,completed" "A: three attempts: two graceful timeouts, then completed"
is "$(tail -1 "$tdir/steps" 2>/dev/null)" 30 "A: the final count is exactly 30"
is "$(sort -n "$tdir/steps" | uniq | wc -l) $(wc -l < "$tdir/steps")" "30 30" \
    "A: every step was done exactly once (no checkpointed step lost or redone)"
is "$(jsql "$W" "select last_checkpoint from tasks where suite_id='$aid'")" "$tdir/ckpt.30" \
    "A: the journal has the last checkpoint"
is "$(jsql "$W" "select count(*) from checkpoints where suite_id='$aid'")" 30 "A: all 30 checkpoints are in the journal"
is "$(ts "$W" status "$aid" --json | python3 -c 'import json, sys
t = json.load(sys.stdin)["tasks"][0]
print(len(t["attempt_history"]), [a["state"] for a in t["attempt_history"]], len(t["checkpoints"]), t["checkpoints"][-1]["step"])')" \
    "3 ['timeout', 'timeout', 'completed'] 30 30" "A: status --json shows the attempts and the checkpoint history"
like "$(cat "$tdir/attempt-2/stdout" "$tdir/attempt-2/stderr" 2>/dev/null; ls "$tdir")" 'attempt-3' "A: per-attempt directories, task directory kept"

wait $stubborn_pid
bid=$(tail -1 "$W/stubborn.out")
is "$(jsql "$W" "select state || ':' || attempts from tasks where suite_id='$bid'")" "timeout:2" \
    "B: hard-killed twice: resubmitted once by the safety net, then left timeout (max_retries: 1)"
is "$(jsql "$W" "select group_concat(state, ',') from (select state from attempts where suite_id='$bid' order by attempt)")" \
    "timeout,timeout" "B: both attempts classified timeout from Slurm's records"
sleep 1.5; ts "$W" sync "$bid" >/dev/null 2>&1
is "$(jsql "$W" "select state from suites where id='$bid'")" complete "B: the suite completes rather than hangs"

done_testing

#!/usr/bin/env bash
# The default resume settings (signal USR2, lead 300 s) with a 1-minute
# walltime and scripts that never heard of tasksuite, on the real cluster
# (real walltimes, the slow cases in parallel):
#  A  the lead is clamped to half the walltime, and validate/submit say so
#  B  a plain script that checkpoints every second and never traps the
#     warning dies of it: a timeout, retried, resumed from its checkpoint,
#     completed
#  C  a script whose child ignores the warning: the attempt ends as a
#     timeout when its main process dies of the warning, it is retried, and
#     nothing of it outlives the attempt (not even the child that ignored
#     the signal and left the process group)
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
trap 'rm -rf "$W"' EXIT

# ---------------------------------------------------------------- B, C (slow)
put "$W" plain.yaml <<'YAML'
name: plain
slurm: {time: "1"}
run: |
  i=0
  [ -n "$TASK_SUITE_CHECKPOINT" ] && i=$(cat "$TASK_SUITE_CHECKPOINT")
  echo "attempt $TASK_SUITE_ATTEMPT starts at $i"
  while [ $i -lt 60 ]; do
    i=$((i + 1))
    echo $i > "$TASK_SUITE_TASK_DIR/c.tmp" && mv "$TASK_SUITE_TASK_DIR/c.tmp" "$TASK_SUITE_TASK_DIR/c.$i"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/c.$i" --step $i
    sleep 1
  done
  echo done at $i
YAML

put "$W" ignorer.yaml <<'YAML'
name: ignorer
slurm: {time: "1"}
run: |
  if [ "$TASK_SUITE_ATTEMPT" -ge 2 ]; then echo "attempt $TASK_SUITE_ATTEMPT"; exit 0; fi
  # a helper that ignores SIGUSR2 and leaves the process group
  setsid sh -c 'trap "" USR2; echo $$ >> "$TASK_SUITE_TASK_DIR/pids"; sleep 1000 & echo $! >> "$TASK_SUITE_TASK_DIR/pids"; wait' &
  sh -c 'trap "" USR2; echo $$ >> "$TASK_SUITE_TASK_DIR/pids"; exec sleep 1000' &
  wait
YAML

ts "$W" submit plain.yaml >"$W/plain.out" 2>"$W/plain.err" &
plain_pid=$!
ts "$W" submit ignorer.yaml >"$W/ignorer.out" 2>"$W/ignorer.err" &
ignorer_pid=$!

# ---------------------------------------------------------------- A
put "$W" short.yaml <<'YAML'
name: short
slurm: {time: "1"}
run: "true"
YAML
ts "$W" validate short.yaml >"$W/v.out" 2>"$W/v.err"
ok $? "validate accepts the default lead with a 1-minute walltime"
like "$(cat "$W/v.err")" 'short.yaml:2:9: resume.signal lead 300s is longer than the 1-minute walltime: using 30s' \
    "validate says the 300 s lead is clamped to 30 s, with the numbers"
like "$(ts "$W" submit --dry-run short.yaml 2>&1)" '--signal=B:USR2@30( |$)' \
    "the job is submitted with --signal=B:USR2@30"
like "$(ts "$W" submit --dry-run short.yaml 2>&1)" 'resume.signal lead 300s is longer than the 1-minute walltime: using 30s' \
    "submit prints the same warning"
put "$W" long.yaml <<'YAML'
name: long
slurm: {time: "2:00:00"}
run: "true"
YAML
ts "$W" validate long.yaml >/dev/null 2>"$W/v2.err"
unlike "$(cat "$W/v2.err")" 'resume.signal' "a 2-hour walltime keeps the 300 s lead, without a warning"

# ---------------------------------------------------------------- B results
wait $plain_pid
bid=$(tail -1 "$W/plain.out")
bdir="$W/.tshome/suites/$bid/tasks/plain"
states=$(jsql "$W" "select group_concat(state, ',') from (select state from attempts where suite_id='$bid' order by attempt)")
like "$states" '^timeout(,timeout)*,completed$' "B: the plain script timed out (never failed), was retried and completed ($states)"
is "$(jsql "$W" "select state from tasks where suite_id='$bid'")" completed "B: the task is completed"
like "$(cat "$bdir/attempt-2/stdout" 2>/dev/null)" '^attempt 2 starts at [1-9][0-9]*$' \
    "B: attempt 2 resumed from the checkpoint of attempt 1"
like "$(cat "$bdir"/attempt-*/stdout 2>/dev/null | tail -1)" '^done at 60$' "B: and the work finished at step 60"
is "$(jsql "$W" "select count(*) from attempts where suite_id='$bid' and state='failed'")" 0 \
    "B: no attempt is failed"

# ---------------------------------------------------------------- C results
wait $ignorer_pid
cid=$(tail -1 "$W/ignorer.out")
cdir="$W/.tshome/suites/$cid/tasks/ignorer"
is "$(jsql "$W" "select group_concat(state, ',') from (select state from attempts where suite_id='$cid' order by attempt)")" \
    "timeout,completed" "C: the attempt whose main process died of the warning is a timeout, and is retried"
is "$(jsql "$W" "select state || ':' || attempts from tasks where suite_id='$cid'")" "completed:2" \
    "C: the task completed on attempt 2"
pids=$(cat "$cdir/pids" 2>/dev/null | tr '\n' ' ')
like "$pids" '^[0-9]+ [0-9]+ [0-9]+ $' "C: the task recorded the pids of its helpers ($pids)"
alive=""
for p in $pids; do
    [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && alive="$alive $p"
done
is "$alive" "" "C: nothing of attempt 1 outlives it (not even a helper that ignores the signal in its own session)"
like "$(cat "$cdir"/attempt-1/stderr "$W"/.tshome/suites/"$cid"/slurm/*.out 2>/dev/null)" \
    'left [0-9]+ process(es)? running when it ended: stopped' "C: exec says it stopped what the task left behind"

done_testing

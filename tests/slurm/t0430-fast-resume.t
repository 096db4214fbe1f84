#!/usr/bin/env bash
# In-job resume is a fresh one-element submission, not `scontrol requeue`:
# the next attempt is queued from inside the previous attempt's job (its
# recovery key in the comment), eligible at once (no cred_expire hold), and
# recorded so that nothing queues it twice, even with syncs running all
# along (status, sync and the reconcile jobs all race it here); the same
# for a task of two nodes; and a next attempt queued without its record
# (exec killed in between) is found in Slurm by its key and adopted.
# Left out of shellcheck here: $jobs is split into words on purpose.
# shellcheck disable=SC2086
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
id=""
trap '[ -n "$id" ] && scancel -n "ts-$id" 2>/dev/null; [ -n "$sp" ] && kill "$sp" 2>/dev/null; rm -rf "$W"' EXIT

put "$W" fast.yaml <<'YAML'
name: fast
run: |
  echo "attempt $TASK_SUITE_ATTEMPT on ${SLURM_JOB_ID} restart ${SLURM_RESTART_COUNT:-0}"
  [ "$TASK_SUITE_ATTEMPT" -ge 3 ] || exit 75
YAML

ts "$W" submit fast.yaml >"$W/out" 2>"$W/err" &
sub=$!
# a sync loop racing the in-job resubmissions
( for i in $(seq 240); do
      s=$(tail -1 "$W/out" 2>/dev/null)
      [ -n "$s" ] && ts "$W" sync "$s" >/dev/null 2>&1
      sleep 0.3
  done ) &
sp=$!
wait $sub; rc=$?
kill $sp 2>/dev/null; sp=""
id=$(tail -1 "$W/out")
is "$rc" 0 "submit followed the suite to its end"
is "$(jsql "$W" "select group_concat(state, ',') from (select state from attempts where suite_id='$id' order by attempt)")" \
    "timeout,timeout,completed" "exit 75 twice: two timeouts, then completed"
is "$(jsql "$W" "select state || ':' || attempts from tasks where suite_id='$id'")" "completed:3" \
    "the task completed on attempt 3"
jobs=$(jsql "$W" "select group_concat(slurm_job_id, ' ') from (select slurm_job_id from attempts where suite_id='$id' order by attempt)")
is "$(printf '%s\n' $jobs | sort -u | wc -l)" 3 "each attempt ran in a job of its own ($jobs)"
dir="$W/.tshome/suites/$id/tasks/fast"
like "$(cat "$dir"/attempt-*/stdout | tr '\n' ' ')" '^attempt 1 on [0-9]+ restart 0 attempt 2 on [0-9]+ restart 0 attempt 3 on [0-9]+ restart 0 $' "no attempt ran as a requeued job (SLURM_RESTART_COUNT 0)"
comments=$(squeue -h -t all -n "ts-$id" -o '%k' 2>/dev/null | sort | tr '\n' ' ')
like "$comments" "tasksuite:$id:t0:2 .*tasksuite:$id:t0:3" "attempts 2 and 3 carry their recovery keys ($comments)"
is "$(squeue -h -t all -n "ts-$id" -o '%i' 2>/dev/null | wc -l)" 3 \
    "exactly three task jobs in Slurm: nothing queued an attempt twice"
is "$(jsql "$W" "select count(*) from submissions where suite_id='$id'")" 3 \
    "the journal has one submission per attempt"
is "$(jsql "$W" "select count(*) from submissions where suite_id='$id' and state = 'intent'")" 0 \
    "every submission is recorded as submitted"
like "$(cat "$W/.tshome/suites/$id"/slurm/*.out 2>/dev/null)" 'attempt 2 queued as job [0-9]+' \
    "exec says it queued the next attempt"
gaps=$(jsql "$W" "select group_concat(printf('%.1f', b.started_at - a.ended_at), ' ') from attempts a join attempts b on b.suite_id = a.suite_id and b.task_idx = a.task_idx and b.attempt = a.attempt + 1 where a.suite_id='$id'")
diag "end of an attempt -> next attempt started: $gaps s"
is "$(jsql "$W" "select state from suites where id='$id'")" complete "the suite completes"

# ---------------------------------------------------------------- 2 nodes
# A task of two nodes: the leader queues the next attempt once both ranks
# have ended.
put "$W" two.yaml <<'YAML'
name: two
num_nodes: 2
resources: {cpus: 1}
run: |
  echo "rank $NODE_RANK attempt $TASK_SUITE_ATTEMPT"
  [ "$TASK_SUITE_ATTEMPT" -ge 2 ] || exit 75
YAML
tid=$(as_user "$W" timeout 150 env TASKSUITE_HOME="$W/.tshome" "$TS_BIN" submit two.yaml \
      2>/dev/null | tail -1)
is "$(jsql "$W" "select group_concat(state, ',') from (select state from attempts where suite_id='$tid' order by attempt)")" \
    "timeout,completed" "2 nodes: exit 75 on both ranks, then completed"
like "$(squeue -h -t all -n "ts-$tid" -o '%k' 2>/dev/null | sort | tr '\n' ' ')" "tasksuite:$tid:t0:2" \
    "2 nodes: attempt 2 was queued from the job"
is "$(cat "$W/.tshome/suites/$tid/tasks/two/attempt-2/node-1.stdout" 2>/dev/null)" "rank 1 attempt 2" \
    "2 nodes: attempt 2 ran on both nodes"
scancel -n "ts-$tid" 2>/dev/null

# ---------------------------------------------------------------- lost record
# The next attempt was queued (recovery key in the comment) but the record
# saying so never reached the event file (exec killed in between): the sync
# that would retry the task finds the job in Slurm and adopts it instead of
# queueing another. Simulated by a task that queues a stand-in job itself.
put "$W" lost.yaml <<'YAML'
name: lost-record
resume: {retry_on: [failed]}
run: |
  if [ "$TASK_SUITE_ATTEMPT" = 1 ]; then
    sbatch -Q --job-name "ts-$TASK_SUITE_ID" --comment "tasksuite:$TASK_SUITE_ID:t0:2" \
        -o /dev/null --wrap "sleep 2"
    exit 1
  fi
  echo "a second copy of attempt $TASK_SUITE_ATTEMPT" > "$TASK_SUITE_TASK_DIR/duplicate"
YAML
lid=$(as_user "$W" timeout 150 env TASKSUITE_HOME="$W/.tshome" "$TS_BIN" submit lost.yaml \
      2>"$W/lost.err" | tail -1)
[ -n "$lid" ] || lid=$(jsql "$W" "select id from suites where name='lost-record'")
is "$(jsql "$W" "select group_concat(state, ',') from (select state from attempts where suite_id='$lid' order by attempt)")" \
    "failed,completed" "lost record: attempt 2 is the job found in Slurm (it ran and completed)"
ok "$([ ! -e "$W/.tshome/suites/$lid/tasks/lost-record/duplicate" ]; echo $?)" \
    "lost record: no second copy of attempt 2 was queued"
is "$(squeue -h -t all -n "ts-$lid" -o '%i' 2>/dev/null | wc -l)" 2 \
    "lost record: two task jobs in Slurm, the first attempt's and the adopted one"
is "$(jsql "$W" "select state from suites where id='$lid'")" complete "lost record: the suite completes"
scancel -n "ts-$lid" 2>/dev/null

done_testing

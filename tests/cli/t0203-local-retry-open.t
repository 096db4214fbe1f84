#!/usr/bin/env bash
# t0203-local-retry-open: retry --task of a task whose attempt is still open
# in a --local runner is refused (one line naming the task and what to do,
# exit 1, no submission and no attempt written), also when it is one of
# several names; retry without --task leaves the running task alone and
# retries only the failed one; once the task has ended, retry --task of it
# is accepted (a completed task runs again, as before).
. "$(dirname "$0")/local.sh"

w=$(mk_workdir); trap 'touch "$w/go"; rm -rf "$w"' EXIT
# n=1 runs until the test creates "go"; n=2 always fails; n=3 completes
put "$w" open.yaml <<'YAML'
name: open
run: test %(n) != 1 || while [ ! -e go ]; do sleep 0.2; done; echo "attempt $TASK_SUITE_ATTEMPT" >> tries.%(n); test %(n) != 2
matrix:
  n: [1, 2, 3]
YAML
ts "$w" submit --local --detach open.yaml > "$w/out" 2> "$w/err"
id=$(head -1 "$w/out")
wait_for 60 state_at_least "$w" "$id" running 1
wait_for 60 state_at_least "$w" "$id" failed 1
is "$(count_state "$w" "$id" running)" 1 "n=1 is running"

subs() { jsql "$w" "select count(*) from submissions where suite_id = '$id'"; }
atts() { jsql "$w" "select count(*) from attempts where suite_id = '$id'"; }
handed() { jsql "$w" "select group_concat(name || ':' || attempts, ' ') from tasks where suite_id = '$id' order by idx"; }
subs0=$(subs) atts0=$(atts) handed0=$(handed)

# --- the running task, named: refused
ts "$w" retry "$id" --task n=1 > "$w/r1.out" 2> "$w/r1.err"; rc=$?
is "$rc" 1 "retry --task of a running task exits 1"
is "$(wc -l < "$w/r1.err")" 1 "... with one line"
like "$(cat "$w/r1.err")" "^tasksuite retry: task \"n=1\" is running \(attempt 1\): cancel it first \(tasksuite cancel $id --task n=1\)$" \
     "... that names the task, its attempt and what to do"
is "$(subs) $(atts) $(handed)" "$subs0 $atts0 $handed0" "... and writes no submission, no attempt"

# --- several names, one of them running: the whole command is refused
ts "$w" retry "$id" --task n=2 --task n=1 > /dev/null 2> "$w/r2.err"; rc=$?
is "$rc" 1 "retry --task n=2 --task n=1: refused"
like "$(cat "$w/r2.err")" "task \"n=1\" is running" "... naming the running task"
is "$(subs) $(atts) $(handed)" "$subs0 $atts0 $handed0" "... nothing queued, not even n=2"
is "$(count_state "$w" "$id" failed)" 1 "... n=2 is still failed"

# --- retry without --task: only the failed task, not the running one
ts "$w" retry "$id" > "$w/r3.out" 2> "$w/r3.err"
like "$(cat "$w/r3.out")" "1 task resubmitted" "retry (all failed) resubmits one task"
is "$(handed)" "n=1:1 n=2:2 n=3:1" "... n=2 (attempt 2), not the running n=1"
ran_twice() { [ "$(wc -l < "$w/tries.2")" = 2 ] && [ "$(count_state "$w" "$id" failed)" = 1 ]; }
wait_for 60 ran_twice
is "$(cat "$w/tries.2")" "$(printf 'attempt 1\nattempt 2')" "... n=2 ran again"
is "$(count_state "$w" "$id" running)" 1 "... n=1 still runs its first attempt"

# --- once n=1 has ended, retry --task is accepted again
touch "$w/go"
wait_for 60 state_at_least "$w" "$id" completed 2
is "$(count_state "$w" "$id" completed)" 2 "n=1 completed"
ts "$w" retry "$id" --task n=1 > "$w/r4.out" 2> "$w/r4.err"; rc=$?
is "$rc" 0 "retry --task of the completed task exits 0"
like "$(cat "$w/r4.out")" "1 task resubmitted" "... and resubmits it"
wait_for 60 state_at_least "$w" "$id" completed 2
is "$(cat "$w/tries.1")" "$(printf 'attempt 1\nattempt 2')" "n=1 ran once more: attempts 1 and 2"
is "$(jsql "$w" "select group_concat(a.attempt || ':' || a.state, ' ') from attempts a join tasks t on t.suite_id = a.suite_id and t.idx = a.task_idx where a.suite_id = '$id' and t.name = 'n=1'")" \
   "1:completed 2:completed" "n=1's history: two attempts, one at a time"

done_testing

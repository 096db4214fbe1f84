#!/usr/bin/env bash
# t0201-local-cancel-retry: cancel and retry of a --local suite. cancel
# --task of a running task stops its processes (checked by pid); a
# cancelled pending task never starts; retry --task reruns exactly that
# task, keeping its attempt history; a task that did not complete makes
# submit --local exit 6, an invalid file 1.
. "$(dirname "$0")/local.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
# one slow task holds the only slot... of 1 + nproc; the rest wait
slots=$(nproc)
put "$w" queue.yaml <<YAML
name: queue
run: echo \$\$ > "\$TASK_SUITE_TASK_DIR/pid"; echo "ran %(n)" >> runs.%(n); sleep 30
matrix:
  n: [$(seq -s, 1 $((slots + 1)))]
YAML
last="n=$((slots + 1))"

ts "$w" submit --local --detach queue.yaml > "$w/out" 2> "$w/err"
id=$(head -1 "$w/out")
wait_for 60 state_at_least "$w" "$id" running "$slots"
is "$(count_state "$w" "$id" pending)" 1 "one task waits for a slot"

# --- cancel of the pending task: it never starts
out=$(ts "$w" cancel "$id" --task "$last" 2>&1); rc=$?
is "$rc" 0 "cancel --task of the pending task exits 0"
# --- cancel of a running task: its processes are gone
pid1=$(cat "$(suite_dir "$w" "$id")/tasks/n=1/pid" 2>/dev/null || cat "$(suite_dir "$w" "$id")"/tasks/*/pid | head -1)
ok "$(alive "$pid1"; echo $?)" "the running task's process is alive before the cancel"
ts "$w" cancel "$id" --task n=1 > /dev/null 2>&1
wait_for 30 gone "$pid1"
ok "$(alive "$pid1" && echo 1 || echo 0)" "cancel --task of a running task: its process is gone"
# the other running tasks end by themselves; the cancelled one must not start
ts "$w" cancel "$id" > /dev/null 2>&1
wait_for 60 nothing_open "$w" "$id"
ok "$([ ! -e "$w/runs.$last" ]; echo $?)" "the cancelled pending task never ran"
alive_left=0
for f in "$(suite_dir "$w" "$id")"/tasks/*/pid; do
    wait_for 30 gone "$(cat "$f")" || alive_left=$((alive_left + 1))
done
is "$alive_left" 0 "cancel of the suite: none of its task processes is left"

# --- retry of one task among several
put "$w" three.yaml <<'YAML'
name: three
run: echo "attempt $TASK_SUITE_ATTEMPT" >> tries.%(n); test %(n) != 2 || test "$TASK_SUITE_ATTEMPT" = 2
matrix:
  n: [1, 2, 3]
YAML
out=$(ts "$w" submit --local three.yaml 2>"$w/err"); rc=$?
is "$rc" 6 "a task failed: submit --local exits 6"
like "$(cat "$w/err")" "not completed: n=2 \(exit 1\)" "... and names the task that did not"
id=$(printf '%s\n' "$out" | head -1)
ts "$w" retry "$id" --task n=2 > /dev/null 2>&1; rc=$?
is "$rc" 0 "retry --task n=2 exits 0"
wait_for 60 state_at_least "$w" "$id" completed 3
is "$(count_state "$w" "$id" completed)" 3 "the retried task completed"
is "$(cat "$w/tries.2")" "$(printf 'attempt 1\nattempt 2')" "n=2 ran twice: attempts 1 and 2"
is "$(cat "$w/tries.1")" "attempt 1" "n=1 ran once only"
is "$(cat "$w/tries.3")" "attempt 1" "n=3 ran once only"
is "$(jsql "$w" "select group_concat(a.attempt || ':' || a.state, ' ') from attempts a join tasks t on t.suite_id = a.suite_id and t.idx = a.task_idx where a.suite_id = '$id' and t.name = 'n=2'")" \
   "1:failed 2:completed" "n=2's attempt history keeps both attempts"

# --- an invalid file still exits 1
put "$w" bad.yaml <<'YAML'
name: bad
run: [not, a, string]
YAML
ts "$w" submit --local bad.yaml > /dev/null 2>&1; rc=$?
is "$rc" 1 "an invalid file: submit --local exits 1"

done_testing

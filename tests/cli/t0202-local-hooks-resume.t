#!/usr/bin/env bash
# t0202-local-hooks-resume: what a node does, the --local runner does too.
# env_preparation runs once before the first task and env_cleanup once at
# the end; a failed preparation fails the tasks and its log is named; exit
# 75 gets the next attempt at once (resume rules); a num_nodes: 2 suite is
# refused before anything is written; --detach returns while the suite runs
# on, detached from the terminal (its own session, no controlling tty).
. "$(dirname "$0")/local.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT

# --- hooks, once each
put "$w" hooks.yaml <<'YAML'
name: hooks
env_preparation:
  run: echo prep >> hooks.log
env_cleanup:
  run: echo cleanup >> hooks.log
run: echo "task %(n) after $(cat hooks.log | tr '\n' ' ')" >> hooks.log
matrix:
  n: [1, 2, 3]
YAML
ts "$w" submit --local hooks.yaml > "$w/out" 2>&1; rc=$?
is "$rc" 0 "a suite with hooks runs (exit 0)"
is "$(grep -c '^prep' "$w/hooks.log")" 1 "env_preparation ran once"
is "$(head -1 "$w/hooks.log")" prep "... before the first task"
is "$(grep -c '^cleanup' "$w/hooks.log")" 1 "env_cleanup ran once"
is "$(tail -1 "$w/hooks.log")" cleanup "... after the last task"
is "$(grep -c '^task' "$w/hooks.log")" 3 "the three tasks ran"

# --- a failed preparation fails the tasks, naming the hook and its log
put "$w" badprep.yaml <<'YAML'
name: badprep
env_preparation:
  run: echo "no conda here" >&2; exit 3
run: echo never >> never.log
matrix:
  n: [1, 2]
YAML
out=$(ts "$w" submit --local badprep.yaml 2>&1); rc=$?
id=$(printf '%s\n' "$out" | head -1)
is "$rc" 6 "a failed env_preparation: submit --local exits 6"
is "$(count_state "$w" "$id" failed)" 2 "... its tasks failed"
like "$out" "env_preparation exit status 3" "submit says the preparation failed"
ok "$([ ! -e "$w/never.log" ]; echo $?)" "... without running"
like "$(cat "$(suite_dir "$w" "$id")/local-runner.log")" "env_preparation exit status 3 .*hooks/local/env_preparation" \
     "the runner's log names the hook, how it ended and its log"
like "$(cat "$(suite_dir "$w" "$id")"/hooks/local/env_preparation.*.log)" "no conda here" "the hook's log has its output"

# --- exit 75: the next attempt, at once
put "$w" again.yaml <<'YAML'
name: again
resume:
  max_retries: 2
run: echo "attempt $TASK_SUITE_ATTEMPT" >> again.log; test "$TASK_SUITE_ATTEMPT" -ge 2 || exit 75
YAML
out=$(ts "$w" submit --local again.yaml 2>&1); rc=$?
id=$(printf '%s\n' "$out" | head -1)
is "$rc" 0 "exit 75 then 0: submit --local exits 0"
is "$(cat "$w/again.log")" "$(printf 'attempt 1\nattempt 2')" "exit 75 gave attempt 2 automatically"
is "$(jsql "$w" "select group_concat(state, ' ') from (select state from attempts where suite_id = '$id' order by attempt)")" "timeout completed" \
   "attempt 1 timeout, attempt 2 completed"

# --- max_retries bounds it
put "$w" never.yaml <<'YAML'
name: never
resume:
  max_retries: 1
run: echo x >> never75.log; exit 75
YAML
ts "$w" submit --local never.yaml > /dev/null 2>&1; rc=$?
is "$rc" 6 "always exit 75: exit 6 once max_retries is used up"
is "$(wc -l < "$w/never75.log")" 2 "... after 1 + max_retries attempts"

# --- num_nodes: 2 is refused, nothing written
put "$w" multi.yaml <<'YAML'
name: multi
num_nodes: 2
run: echo hi
YAML
out=$(ts "$w" submit --local multi.yaml 2>&1); rc=$?
is "$rc" 1 "num_nodes: 2 with --local: exit 1"
like "$out" "num_nodes: 2 needs Slurm" "... one line saying why"
is "$(printf '%s\n' "$out" | wc -l)" 1 "... one line only"
is "$(jsql "$w" "select count(*) from suites where name = 'multi'")" 0 "... and no suite was written"
out=$(ts "$w" validate --local multi.yaml 2>&1); rc=$?
is "$rc" 1 "validate --local refuses it too (exit 1)"
like "$out" "multi.yaml: num_nodes: 2 needs Slurm" "... with the same line"
ts "$w" validate multi.yaml >/dev/null 2>&1
is "$?" 0 "validate without --local accepts it (Slurm can run it)"

# --- --detach really detaches
put "$w" bg.yaml <<'YAML'
name: bg
run: sleep 3; echo done > bg.%(n)
matrix:
  n: [1, 2]
YAML
out=$(ts "$w" submit --local --detach bg.yaml 2>&1); rc=$?
id=$(printf '%s\n' "$out" | head -1)
is "$rc" 0 "--detach returns (exit 0)"
ok "$([ ! -e "$w/bg.1" ]; echo $?)" "... before the tasks are done"
runner=$(runner_pid "$w" "$id")
ok "$(alive "$runner"; echo $?)" "the runner runs on after submit returned"
# /proc/PID/stat: field 6 is the session, 7 the controlling tty
read -r -a st < <(sed 's/.*) //' "/proc/$runner/stat")
is "${st[3]}" "$runner" "the runner leads its own session (setsid)"
is "${st[4]}" 0 "the runner has no controlling terminal"
wait_for 60 test -e "$w/bg.2"
wait_for 60 nothing_open "$w" "$id"
is "$(count_state "$w" "$id" completed)" 2 "status follows the detached suite to its end"

done_testing

#!/usr/bin/env bash
# retry --task of a task whose attempt is still open in Slurm is refused: a
# task pending (its job waits for a begin time) and a task running (it waits
# for a file the test creates) are named, the command exits 1 with one line
# that names the task and says what to do, and the journal keeps exactly one
# attempt and one submission, Slurm exactly one job. Once the running task
# has completed, retry --task of it is accepted (as before).
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
trap 'touch "$W/go"; ts "$W" cancel "${pid_:-x}" >/dev/null 2>&1; rm -rf "$W"' EXIT

subs() { jsql "$W" "select count(*) from submissions where suite_id = '$1'"; }
atts() { jsql "$W" "select count(*) from attempts where suite_id = '$1'"; }
# (a task of a fresh submission has a row once it was touched: started, retried)
handed() { jsql "$W" "select group_concat(name || ':' || attempts, ' ') from tasks where suite_id = '$1' order by idx"; }
task_state() { jsql "$W" "select state from tasks where suite_id = '$1' and name = '$2'"; }
jobs_of() { squeue -h -t all -u "$TS_USER" -n "ts-$1" -r -o %i 2>/dev/null | wc -l; }
# After a refresh (status), is task $2 of suite $1 in state $3?
is_state() { ts "$W" status "$1" >/dev/null 2>&1; [ "$(task_state "$1" "$2")" = "$3" ]; }

# ---------------------------------------------------------------- pending
put "$W" later.yaml <<'YAML'
name: later
slurm: {begin: "now+1hour"}
run: "true"
matrix: {n: [1]}
YAML
out=$(ts "$W" submit --detach later.yaml 2>"$W/later.err")
ok $? "a suite whose job waits for its begin time is submitted"
pid_=$(printf '%s\n' "$out" | tail -1)
task=n=1
ts "$W" retry "$pid_" --task "$task" >/dev/null 2>"$W/p.err"
is "$?" 1 "retry --task of the pending task exits 1"
is "$(wc -l < "$W/p.err")" 1 "... with one line"
like "$(cat "$W/p.err")" "^tasksuite retry: task \"$task\" is pending \(attempt 1(, job [0-9_]+)?\): cancel it first \(tasksuite cancel $pid_ --task $task\)$" \
     "... naming the task, its state and what to do"
is "$(subs "$pid_") $(atts "$pid_")" "1 0" "... one submission, no attempt row written"
like "$(ts "$W" status "$pid_" 2>&1)" "n=1 +pending +1 " "... the task is at attempt 1, still pending"
is "$(jobs_of "$pid_")" 1 "... one job in Slurm"
ts "$W" cancel "$pid_" >/dev/null 2>&1

# ---------------------------------------------------------------- running
put "$W" slow.yaml <<YAML
name: slow
run: while [ ! -e "$W/go" ]; do sleep 0.5; done
matrix: {n: [1]}
YAML
out=$(ts "$W" submit --detach slow.yaml 2>"$W/slow.err")
ok $? "a task that runs until told is submitted"
id=$(printf '%s\n' "$out" | tail -1)
task=n=1
wait_for 60 is_state "$id" "$task" running
is "$(task_state "$id" "$task")" running "the task runs"
ts "$W" retry "$id" --task "$task" >/dev/null 2>"$W/r.err"
is "$?" 1 "retry --task of the running task exits 1"
is "$(wc -l < "$W/r.err")" 1 "... with one line"
like "$(cat "$W/r.err")" "^tasksuite retry: task \"$task\" is running \(attempt 1, job [0-9]+(_[0-9]+)?\): cancel it first \(tasksuite cancel $id --task $task\)$" \
     "... naming the task, its attempt, its Slurm job and what to do"
is "$(subs "$id") $(atts "$id") $(handed "$id")" "1 1 $task:1" "exactly one submission and one attempt in the journal"
is "$(jobs_of "$id")" 1 "exactly one job in Slurm"

# ---------------------------------------------------------------- ended
touch "$W/go"
wait_for 120 is_state "$id" "$task" completed
is "$(task_state "$id" "$task")" completed "the task completed"
out=$(ts "$W" retry "$id" --task "$task" 2>&1)
is "$?" 0 "retry --task of the completed task is accepted"
like "$out" "1 task resubmitted" "... and resubmits it"
is "$(handed "$id")" "$task:2" "... as attempt 2"
ts "$W" cancel "$id" >/dev/null 2>&1

done_testing

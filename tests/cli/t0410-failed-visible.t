#!/usr/bin/env bash
# t0410-failed-visible: a failed task never looks empty or like a success
# (issue 12, item 8): `logs` shows the stderr of a task whose stdout is
# empty, submit names the tasks that did not complete, `list` says how many
# of a "complete" suite failed; `logs` without an ID takes the latest suite,
# a suite name works where an ID does.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
put "$w" broken.yaml <<'YAML'
name: broken
run: echo boom n=%(n) >&2; exit 3
matrix:
  n: [1, 2, 3, 4]
YAML
put "$w" mixed.yaml <<'YAML'
name: mixed
run: echo out; echo err >&2
YAML

out=$(ts "$w" submit --local broken.yaml 2>&1); rc=$?
is "$rc" 6 "submit --local of four failing tasks exits 6 (a task did not complete)"
id=$(printf '%s\n' "$out" | head -1)
like "$out" "4/4 done \(100\.0%\): failed 4" "the progress line counts the failures"
like "$out" "not completed: n=1 \(exit 3\), n=2 \(exit 3\)" "submit names the failed tasks"

out=$(ts "$w" logs "$id" n=2 2>&1); rc=$?
is "$rc" 0 "logs of a task whose stdout is empty exits 0"
like "$out" "stdout of attempt 1 of task \"n=2\" is empty; its stderr \([0-9]+ bytes\) follows" \
    "logs says the stdout is empty"
like "$out" "boom n=2" "logs shows the stderr that holds the error"
out=$(ts "$w" logs "$id" n=2 2>/dev/null)
is "$out" "" "the stderr shown goes to stderr, stdout stays the task's (empty)"

out=$(ts "$w" list 2>&1)
like "$out" "complete +4/4 \(4 failed\)" "list: a suite whose tasks all failed says so"

out=$(ts "$w" status broken 2>&1); rc=$?
is "$rc" 0 "status takes a suite name"
like "$out" "suite: +$id \(broken\)" "the name resolves to the suite"

out=$(ts "$w" submit --local mixed.yaml 2>&1); rc=$?
is "$rc" 0 "a task writing to both streams completes"
mid=$(printf '%s\n' "$out" | head -1)
out=$(ts "$w" logs 2>/dev/null); rc=$?
is "$rc" 0 "logs without an ID takes the latest suite (its only task)"
is "$out" "out" "and prints its stdout"
out=$(ts "$w" logs 2>&1 >/dev/null)
like "$out" "more bytes on stderr \(tasksuite logs $mid mixed --stderr\)" \
    "a note says there is more on stderr"
out=$(ts "$w" logs mixed --stderr 2>/dev/null)
is "$out" "err" "logs NAME --stderr: the suite by name"
out=$(ts "$w" logs "$mid" mixed --stderr 2>/dev/null)
is "$out" "err" "logs ID TASK --stderr"

out=$(ts "$w" logs nosuchthing 2>&1); rc=$?
is "$rc" 3 "logs of neither a suite nor a task of the latest: exit 3"
like "$out" "no suite \"nosuchthing\"" "and says so"

done_testing

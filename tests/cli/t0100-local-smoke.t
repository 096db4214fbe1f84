#!/usr/bin/env bash
# t0100-local-smoke: a first run as a new user has it, with no Slurm at all:
# validate a three-task sweep, run it with --local, read its status and logs.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
put "$w" sweep.yaml <<'YAML'
name: smoke
run: echo task $TASK_SUITE_TASK n=%(n)
matrix:
  n: [1, 2, 3]
YAML

out=$(ts "$w" validate sweep.yaml 2>&1); rc=$?
is "$rc" 0 "validate exits 0 without any slurm.conf"
like "$out" "3 tasks" "validate counts the tasks"

out=$(ts "$w" submit --local sweep.yaml 2>/dev/null); rc=$?
is "$rc" 0 "submit --local runs the suite to the end (exit 0)"
id=$(printf '%s\n' "$out" | head -1)
like "$id" '^[a-z0-9]{8}$' "submit prints the suite's 8-character id first"
out=$(ts "$w" status "$id" 2>&1)
like "$out" "3/3 done" "status: 3/3 done"
is "$(jsql "$w" "select count(*) from attempts where exit_code = 0")" 3 "three attempts, each exit 0, in the journal"

done_testing

#!/usr/bin/env bash
# A job Slurm believes runs while its task never starts (what a launch lost
# in a slurmctld restart looks like: allocated, never sent to its node, run
# out to its time limit; the campaign, t0900, met it): the attempt is
# node_fail with its job, not a timeout, and the task gets its next attempt
# with the suite's DEFAULT resume settings (retry_on [timeout] only), from a
# plain script that never heard of tasksuite.
#
# The lost launch is made deterministic with the test build's fault point
# exec-hang-before-start (TASKSUITE_JOB_FAULT): exec of attempt 1 stops before
# it starts the task or writes any record, until Slurm kills it at the limit.
. "$(dirname "$0")/lib.sh"
need_fault_injection

W=$(mk_workdir)
trap 'rm -rf "$W"' EXIT

put "$W" plain.yaml <<'YAML'
name: plain
slurm: {time: "1"}
run: echo "attempt $TASK_SUITE_ATTEMPT ran"
YAML

as_user "$W" env TASKSUITE_HOME="$W/.tshome" TASKSUITE_JOB_FAULT=exec-hang-before-start \
    "$TS_BIN" submit plain.yaml >"$W/out" 2>"$W/err"
ok $? "submit follows the suite to its end ($(tail -1 "$W/err"))"
id=$(tail -1 "$W/out")
att() { jsql "$W" "select $1 from attempts where suite_id='$id' and attempt=$2"; }

is "$(att state 1)" node_fail "attempt 1, which never started, is node_fail (not timeout)"
job1=$(att slurm_job_id 1)
like "$job1" '^[0-9]+$' "with the job Slurm ran out to its limit ($job1)"
is "$(att "coalesce(started_at, 'none')" 1)" none "and no start"
# said by whichever refresh saw it first: the following submit, or the
# array's reconcile job
like "$(cat "$W/err" "$W"/.tshome/suites/"$id"/slurm/*.out 2>/dev/null)" "task 0: attempt 1 never started in job $job1 \\(its launch was lost; it ran out its time limit\\): node_fail" \
    "the refresh says so, with the job"
is "$(att state 2)" completed "attempt 2 ran and completed: retried although retry_on is the default [timeout]"
is "$(jsql "$W" "select state || ':' || attempts from tasks where suite_id='$id'")" "completed:2" \
    "the task completed on attempt 2"
like "$(cat "$W"/.tshome/suites/"$id"/tasks/plain/attempt-2/stdout 2>/dev/null)" '^attempt 2 ran$' \
    "its output is attempt 2's"
[ ! -s "$W/.tshome/suites/$id/tasks/plain/attempt-1/stdout" ]
ok $? "attempt 1 left no output: it never ran"

done_testing

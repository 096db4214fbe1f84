#!/usr/bin/env bash
# kill -9 of `tasksuite submit` at every step, then the same command again:
# neither lost nor duplicated tasks or Slurm jobs. The test build's kill
# points (TASKSUITE_FAULT) make the process SIGKILL itself exactly there;
# TASKSUITE_FAULT_MAX_ARRAY=2 splits 5 tasks into 3 arrays so a crash can
# fall between two of them.
. "$(dirname "$0")/lib.sh"
need_fault_injection

points="after-journal after-manifest after-submit-chunk before-mark-submitted after-submit"
dirs=()
cleanup() { rm -rf "${dirs[@]}"; }
trap cleanup EXIT

crash_and_rerun() {   # crash_and_rerun POINT DIR: runs in the background
    local point=$1 W=$2
    put "$W" s.yaml <<'YAML'
name: crashy
close_after: 1s
run: echo ran >> "$TASK_SUITE_TASK_DIR/count"
matrix: {i: [1, 2, 3, 4, 5]}
YAML
    as_user "$W" env TASKSUITE_HOME="$W/.tshome" TASKSUITE_FAULT="$point" TASKSUITE_FAULT_MAX_ARRAY=2 \
        "$TS_BIN" submit --detach s.yaml >"$W/first.out" 2>&1
    echo $? >"$W/first.rc"
    as_user "$W" env TASKSUITE_HOME="$W/.tshome" TASKSUITE_FAULT_MAX_ARRAY=2 \
        "$TS_BIN" submit s.yaml >"$W/second.out" 2>"$W/second.err"
    echo $? >"$W/second.rc"
}

for p in $points; do
    W=$(mk_workdir); dirs+=("$W")
    crash_and_rerun "$p" "$W" &
done
wait

i=0
for p in $points; do
    W=${dirs[$i]}; i=$((i + 1))
    is "$(cat "$W/first.rc")" 137 "$p: the first submit was killed (SIGKILL)"
    is "$(cat "$W/second.rc")" 0 "$p: the same command again runs the suite to the end"
    id=$(tail -1 "$W/second.out")
    is "$(jsql "$W" "select count(*) from suites")" 1 "$p: one suite in the journal"
    is "$(jsql "$W" "select count(*) || '/' || sum(state = 'completed') || '/' || max(attempts) from tasks")" "5/5/1" \
        "$p: 5 tasks, all completed, each in exactly one attempt"
    runs=$(cat "$W"/.tshome/suites/"$id"/tasks/*/count 2>/dev/null | wc -l)
    is "$runs" 5 "$p: every task ran exactly once"
    arrays=$(squeue -h -t all -n "ts-$id" -o %F 2>/dev/null | sort -u | wc -l)
    is "$arrays" 3 "$p: Slurm holds exactly 3 arrays for the suite (no duplicate submission)"
    is "$(jsql "$W" "select count(*) from slurm_jobs")" 3 "$p: the journal recorded the same 3 arrays"
done

done_testing

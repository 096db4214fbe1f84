#!/usr/bin/env bash
# The watchdog: every suite in Slurm has one safety-net job with no
# dependency that starts a period after submit, refreshes the suite and
# queues the next, until the suite is complete. It is what refreshes a suite
# when the reconcile job waiting on its arrays never runs (an element Slurm
# holds after a launch failure never ends; a reconcile job someone
# cancelled). Here the reconcile job is cancelled right after submit: with
# nobody running `status`, only the watchdog can see the tasks' ends.
#
# Defaults: the first case uses Slurm's and the suite's defaults and checks
# the watchdog queued at submit (runs `reconcile ID --watch 300`, eligible
# 300 s later); waiting those 5 minutes would double this leg, so the case
# that watches it work shortens its period (TASKSUITE_FAULT_WATCH_PERIOD,
# fault-injection builds only).
# Left out of shellcheck here: the EXIT trap's own loop sets s.
# shellcheck disable=SC2154
. "$(dirname "$0")/lib.sh"
need_fault_injection

W=$(mk_workdir)
ids=""
trap 'for s in $ids; do scancel -n "ts-$s" 2>/dev/null; scancel -n "ts-$s-reconcile" 2>/dev/null; done; rm -rf "$W"' EXIT

put "$W" two.yaml <<'YAML'
name: two
run: echo "task %(n)" > "$TASK_SUITE_TASK_DIR/out"
matrix: {n: [1, 2]}
YAML

# 1. Defaults: submit queues the watchdog.
t0=$(date +%s)
id=$(ts "$W" submit --detach two.yaml 2>"$W/submit.err" | tail -1)
ok $? "submit --detach (defaults)"
ids="$ids $id"
unlike "$(cat "$W/submit.err")" "watchdog" "submit says nothing about the watchdog when it was queued"
wd=$(squeue -h -t PENDING -n "ts-$id-reconcile" -o '%i %k' 2>/dev/null | awk '$2 == "tasksuite:'"$id"':watch" {print $1}')
ok $((!(${#wd} > 0))) "a watchdog job is queued (comment tasksuite:$id:watch, job ${wd:-none})"
show=$(scontrol show job "$wd" 2>/dev/null)
eligible=$(date -d "$(printf '%s\n' "$show" | grep -o 'EligibleTime=[^ ]*' | cut -d= -f2)" +%s 2>/dev/null)
ok $((!(eligible >= t0 + 290 && eligible <= t0 + 320))) \
    "it becomes eligible about 300 s after submit ($((eligible - t0)) s)"
like "$(printf '%s\n' "$show" | grep -o 'Dependency=[^ ]*')" "Dependency=\(null\)" "it has no dependency"
like "$(cat "$W/.tshome/suites/$id/slurm/"*.out 2>/dev/null; scontrol write batch_script "$wd" - 2>/dev/null)" \
    "reconcile $id --watch 300" "it runs reconcile $id --watch 300"
# The suite completes (its reconcile job): the watchdog is withdrawn.
ok "$(wait_for 120 bash -c "runuser -u $TS_USER -- env SLURM_CONF=$SLURM_CONF TASKSUITE_HOME=$W/.tshome $TS_BIN sync $id >/dev/null 2>&1; [ \"\$(sqlite3 -readonly $W/.tshome/journal.db \"select state from suites where id='$id'\")\" = complete ]"; echo $?)" \
    "the suite completes"
wait_for 10 sh -c "[ -z \"\$(squeue -h -t PENDING -n ts-$id-reconcile -o %i 2>/dev/null)\" ]"
ok $? "the completed suite's watchdog is cancelled, not left waiting"

# 2. The reconcile job is cancelled at once; nobody runs status or sync.
put "$W" lone.yaml <<'YAML'
name: lone
run: echo "task %(n)" > "$TASK_SUITE_TASK_DIR/out"
matrix: {n: [1, 2]}
YAML
lid=$(as_user "$W" env TASKSUITE_HOME="$W/.tshome" TASKSUITE_FAULT_WATCH_PERIOD=5 "$TS_BIN" \
    submit --detach lone.yaml 2>/dev/null | tail -1)
ok $? "submit --detach (watchdog period shortened to 5 s)"
ids="$ids $lid"
rj=$(squeue -h -t PENDING -n "ts-$lid-reconcile" -o '%i %k' 2>/dev/null | awk '$2 ~ /:reconcile$/ {print $1}')
scancel "$rj" 2>/dev/null
ok $? "the suite's reconcile job ($rj) is cancelled"
wait_for 120 sh -c "[ \"\$(sqlite3 -readonly '$W/.tshome/journal.db' \"SELECT state FROM suites WHERE id = '$lid'\")\" = complete ]"
ok $? "the suite completes with no human command (the watchdog refreshed it)"
is "$(find "$W/.tshome/suites/$lid/tasks" -name out | wc -l)" 2 "both tasks ran"
diag "safety-net jobs that ran for it: $(ls "$W/.tshome/suites/$lid/slurm/"reconcile-*.out 2>/dev/null | wc -l)"
wait_for 30 sh -c "[ -z \"\$(squeue -h -t PENDING,RUNNING -n ts-$lid-reconcile -o %i 2>/dev/null)\" ]"
ok $? "no watchdog is left once the suite is complete"

# 3. Cancelling a suite cancels its watchdog.
cid=$(ts "$W" submit --detach two.yaml --new 2>/dev/null | tail -1)
ids="$ids $cid"
ts "$W" cancel "$cid" >/dev/null 2>&1
wait_for 20 sh -c "[ -z \"\$(squeue -h -t PENDING -n ts-$cid-reconcile -o %i 2>/dev/null)\" ]"
ok $? "cancel of the suite cancels its watchdog"

done_testing

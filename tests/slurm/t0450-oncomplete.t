#!/usr/bin/env bash
# on_complete runs in one defined place (src/suite/oncomplete.h): `sync`,
# the suite's reconcile and watchdog jobs (`reconcile ID --watch`) and
# submit's follow; never `status` or `list`, which may refresh the suite
# (and see it complete) but run no user code. The hook sleeps 5 s before it
# writes its file: a `status` or `list` that ran it would leave the file.
# The reconcile job that waits on the arrays is cancelled at once, so only
# the commands here (and, in the second case, the watchdog) refresh.
# Left out of shellcheck here: the EXIT trap's own loop sets s.
# shellcheck disable=SC2154
. "$(dirname "$0")/lib.sh"
need_fault_injection

W=$(mk_workdir)
ids=""
trap 'for s in $ids; do scancel -n "ts-$s" 2>/dev/null; scancel -n "ts-$s-reconcile" 2>/dev/null; done; rm -rf "$W"' EXIT

for n in one two; do
    put "$W" "$n.yaml" <<'YAML'
name: hooked
close_after: 5s
run: echo "task %(n)"
matrix: {n: [1, 2]}
on_complete: {run: 'sleep 5; echo "ran $TASK_SUITE_COMPLETED" >> "$TASK_SUITE_DIR/hook-ran"'}
YAML
done

cancel_reconcile() {   # cancel_reconcile ID: the job that waits on the arrays
    local rj
    rj=$(squeue -h -t PENDING -n "ts-$1-reconcile" -o '%i %k' 2>/dev/null | awk '$2 ~ /:reconcile$/ {print $1}')
    [ -n "$rj" ] && scancel "$rj"
}
watchdog() {   # watchdog ID: the waiting watchdog job's id, if any
    squeue -h -t PENDING -n "ts-$1-reconcile" -o '%i %k' 2>/dev/null | awk '$2 == "tasksuite:'"$1"':watch" {print $1}'
}
# `status` until the journal says complete (status refreshes from Slurm)
status_until_complete() {   # status_until_complete ID
    wait_for 120 bash -c "runuser -u $TS_USER -- env SLURM_CONF=$SLURM_CONF TASKSUITE_HOME=$W/.tshome $TS_BIN status $1 >/dev/null 2>&1; [ \"\$(sqlite3 -readonly $W/.tshome/journal.db \"select state from suites where id='$1'\")\" = complete ]"
}

# 1. status/list complete it; only sync runs the hook.
id=$(ts "$W" submit --detach one.yaml 2>/dev/null | tail -1)
ok $? "submit --detach ($id)"
ids="$ids $id"
cancel_reconcile "$id"
dir="$W/.tshome/suites/$id"
status_until_complete "$id"
ok $? "status refreshes the suite to complete"
ok "$([ ! -e "$dir/hook-ran" ]; echo $?)" "status did not run on_complete"
ts "$W" list >/dev/null 2>&1
ts "$W" status "$id" >/dev/null 2>&1
ok "$([ ! -e "$dir/hook-ran" ]; echo $?)" "nor did list or another status"
ok "$([ -n "$(watchdog "$id")" ]; echo $?)" "while on_complete is due, the watchdog stays queued"
ts "$W" sync "$id" >/dev/null 2>&1
is "$(cat "$dir/hook-ran" 2>/dev/null)" "ran 2" "sync ran the due on_complete"
wait_for 10 sh -c "[ -z \"\$(squeue -h -t PENDING -n ts-$id-reconcile -o %i 2>/dev/null)\" ]"
ok $? "then the watchdog is withdrawn"
ts "$W" sync "$id" >/dev/null 2>&1
is "$(wc -l < "$dir/hook-ran")" 1 "a second sync does not run it again"

# 2. Nobody runs sync: the watchdog (period shortened to 5 s) runs it.
tid=$(as_user "$W" env TASKSUITE_HOME="$W/.tshome" TASKSUITE_FAULT_WATCH_PERIOD=5 "$TS_BIN" \
    submit --detach two.yaml 2>/dev/null | tail -1)
ok $? "submit --detach, watchdog every 5 s ($tid)"
ids="$ids $tid"
cancel_reconcile "$tid"
tdir="$W/.tshome/suites/$tid"
ok "$(wait_for 150 bash -c "runuser -u $TS_USER -- env SLURM_CONF=$SLURM_CONF TASKSUITE_HOME=$W/.tshome $TS_BIN status $tid >/dev/null 2>&1; [ -s $tdir/hook-ran ]"; echo $?)" \
    "with only status polling, the watchdog ran on_complete"
is "$(cat "$tdir/hook-ran" 2>/dev/null)" "ran 2" "once"

done_testing

#!/usr/bin/env bash
# A suite submitted from a file knows all its tasks: it is complete as soon
# as they are done (no idle window), on_complete runs then, and submit's
# follow ends then; `tasksuite add` re-opens it; a suite that asks to stay
# open (close_after) does.
# Left out of shellcheck here: SC2154: the EXIT trap's own loop sets s; SC2034: ao is unused (left for the owner).
# shellcheck disable=SC2154,SC2034
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
ids=""
trap 'for s in $ids; do scancel -n "ts-$s" 2>/dev/null; done; rm -rf "$W"' EXIT

put "$W" quick.yaml <<'YAML'
name: quick
run: echo "task %(n)"
matrix: {n: [1, 2]}
on_complete: {run: 'date +%s.%N >> "$TASK_SUITE_DIR/completed-at"'}
YAML

# bounded: with an idle window the follow would wait minutes for nothing
out=$(as_user "$W" timeout 100 env TASKSUITE_HOME="$W/.tshome" "$TS_BIN" submit quick.yaml 2>"$W/submit.err")
rc=$?
id=$(printf '%s\n' "$out" | tail -1)
ids="$ids $id"
is "$rc" 0 "submit follows the suite to its end and exits 0"
dir="$W/.tshome/suites/$id"
is "$(jsql "$W" "select state from suites where id='$id'")" complete \
    "the suite is complete when submit's follow ends"
last_end=$(jsql "$W" "select cast(max(ended_at) as int) from attempts where suite_id='$id'")
done_at=$(jsql "$W" "select cast(updated_at as int) from suites where id='$id'")
ok "$([ -n "$last_end" ] && [ -n "$done_at" ] && [ $((done_at - last_end)) -lt 120 ]; echo $?)" \
    "it completed right after its last task, not after an idle window (last task $last_end, complete $done_at)"
is "$(wc -l < "$dir/completed-at" 2>/dev/null)" 1 "on_complete ran once, when the suite completed"
like "$(ts "$W" status "$id" 2>&1)" 'complete' "status says complete"

# add re-opens it; it completes again when the new task is done
ao=$(ts "$W" add "$id" --args n=3 2>&1)
ok $? "add a task to the complete suite"
is "$(jsql "$W" "select state from suites where id='$id'")" open "add re-opens the suite"
ok "$(wait_for 90 bash -c "runuser -u $TS_USER -- env SLURM_CONF=$SLURM_CONF TASKSUITE_HOME=$W/.tshome $TS_BIN sync $id >/dev/null 2>&1; [ \"\$(sqlite3 -readonly $W/.tshome/journal.db \"select state from suites where id='$id'\")\" = complete ]"; echo $?)" \
    "the suite is complete again once the added task is done"
is "$(wc -l < "$dir/completed-at" 2>/dev/null)" 2 "on_complete ran again"

# close_after: the suite asks to stay open for more
put "$W" stay.yaml <<'YAML'
name: stay
close_after: 1h
run: "true"
YAML
sid=$(ts "$W" submit --detach stay.yaml 2>/dev/null | tail -1)
ids="$ids $sid"
ok "$(wait_for 90 bash -c "runuser -u $TS_USER -- env SLURM_CONF=$SLURM_CONF TASKSUITE_HOME=$W/.tshome $TS_BIN sync $sid >/dev/null 2>&1; [ \"\$(sqlite3 -readonly $W/.tshome/journal.db \"select state from tasks where suite_id='$sid'\")\" = completed ]"; echo $?)" \
    "close_after: its task completes"
ts "$W" sync "$sid" >/dev/null 2>&1
is "$(jsql "$W" "select state from suites where id='$sid'")" open "close_after: 1h keeps the suite open after its tasks are done"

done_testing

#!/usr/bin/env bash
# t0450-oncomplete: on_complete runs in one defined place (src/suite/
# oncomplete.h): `sync`, `reconcile`, submit's follow and the local runner,
# never `list` or `status`, which only read and refresh. A suite that asks
# to stay open a moment (close_after: 2s) is still open when submit's follow
# ends; the next `list` completes it, and its 5-second hook must not run
# there (the hook writes its file after the sleep: a `list` that ran it
# would leave the file behind). `sync` then runs it, once.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
put "$w" hook.yaml <<'YAML'
name: hooked
close_after: 2s
run: echo task %(n)
matrix: {n: [1, 2]}
on_complete: {run: 'sleep 5; echo "ran $TASK_SUITE_COMPLETED" >> "$TASK_SUITE_DIR/hook-ran"'}
YAML

out=$(ts "$w" submit --local hook.yaml 2>&1); rc=$?
is "$rc" 0 "submit --local runs both tasks (exit 0)"
id=$(printf '%s\n' "$out" | head -1)
dir="$w/.tshome/suites/$id"
is "$(jsql "$w" "select state from suites where id='$id'")" open \
    "close_after: the suite is still open when the follow ends"
sleep 3   # past close_after: the next refresh completes the suite
ts "$w" list >/dev/null 2>&1
is "$(jsql "$w" "select state from suites where id='$id'")" complete "list's refresh completed the suite"
ok "$([ ! -e "$dir/hook-ran" ]; echo $?)" "list did not run on_complete"
ts "$w" status "$id" >/dev/null 2>&1
ts "$w" list >/dev/null 2>&1
ok "$([ ! -e "$dir/hook-ran" ]; echo $?)" "status and list again: on_complete still not run"
out=$(ts "$w" sync "$id" 2>&1)
ok $? "sync $id"
is "$(cat "$dir/hook-ran" 2>/dev/null)" "ran 2" "sync ran the due on_complete"
ts "$w" sync "$id" >/dev/null 2>&1
ts "$w" status "$id" >/dev/null 2>&1
is "$(wc -l < "$dir/hook-ran" 2>/dev/null)" 1 "a second sync does not run it again"

# Without close_after the follow itself completes the suite and runs it.
put "$w" quick.yaml <<'YAML'
name: quick
run: "true"
on_complete: {run: 'echo ran >> "$TASK_SUITE_DIR/hook-ran"'}
YAML
out=$(ts "$w" submit --local quick.yaml 2>&1)
qid=$(printf '%s\n' "$out" | head -1)
is "$(cat "$w/.tshome/suites/$qid/hook-ran" 2>/dev/null)" ran "submit --local's follow ran on_complete"

done_testing

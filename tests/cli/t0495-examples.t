#!/usr/bin/env bash
# t0495-examples: every suite file under examples/ that the docs tell users
# to run is valid (`tasksuite validate`), and says what the docs say of it;
# examples/demo/broken.yaml is wrong on purpose (run-demo shows its message).
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
SRC=$(cd "$(dirname "$0")/../.." && pwd)

for f in "$SRC"/examples/*/*.yaml; do
    rel=${f#"$SRC"/}
    cp -r "$(dirname "$f")" "$w/" && chown -R "$TS_USER" "$w"
    out=$(as_user "$w/$(basename "$(dirname "$f")")" "$TS_BIN" validate "$(basename "$f")" 2>&1); rc=$?
    if [ "$rel" = examples/demo/broken.yaml ]; then
        [ "$rc" != 0 ]; ok $? "$rel is refused, as run-demo shows"
        like "$out" '^broken\.yaml:[0-9]+:[0-9]+: ' "$rel: the message names file, line and column"
    else
        is "$rc" 0 "$rel is valid" || diag "$out"
    fi
done
out=$(cd "$w/pool" && as_user "$w/pool" "$TS_BIN" validate sweep.yaml 2>&1)
like "$out" 'pool mode: 2 allocations at once, each 2 nodes x 8 workers' \
    "examples/pool/sweep.yaml runs in pool mode, as doc/many-short-tasks.md says"
[ -x "$SRC/examples/pool/score.sh" ]
ok $? "its task script is executable"
out=$(cd "$w/evaluate" && as_user "$w/evaluate" "$TS_BIN" validate train.yaml 2>&1)
like "$out" 'task 0 model' "examples/evaluate/train.yaml: one training task, as doc/resuming.md says"
[ -x "$SRC/examples/evaluate/train.sh" ] && [ -x "$SRC/examples/evaluate/evaluate.sh" ] \
    && [ -x "$SRC/examples/evaluate/pick-best.sh" ]
ok $? "examples/evaluate: its scripts are executable"
# it runs as it is with --local: 5 evaluations (steps 2..10), the best kept
as_user "$w/evaluate" env TASKSUITE_HOME="$w/.tshome-eval" "$TS_BIN" submit --local train.yaml >"$w/eval.out" 2>"$w/eval.err"
is "$?" 0 "examples/evaluate runs to the end with --local"
eid=$(head -1 "$w/eval.out")
is "$(sqlite3 -readonly "$w/.tshome-eval/journal.db" "select count(*) from tasks where suite_id='$eid' and name like 'model.ckpt-%' and state='completed'")" 5 \
    "examples/evaluate: one evaluation per second checkpoint"
[ -s "$w/.tshome-eval/suites/$eid/best" ]
ok $? "examples/evaluate: on_complete kept the best checkpoint"

done_testing

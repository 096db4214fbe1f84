#!/usr/bin/env bash
# tasksuite submit on the real cluster: a 3x4 matrix with the right
# arguments per task, a failing task, a 2-node task, --local parity,
# --dry-run, and chunking of 2,500 tasks under MaxArraySize=1001.
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
trap 'rm -rf "$W"' EXIT

# ---------------------------------------------------------------- matrix
put "$W" matrix.yaml <<'YAML'
name: grid
close_after: 1s
run: echo a=%(a) b=%(b) task=$TASK_SUITE_TASK attempt=$TASK_SUITE_ATTEMPT > "$TASK_SUITE_TASK_DIR/out"
matrix: {a: [1, 2, 3], b: [x, y, z, w]}
YAML
out=$(ts "$W" submit matrix.yaml 2>"$W/submit.err")
ok $? "submit of a 3x4 matrix follows to the end and exits 0"
id=$(printf '%s\n' "$out" | tail -1)
like "$id" '^[a-z0-9]{8}$' "submit prints an 8-character suite ID ($id)"
is "$(jsql "$W" "select count(*) from tasks where suite_id='$id' and state='completed'")" 12 \
    "all 12 tasks completed"
bad=0
for a in 1 2 3; do for b in x y z w; do
    f="$W/.tshome/suites/$id/tasks/a=$a,b=$b/out"
    [ "$(cat "$f" 2>/dev/null)" = "a=$a b=$b task=a=$a,b=$b attempt=1" ] || { bad=$((bad + 1)); diag "bad $f: $(cat "$f" 2>&1)"; }
done; done
is "$bad" 0 "each task saw its own arguments, name and attempt"
is "$(jsql "$W" "select count(*) from slurm_jobs sj join submissions s on s.id = sj.submission_id where s.suite_id='$id'")" 1 \
    "one job array for 12 tasks"

# ---------------------------------------------------------------- add
out=$(ts "$W" add "$id" --args a=9 --args b=q 2>&1)
like "$out" "suite $id: added task a=9,b=q \\(index 12\\)" "add: one more task, named like the matrix's"
ok "$(wait_for 60 bash -c "runuser -u $TS_USER -- env SLURM_CONF=$SLURM_CONF TASKSUITE_HOME=$W/.tshome $TS_BIN sync $id >/dev/null 2>&1; [ -s '$W/.tshome/suites/$id/tasks/a=9,b=q/out' ]"; echo $?)" \
    "add: the added task ran on the cluster"
is "$(cat "$W/.tshome/suites/$id/tasks/a=9,b=q/out" 2>/dev/null)" "a=9 b=q task=a=9,b=q attempt=1" "add: with its own arguments"
err=$(ts "$W" add "$id" --args a=1 2>&1); rc=$?
is "$rc" 1 "add: a missing %(b) is refused"
like "$err" 'run: %\(b\) has no value' "add: the message names the missing argument"
is "$(jsql "$W" "select total_tasks from suites where id='$id'")" 13 "add: nothing written for the refused task"

# ---------------------------------------------------------------- failure
put "$W" fail.yaml <<'YAML'
name: failing
close_after: 1s
run: '[ %(n) != 2 ] || exit 3'
on_complete: {run: 'echo "on_complete: $TASK_SUITE_COMPLETED of $TASK_SUITE_TOTAL completed"'}
matrix: {n: [1, 2, 3]}
YAML
ts "$W" submit fail.yaml >"$W/fail.out" 2>&1
ok $((! $?)) "submit exits non-zero when a task failed"
fid=$(grep -E '^[a-z0-9]{8}$' "$W/fail.out" | tail -1)
is "$(jsql "$W" "select state || ':' || ifnull(last_exit, '') from tasks where suite_id='$fid' and name='n=2'")" "failed:3" \
    "the failing task ends failed with exit code 3"
is "$(jsql "$W" "select count(*) from tasks where suite_id='$fid' and state='completed'")" 2 \
    "the other tasks completed"
sleep 1.5   # close_after: 1s, then any status moves it open -> closed -> complete
ts "$W" status "$fid" >/dev/null 2>&1
is "$(jsql "$W" "select state from suites where id='$fid'")" complete "the suite still becomes complete"
# on_complete runs from sync (or the suite's reconcile job), never status
ts "$W" sync "$fid" >/dev/null 2>&1
is "$(cat "$W"/.tshome/suites/"$fid"/hooks/on_complete.*.log 2>/dev/null)" "on_complete: 2 of 3 completed" \
    "on_complete ran once when the suite completed"

# The same file again (the user fixed the script): the failed task gets a
# next attempt in the same suite, the completed ones do not run again.
ts "$W" submit fail.yaml >"$W/refail.out" 2>"$W/refail.err"
rc=$?
is "$rc" 6 "submit of the same file again: the task fails again, exit 6 (a task did not complete)"
is "$(grep -E '^[a-z0-9]{8}$' "$W/refail.out" | tail -1)" "$fid" "it is the same suite"
like "$(cat "$W/refail.err")" "fail.yaml is already suite $fid: retrying its 1 task that did not complete" \
    "one line says the failed task is retried in the same suite"
is "$(jsql "$W" "select group_concat(name || ':' || attempts, ' ') from (select name, attempts from tasks where suite_id='$fid' order by idx)")" \
    "n=1:1 n=2:2 n=3:1" "only the failed task got a next attempt"

# ---------------------------------------------------------------- 2 nodes
put "$W" two.yaml <<'YAML'
name: two-nodes
close_after: 1s
num_nodes: 2
resources: {cpus: 1}
run: echo "rank=$NODE_RANK of $NUM_NODES on $SLURMD_NODENAME"
YAML
tid=$(ts "$W" submit two.yaml 2>/dev/null | tail -1)
d="$W/.tshome/suites/$tid/tasks/two-nodes/attempt-1"
like "$(cat "$d/node-0.stdout" 2>/dev/null)" '^rank=0 of 2 on n[12]$' "rank 0 ran with NODE_RANK=0 NUM_NODES=2"
like "$(cat "$d/node-1.stdout" 2>/dev/null)" '^rank=1 of 2 on n[12]$' "rank 1 ran with NODE_RANK=1"
ok "$([ "$(cut -d' ' -f5 "$d/node-0.stdout")" != "$(cut -d' ' -f5 "$d/node-1.stdout")" ]; echo $?)" \
    "the two ranks ran on different nodes"
is "$(jsql "$W" "select state from tasks where suite_id='$tid'")" completed "the 2-node task completed"
before=$(user_job_count)
out=$(ts "$W" submit two.yaml 2>&1); rc=$?
is "$rc" 0 "the same file again once every task completed: exit 0"
like "$out" "already suite $tid, complete: all 1 task done, nothing to run \(--new runs it again\)" \
    "saying there is nothing to run, and how to run it again"
is "$(user_job_count)" "$before" "and queueing nothing"

# ---------------------------------------------------------------- --local
lid=$(ts "$W" submit --local matrix.yaml 2>/dev/null | tail -1)
ok $? "submit --local runs the same suite without Slurm"
is "$(jsql "$W" "select count(*) from tasks where suite_id='$lid' and state='completed'")" 12 \
    "--local: all 12 tasks completed"
diffs=$(cd "$W/.tshome/suites" && for a in 1 2 3; do for b in x y z w; do
    rel="tasks/a=$a,b=$b/out"; cmp -s "$id/$rel" "$lid/$rel" || echo "$rel"; done; done)
is "$diffs" "" "--local wrote the same task outputs as the cluster run"

# ---------------------------------------------------------------- dry run
before=$(user_job_count)
out=$(ts "$W" submit --dry-run matrix.yaml 2>&1)
ok $? "--dry-run exits 0"
like "$out" 'sbatch --array=0-11 .*--job-name=grid' "--dry-run shows the array it would submit"
is "$(user_job_count)" "$before" "--dry-run queued nothing"

# ---------------------------------------------------------------- chunks
{ echo "name: many"; echo "close_after: 1s"; echo 'run: "true"'; printf 'matrix: {i: ['; seq -s, 0 2499 | tr -d '\n'; echo ']}'; } | put "$W" many.yaml
mid=$(ts "$W" submit many.yaml 2>/dev/null | tail -1)
is "$(jsql "$W" "select count(*) from tasks where suite_id='$mid' and state='completed'")" 2500 \
    "2,500 tasks all completed"
is "$(jsql "$W" "select group_concat(index_offset || ':' || last_index, ' ') from (select * from slurm_jobs sj join submissions s on s.id = sj.submission_id where s.suite_id='$mid' order by index_offset)")" \
    "0:1000 1001:1000 2002:497" "split into 3 arrays at MaxArraySize=1001 (offsets 0, 1001, 2002)"

done_testing

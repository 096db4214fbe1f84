#!/usr/bin/env bash
# status, list, logs and cancel on the real cluster: a 3-task suite where one
# task completes, one fails (exit 3) and one sleeps; the JSON documents
# parse and count right, logs show each task's output, unknown names are
# "not found" (3), bad values are usage errors (2), and cancel stops first
# one task's array element, then the whole suite.
# Left out of shellcheck here: SC2154: the EXIT trap's own loop sets s; SC2143: style.
# shellcheck disable=SC2154,SC2143
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
ids=""
# never leave this test's jobs behind for the next test
trap 'for s in $ids; do scancel -n "ts-$s" 2>/dev/null; done; rm -rf "$W"' EXIT
H="$W/.tshome"

# tasksuite as the test user with a journal private to this test
t() { as_user "$W" env TASKSUITE_HOME="$H" "$TS_BIN" "$@"; }

# Read a value out of a JSON document on stdin: jget 'd["counts"]["failed"]'
jget() {
    python3 -c 'import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print("null" if v is None else v)' "$1" 2>/dev/null
}
json_ok() { python3 -c 'import json, sys; json.load(sys.stdin)' 2>/dev/null; }

cat > "$W/inspect.yaml" <<'YAML'
name: inspect
labels: ["project:t0310"]
run: |
  case %(what) in
    ok) echo "hello from ok"; echo "to stderr" >&2 ;;
    fail) echo "about to fail"; exit 3 ;;
    sleep) echo "sleeping"; sleep 60 ;;
  esac
tasks:
  - {name: ok, args: {what: ok}}
  - {name: fails, args: {what: fail}}
  - {name: sleeper, args: {what: sleep}}
YAML
chown "$TS_USER:" "$W/inspect.yaml"

out=$(t submit --detach inspect.yaml 2>"$W/submit.err")
ok $? "submit --detach exits 0"
id=$(printf '%s\n' "$out" | tail -1)
like "$id" '^[a-z0-9]{8}$' "submit prints the suite ID ($id)"
ids="$ids $id"
[ -s "$W/submit.err" ] && diag "submit stderr: $(head -c 400 "$W/submit.err")"

# Wait until ok completed, fails failed and sleeper runs.
counts=""
for i in $(seq 60); do
    counts=$(t status "$id" --json 2>/dev/null \
             | jget '"%s/%s/%s" % (d["counts"]["completed"], d["counts"]["failed"], d["counts"]["running"])')
    [ "$counts" = "1/1/1" ] && break
    sleep 1
done
is "$counts" "1/1/1" "status --json: 1 completed, 1 failed, 1 running (after ${i}s)"

# ---------------------------------------------------------------- status
js=$(t status "$id" --json 2>"$W/status.err")
ok $? "status ID --json exits 0"
printf '%s' "$js" | json_ok
ok $? "status --json is one JSON document"
is "$(printf '%s' "$js" | jget 'd["id"]')" "$id" "it names the suite"
is "$(printf '%s' "$js" | jget 'd["name"]')" "inspect" "and its name"
is "$(printf '%s' "$js" | jget '"%s %s %s" % (d["total"], d["done"], d["percent"])')" "3 2 66.7" \
    "total 3, done 2, percent 66.7"
is "$(printf '%s' "$js" | jget '" ".join(sorted(d["counts"]))')" \
    "cancelled completed failed node_fail pending preempted running skipped timeout" \
    "a counter for every task state"
is "$(printf '%s' "$js" | jget '" ".join(t["name"] + ":" + t["state"] for t in d["tasks"])')" \
    "ok:completed fails:failed sleeper:running" "per-task states"
is "$(printf '%s' "$js" | jget '[t["last_exit"] for t in d["tasks"] if t["name"] == "fails"][0]')" 3 \
    "the failed task's last exit is 3"
is "$(printf '%s' "$js" | jget '[t["attempt_history"][0]["state"] for t in d["tasks"] if t["name"] == "fails"][0]')" \
    failed "its attempt history has attempt 1 failed"
like "$(printf '%s' "$js" | jget '[t["attempt_history"][0]["slurm_job_id"] for t in d["tasks"] if t["name"] == "ok"][0]')" \
    '^[0-9]' "an attempt knows its Slurm job"
is "$(printf '%s' "$js" | jget 'sorted(d["tasks"][0]["attempt_history"][0])')" \
    "['attempt', 'ended_at', 'exit_code', 'node', 'num_nodes', 'signal', 'slurm_job_id', 'started_at', 'state']" \
    "attempt keys"

txt=$(t status "$id")
ok $? "status ID exits 0"
like "$txt" "$id" "the text names the suite"
like "$txt" '2/3 done \(66\.7%\)' "the text shows 2/3 done (66.7%)"
# the counters wrap at 80 columns (continuation lines indented): read them joined
like "$(printf '%s\n' "$txt" | tr '\n' ' ' | tr -s ' ')" \
    'pending 0, running 1, completed 1, failed 1, timeout 0, cancelled 0, node_fail 0, preempted 0' \
    "the text shows every counter"
like "$txt" 'fails +failed +1 +exit 3' "the task table shows the failed task with exit 3"
like "$(t status 2>&1)" "$id.*most recent" "status without ID shows the most recent suite, and says so"

t status nosuchid >/dev/null 2>"$W/err"
is $? 3 "status of an unknown ID exits 3"
like "$(cat "$W/err")" '^tasksuite status: no suite "nosuchid"' "with a one-line message"
t status "$id" --bogus >/dev/null 2>&1
is $? 2 "status with an unknown option exits 2"

# ---------------------------------------------------------------- list
lj=$(t list --json 2>/dev/null)
ok $? "list --json exits 0"
printf '%s' "$lj" | json_ok
ok $? "list --json is one JSON document"
is "$(printf '%s' "$lj" | jget '[s["state"] + " " + str(s["done"]) + "/" + str(s["total"]) for s in d if s["id"] == "'"$id"'"][0]')" \
    "open 2/3" "list --json has the suite, open, 2/3"
like "$(t list)" "^$id +inspect +open +2/3 .*project:t0310" "list shows ID, name, state, done/total, labels"
like "$(t list --label project:t0310)" "$id" "--label finds it"
unlike "$(t list --label project:other 2>/dev/null)" "$id" "another label does not"
t list --state bogus >/dev/null 2>"$W/err"
is $? 2 "list --state bogus exits 2"
like "$(cat "$W/err")" 'unknown state "bogus" \(valid: open, closed, complete, cancelled\)' \
    "and lists the valid states"

# ---------------------------------------------------------------- logs
is "$(t logs "$id" ok)" "hello from ok" "logs ID ok shows the task's stdout"
is "$(t logs "$id" ok --stderr)" "to stderr" "logs --stderr shows its stderr"
is "$(t logs "$id" fails)" "about to fail" "logs of the failed task"
is "$(t logs "$id" sleeper --attempt 1)" "sleeping" "logs --attempt 1 of the running task"
t logs "$id" nosuch >/dev/null 2>"$W/err"
is $? 3 "logs of an unknown task exits 3"
like "$(cat "$W/err")" "no task \"nosuch\" in suite $id" "naming the task and the suite"
t logs "$id" >/dev/null 2>"$W/err"
is $? 2 "logs without TASK in a 3-task suite exits 2"
like "$(cat "$W/err")" 'sleeper' "and lists the tasks"
t logs "$id" ok --attempt 2 >/dev/null 2>&1
is $? 3 "logs of an attempt that does not exist exits 3"
fo=$(as_user "$W" timeout --preserve-status -s INT 4 env TASKSUITE_HOME="$H" "$TS_BIN" logs "$id" sleeper --follow 2>/dev/null)
is $? 0 "logs --follow of a running task runs until Ctrl-C, then exits 0"
is "$fo" "sleeping" "and printed its output"

# ---------------------------------------------------------------- cancel --task
arr=$(sqlite3 -readonly "$H/journal.db" \
      "select sj.array_job_id from slurm_jobs sj join submissions s on s.id = sj.submission_id where s.suite_id = '$id'")
like "$arr" '^[0-9]+$' "the suite has one Slurm array ($arr)"
like "$(squeue -h -r -t PENDING,RUNNING -j "$arr" -o %i 2>/dev/null)" "^${arr}_2$" \
    "its element 2 (sleeper) is running"
co=$(t cancel "$id" --task sleeper 2>&1)
ok $? "cancel --task sleeper exits 0"
like "$co" "cancelled Slurm job ${arr}_2" "it cancelled element ${arr}_2"
gone=1
for i in $(seq 60); do
    [ -z "$(squeue -h -r -t PENDING,RUNNING -j "$arr" -o %i 2>/dev/null | grep "_2$")" ] && { gone=0; break; }
    sleep 1
done
ok $gone "the element left Slurm's queue"
is "$(t status "$id" --json 2>/dev/null | jget '[t["state"] for t in d["tasks"] if t["name"] == "sleeper"][0]')" \
    cancelled "the task is cancelled"
is "$(t status "$id" --json 2>/dev/null | jget 'd["state"]')" complete \
    "the suite is not cancelled: all its tasks are done, so it is complete"
t cancel "$id" --task nosuch >/dev/null 2>&1
is $? 3 "cancel --task of an unknown task exits 3"

# ---------------------------------------------------------------- cancel
co=$(t cancel "$id" 2>&1)
ok $? "cancel ID exits 0"
like "$co" "suite $id \(inspect\) cancelled" "it says the suite is cancelled"
is "$(t status "$id" --json 2>/dev/null | jget 'd["state"]')" cancelled "status shows the suite cancelled"
like "$(t list --state cancelled)" "$id" "list --state cancelled has it"
co=$(t cancel "$id" 2>&1)
ok $? "cancelling it again exits 0"
like "$co" "already cancelled" "and says it was already cancelled"
is "$(squeue -h -t PENDING,RUNNING -u "$TS_USER" -n "ts-$id" -o %i 2>/dev/null | wc -l)" 0 \
    "no job of the suite is left in Slurm"
t cancel >/dev/null 2>&1
is $? 2 "cancel without ID exits 2"

# ---------------------------------------------------------------- 2 nodes
cat > "$W/two.yaml" <<'YAML'
name: two
num_nodes: 2
resources: {cpus: 1}
run: echo "rank $NODE_RANK"; echo "second line of $NODE_RANK"
YAML
chown "$TS_USER:" "$W/two.yaml"
tid=$(t submit --detach two.yaml 2>/dev/null | tail -1)
ids="$ids $tid"
st=""
for i in $(seq 60); do
    st=$(t status "$tid" --json 2>/dev/null | jget 'd["tasks"][0]["state"]')
    [ "$st" = completed ] && break
    sleep 1
done
is "$st" completed "the 2-node task completed"
is "$(t logs "$tid")" "$(printf 'node-0 | rank 0\nnode-0 | second line of 0\nnode-1 | rank 1\nnode-1 | second line of 1')" \
    "logs of a 2-node attempt: each line prefixed node-R |, ranks in order (the only task needs no name)"
fo=$(as_user "$W" timeout 20 env TASKSUITE_HOME="$H" "$TS_BIN" logs "$tid" two --follow 2>/dev/null)
is $? 0 "logs --follow of an ended attempt prints it and exits 0"
is "$(printf '%s\n' "$fo" | wc -l)" 4 "all four lines"

# ---------------------------------------------------------------- --keep-running
# Three tasks that each need a whole node: two run, the third waits.
cat > "$W/keep.yaml" <<'YAML'
name: keep
resources: {cpus: 16}
run: sleep 60
matrix: {n: [1, 2, 3]}
YAML
chown "$TS_USER:" "$W/keep.yaml"
kid=$(t submit --detach keep.yaml 2>/dev/null | tail -1)
ids="$ids $kid"
live() { squeue -h -r -t "$1" -n "ts-$kid" -o %i 2>/dev/null | wc -l; }
for i in $(seq 60); do
    [ "$(live RUNNING)" = 2 ] && [ "$(live PENDING)" = 1 ] && break
    sleep 1
done
is "$(live RUNNING)/$(live PENDING)" "2/1" "two elements run, one is pending"
co=$(t cancel "$kid" --keep-running 2>&1)
ok $? "cancel --keep-running exits 0"
like "$co" 'cancelled 1 pending element of Slurm array [0-9]+; left 2 running' "it cancelled the pending element only"
for i in $(seq 30); do [ "$(live PENDING)" = 0 ] && break; sleep 1; done
is "$(live RUNNING)/$(live PENDING)" "2/0" "the running elements are left alone"
is "$(t status "$kid" --json 2>/dev/null | jget 'd["state"]')" cancelled "the suite is cancelled"
co=$(t cancel "$kid" 2>&1)
ok $? "cancel without --keep-running afterwards exits 0"
like "$co" 'cancelled Slurm array [0-9]+: 0 pending, 2 running' "and stops the running elements"
like "$co" 'already cancelled' "saying the suite was already cancelled"
for i in $(seq 30); do [ "$(live RUNNING)" = 0 ] && break; sleep 1; done
is "$(live RUNNING)" 0 "nothing of the suite runs any more"

done_testing

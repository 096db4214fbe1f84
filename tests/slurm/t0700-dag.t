#!/usr/bin/env bash
# t0700-dag: depends_on inside a suite on the real cluster (issue 14,
# doc/dags.md): a diamond runs in order and each task sees its upstream
# directories; a 2-stage per-element pipeline of 50 elements in arrays of
# 16 (aftercorr chunk by chunk: element i of stage 2 waits only for element
# i of stage 1, proved by stage 1's last element waiting for stage 2's
# first to start); an upstream
# failure leaves its downstream unrun, and retrying the upstream re-arms
# them; an upstream that resumes keeps its downstream waiting; a
# 2-document chain file runs in order, each stage with its own resources;
# a suite-level depends_on waits for another suite to complete.
# shellcheck disable=SC2154
. "$(dirname "$0")/lib.sh"
need_fault_injection

W=$(mk_workdir)
ids=""
trap 'for s in $ids; do scancel -n "ts-$s" 2>/dev/null; done; rm -rf "$W"' EXIT

submit() {   # submit FILE [VAR=VALUE...]: follows the suite to its end, prints its id
    local out f=$1; shift
    out=$(as_user "$W" timeout 150 env TASKSUITE_HOME="$W/.tshome" "$@" "$TS_BIN" submit "$f" 2>"$W/submit.err")
    printf '%s\n' "$out" | tail -1
}
tdir() { echo "$W/.tshome/suites/$1/tasks/$2"; }
ts_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a <= b) }'; }

# --- a diamond
put "$W" diamond.yaml <<'YAML'
name: diamond
run: |
  date +%s.%N > "$TASK_SUITE_TASK_DIR/start"
  env | grep '^TASK_SUITE_DEP_' | sort > "$TASK_SUITE_TASK_DIR/deps"
  date +%s.%N > "$TASK_SUITE_TASK_DIR/end"
tasks:
  - {name: a}
  - {name: b, depends_on: [a]}
  - {name: c, depends_on: [a]}
  - {name: d, depends_on: [b, c]}
YAML
id=$(submit diamond.yaml); ids="$ids $id"
is "$(jsql "$W" "select group_concat(state) from (select state from tasks where suite_id='$id' order by idx)")" \
    "completed,completed,completed,completed" "diamond: every task completed"
a=$(cat "$(tdir "$id" a)/end"); d=$(cat "$(tdir "$id" d)/start")
for t in b c; do
    s=$(cat "$(tdir "$id" $t)/start"); e=$(cat "$(tdir "$id" $t)/end")
    ts_le "$a" "$s"; ok $? "diamond: $t started after a ended"
    ts_le "$e" "$d"; ok $? "diamond: d started after $t ended"
done
is "$(cat "$(tdir "$id" d)/deps")" \
   "TASK_SUITE_DEP_B_DIR=$(tdir "$id" b)
TASK_SUITE_DEP_C_DIR=$(tdir "$id" c)" "d sees its upstream directories"

# --- a per-element pipeline of 50: stage one's element 49 cannot end
# before stage two's element 0 started, which only aftercorr allows
idx=$(seq -s ', ' 0 49)
put "$W" pipe.yaml <<YAML
name: pipe
stages:
  - name: one
    matrix: {i: [$idx]}
    run: |
      if [ %(i) = 49 ]; then
        for n in \$(seq 600); do [ -e "\$TASK_SUITE_DIR/two-started" ] && break; sleep 0.1; done
      fi
      date +%s.%N > "\$TASK_SUITE_TASK_DIR/end"
  - name: two
    matrix: {i: [$idx]}
    depends_on: [one]
    run: |
      date +%s.%N > "\$TASK_SUITE_TASK_DIR/start"
      touch "\$TASK_SUITE_DIR/two-started"
      cp "\$TASK_SUITE_DEP_ONE_DIR/end" "\$TASK_SUITE_TASK_DIR/upstream-end"
YAML
# arrays of at most 16 (a fault-injection build's stand-in for MaxArraySize):
# chunk k of stage two waits per element for chunk k of stage one
id=$(submit pipe.yaml TASKSUITE_FAULT_MAX_ARRAY=16); ids="$ids $id"
is "$(jsql "$W" "select count(*) from tasks where suite_id='$id' and state='completed'")" 100 \
    "pipeline: 100 tasks completed"
is "$(jsql "$W" "select count(*) from slurm_jobs j join submissions s on s.id = j.submission_id where s.suite_id='$id'")" 8 \
    "pipeline: each stage in 4 arrays of at most 16"
bad=0
for i in $(seq 0 49); do
    s=$(cat "$(tdir "$id" "two.i=$i")/start" 2>/dev/null)
    e=$(cat "$(tdir "$id" "one.i=$i")/end" 2>/dev/null)
    ts_le "$e" "$s" && [ "$(cat "$(tdir "$id" "two.i=$i")/upstream-end" 2>/dev/null)" = "$e" ] || bad=$((bad + 1))
done
is "$bad" 0 "pipeline: each element of two started after its own element of one, and saw its directory"
like "$(ts "$W" status "$id" 2>&1)" $'graph:    one: 50 tasks, completed 50\n +two \\(after one per element\\): 50 tasks, completed 50' \
    "status shows the graph: stage -> counts"
is "$(ts "$W" status --json "$id" 2>/dev/null | jq -c '.graph.edges')" '[{"from":"one","to":"two","type":"aftercorr"}]' \
    "status --json has the edges"
first2=$(cat "$(tdir "$id" two.i=0)"/../two.i=*/start | sort -n | head -1)
last1=$(cat "$(tdir "$id" one.i=0)"/../one.i=*/end | sort -n | tail -1)
ts_le "$first2" "$last1"; ok $? "pipeline: stage two started ($first2) before stage one was finished ($last1)"

# --- an upstream failure: downstream never runs; a retry re-arms it
put "$W" fail.yaml <<'YAML'
name: fail
run: 'test "$TASK_SUITE_TASK" != up || test -e "$TASK_SUITE_DIR/fixed" || exit 1; date +%s.%N > "$TASK_SUITE_TASK_DIR/ran"'
tasks:
  - {name: up}
  - {name: down, depends_on: [up]}
  - {name: after, depends_on: [down]}
  - {name: free}
YAML
id=$(submit fail.yaml); ids="$ids $id"
is "$(jsql "$W" "select group_concat(name || '=' || state) from (select * from tasks where suite_id='$id' order by idx)")" \
    "up=failed,down=skipped,after=skipped,free=completed" "failure: up failed, its downstream skipped, free completed"
[ ! -e "$(tdir "$id" down)/ran" ] && [ ! -e "$(tdir "$id" after)/ran" ]
ok $? "failure: the skipped tasks never ran"
like "$(ts "$W" status "$id" 2>&1)" 'down +skipped' "status shows skipped"
is "$(ts "$W" status --json "$id" 2>/dev/null | jq -r '.tasks[] | select(.name == "after") | .state')" skipped \
    "status --json shows skipped"
as_user "$W" touch "$W/.tshome/suites/$id/fixed"
out=$(ts "$W" retry "$id" --task up 2>&1)
like "$out" '3 tasks resubmitted' "retry of up re-arms down and after"
ok "$(wait_for 90 bash -c "runuser -u $TS_USER -- env SLURM_CONF=$SLURM_CONF TASKSUITE_HOME=$W/.tshome $TS_BIN sync $id >/dev/null 2>&1; [ \"\$(sqlite3 -readonly $W/.tshome/journal.db \"select count(*) from tasks where suite_id='$id' and state='completed'\")\" = 4 ]"; echo $?)" \
    "after the retry every task completed"
ts_le "$(cat "$(tdir "$id" up)/ran")" "$(cat "$(tdir "$id" down)/ran")"; ok $? "down ran after the retried up"

# --- an upstream that resumes (exit 75: graceful timeout, next attempt
# queued from its job) keeps its downstream waiting, never skipped
put "$W" resume.yaml <<'YAML'
name: resume
run: |
  if [ "$TASK_SUITE_TASK" = up ] && [ "$TASK_SUITE_ATTEMPT" = 1 ]; then exit 75; fi
  date +%s.%N > "$TASK_SUITE_TASK_DIR/start"
  sleep 1
  date +%s.%N > "$TASK_SUITE_TASK_DIR/end"
tasks:
  - {name: up}
  - {name: down, depends_on: [up]}
YAML
id=$(submit resume.yaml); ids="$ids $id"
is "$(jsql "$W" "select group_concat(name || '=' || state) from (select * from tasks where suite_id='$id' order by idx)")" \
    "up=completed,down=completed" "resume: up resumed and completed, down completed (not skipped)"
ts_le "$(cat "$(tdir "$id" up)/end")" "$(cat "$(tdir "$id" down)/start")"; ok $? "resume: down ran after up's resumed attempt ended"

# --- a 2-document chain file
put "$W" chain.yaml <<'YAML'
name: chain
---
name: first
resources: {cpus: 2}
run: 'echo "$SLURM_CPUS_PER_TASK" > "$TASK_SUITE_TASK_DIR/cpus"; date +%s.%N > "$TASK_SUITE_TASK_DIR/end"'
---
name: second
run: 'date +%s.%N > "$TASK_SUITE_TASK_DIR/start"; echo "${SLURM_CPUS_PER_TASK:-unset}" > "$TASK_SUITE_TASK_DIR/cpus"'
YAML
id=$(submit chain.yaml); ids="$ids $id"
ts_le "$(cat "$(tdir "$id" first)/end")" "$(cat "$(tdir "$id" second)/start")"; ok $? "chain: second ran after first"
is "$(cat "$(tdir "$id" first)/cpus")/$(cat "$(tdir "$id" second)/cpus")" "2/unset" \
    "chain: each document kept its own resources"

# --- between suites: the second waits (held) for the first to complete
put "$W" first.yaml <<'YAML'
name: first-suite
run: 'sleep 3; date +%s.%N > "$TASK_SUITE_TASK_DIR/end"'
YAML
put "$W" second.yaml <<'YAML'
name: second-suite
depends_on: [first-suite]
run: 'date +%s.%N > "$TASK_SUITE_TASK_DIR/start"'
YAML
a=$(ts "$W" submit --detach first.yaml 2>/dev/null | tail -1); ids="$ids $a"
b=$(ts "$W" submit --detach second.yaml 2>/dev/null | tail -1); ids="$ids $b"
like "$(ts "$W" status "$b" 2>&1)" "waiting:  for suite $a to complete" "between suites: the second says what it waits for"
id=$(submit second.yaml)
is "$id" "$b" "between suites: submit follows the waiting suite"
ts_le "$(cat "$(tdir "$a" first-suite)/end")" "$(cat "$(tdir "$b" second-suite)/start")"
ok $? "between suites: the second ran after the first completed"

done_testing

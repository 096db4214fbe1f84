#!/usr/bin/env bash
# t0475-oncheckpoint: on_checkpoint and cancel --grace without Slurm
# (issue 16): validate refuses a malformed on_checkpoint with
# file:line:col and writes nothing; a --local suite runs one evaluation per
# checkpoint that `every` admits (a step recorded twice triggers once) and
# completes only after them; cancel --task --grace lets a --local task
# checkpoint in the grace and retry resumes from that checkpoint.
. "$(dirname "$0")/local.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT

# ---------------------------------------------------------------- validate
bad() {   # bad NAME REGEX YAML-ON-STDIN
    local name=$1 want=$2 out rc
    put "$w" "$name.yaml"
    out=$(ts "$w" validate "$name.yaml" 2>&1); rc=$?
    is "$rc" 1 "$name: validate exits 1"
    like "$out" "$want" "$name: the message says what and where"
}
bad no-run '^no-run\.yaml:3:3: on_checkpoint: needs run:' <<'YAML'
run: "true"
on_checkpoint:
  every: 2
YAML
bad every-zero '^every-zero\.yaml:4:10: on_checkpoint\.every: ' <<'YAML'
run: "true"
on_checkpoint:
  run: echo
  every: 0
YAML
bad every-word '^every-word\.yaml:4:10: on_checkpoint\.every: ' <<'YAML'
run: "true"
on_checkpoint:
  run: echo
  every: often
YAML
bad unknown-key '^unknown-key\.yaml:4:3: on_checkpoint\.resource: ' <<'YAML'
run: "true"
on_checkpoint:
  run: echo
  resource: {cpus: 2}
YAML
bad resources '^resources\.yaml:4:14: on_checkpoint\.resources: not supported yet: evaluations run with the suite.s resources' <<'YAML'
run: "true"
on_checkpoint:
  run: echo
  resources: {cpus: 2}
YAML
bad placeholder '^placeholder\.yaml:3:8: on_checkpoint\.run: %\(\.\.\.\) has no value in a triggered task' <<'YAML'
run: "true"
on_checkpoint:
  run: eval.py %(lr)
matrix: {lr: [1, 2]}
YAML
bad grace '^grace\.yaml:2:24: resume\.cancel_grace: ' <<'YAML'
run: "true"
resume: {cancel_grace: soon}
YAML
ok "$([ ! -e "$w/.tshome/journal.db" ] || [ "$(jsql "$w" 'select count(*) from suites')" = 0 ]; echo $?)" \
    "nothing was written to the journal"

# ---------------------------------------------------------------- --local
put "$w" train.yaml <<'YAML'
name: train
run: |
  for s in 1 2 3 4 4 5 6; do
    echo "w$s" > "$TASK_SUITE_TASK_DIR/ck-$s"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/ck-$s" --step $s
  done
on_checkpoint:
  run: echo "$TASK_SUITE_SOURCE_TASK $TASK_SUITE_CHECKPOINT_STEP $(cat "$TASK_SUITE_CHECKPOINT")"
  every: 2
tasks:
  - {name: net}
YAML
like "$(ts "$w" validate train.yaml 2>&1)" '^on_checkpoint \(steps that are multiples of 2\): sh -c echo' \
    "validate shows on_checkpoint"
ts "$w" submit --local train.yaml > "$w/out" 2> "$w/err"
is "$?" 0 "submit --local runs the suite to the end"
id=$(tail -1 "$w/out")
is "$(jsql "$w" "select group_concat(name || ':' || state, ' ') from (select name, state from tasks where suite_id='$id' order by idx)")" \
    "net:completed net.ckpt-2:completed net.ckpt-4:completed net.ckpt-6:completed" \
    "3 evaluations for steps 2, 4, 6 (step 4, recorded twice, once)"
got=""
for s in 2 4 6; do got="$got$(cat "$(suite_dir "$w" "$id")/tasks/net.ckpt-$s/attempt-1/stdout");"; done
is "$got" "net 2 w2;net 4 w4;net 6 w6;" "each evaluation saw its source, step and checkpoint file"
is "$(jsql "$w" "select state from suites where id='$id'")" complete "the suite completed with them"
like "$(ts "$w" status "$id" 2>&1)" 'net +3 evaluations: 3 completed \(steps 2, 4, 6\)' \
    "status shows the evaluations per source task"

# ---------------------------------------------------------------- --grace
put "$w" grace.yaml <<'YAML'
name: grace
resume: {signal: USR2@30}
run: |
  echo "attempt $TASK_SUITE_ATTEMPT from ${TASK_SUITE_CHECKPOINT##*/} step ${TASK_SUITE_CHECKPOINT_STEP:-0}"
  [ "$TASK_SUITE_ATTEMPT" -gt 1 ] && exit 0
  saved() {
    echo g > "$TASK_SUITE_TASK_DIR/grace"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/grace" --step 1000
    exit 75
  }
  trap saved USR2
  s=0
  while :; do
    s=$((s + 1)); echo $s > "$TASK_SUITE_TASK_DIR/ck-$s"
    tasksuite checkpoint "$TASK_SUITE_TASK_DIR/ck-$s" --step $s
    sleep 1 & wait $!
  done
tasks:
  - {name: work}
YAML
ts "$w" submit --local --detach grace.yaml > "$w/gout" 2>&1
gid=$(head -1 "$w/gout")
wait_for 30 test -e "$(suite_dir "$w" "$gid")/tasks/work/ck-2"
out=$(ts "$w" cancel "$gid" --task work --grace 20s 2>&1)
is "$?" 0 "cancel --task --grace of a --local task exits 0"
like "$out" 'sent SIGUSR2 to task 0 \(attempt 1\); waiting up to 20s' "it sends the suite's signal"
like "$out" 'task 0 ended within the grace period' "the task ended within the grace"
is "$(jsql "$w" "select state from tasks where suite_id='$gid'")" cancelled "the task is cancelled"
ts "$w" retry "$gid" --task work > /dev/null 2>&1
wait_for 30 nothing_open "$w" "$gid"
is "$(cat "$(suite_dir "$w" "$gid")/tasks/work/attempt-2/stdout" 2>/dev/null)" "attempt 2 from grace step 1000" \
    "retry resumed from the checkpoint written in the grace"
# the whole suite, with the suite's own grace
sed 's/^resume: {signal: USR2@30}$/resume: {signal: USR2@30, cancel_grace: 20s}/; s/^name: grace$/name: grace2/' \
    "$w/grace.yaml" > "$w/grace2.yaml"
ts "$w" submit --local --detach grace2.yaml > "$w/g2out" 2>&1
g2=$(head -1 "$w/g2out")
wait_for 30 test -e "$(suite_dir "$w" "$g2")/tasks/work/ck-2"
out=$(ts "$w" cancel "$g2" 2>&1)
like "$out" 'waiting up to 20s' "cancel of a suite: the grace from resume.cancel_grace"
like "$out" 'suite [a-z0-9]+ \(grace2\) cancelled: 1 task cancelled' "the suite is cancelled"
is "$(jsql "$w" "select max(step) from checkpoints where suite_id='$g2'")" 1000 \
    "the journal has the checkpoint written in the grace"
out=$(ts "$w" cancel "$gid" --grace later 2>&1)
is "$?" 2 "a --grace that is no duration is a usage error"
like "$out" '--grace: "later" is not a duration' "and says so"
out=$(ts "$w" cancel "$gid" --grace 5s --keep-running 2>&1)
is "$?" 2 "--grace with --keep-running is a usage error"
like "$out" '--grace and --keep-running: give one' "and says so"

done_testing

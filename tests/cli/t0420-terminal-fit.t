#!/usr/bin/env bash
# t0420-terminal-fit: status fits 80 columns (counts wrapped, checkpoint
# paths relative to the run directory and elided), no colour codes off a
# terminal or under NO_COLOR, and validate summarises a big suite
# (--all lists every task). Issue 12, item 14.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
deep=$w/scratch/a-rather-long-project-name/experiments/2026-11-30/checkpoints/epoch-0042
put "$w" ck.yaml <<YAML
name: ck
run: mkdir -p $deep && touch $deep/model-%(n).pt && tasksuite checkpoint $deep/model-%(n).pt --step 42 && mkdir -p "\$TASK_SUITE_TASK_DIR/ck" && tasksuite checkpoint "\$TASK_SUITE_TASK_DIR/ck" --step 7
matrix:
  n: [1]
tasks:
  - {name: outside, args: {n: "2"}}
YAML
put "$w" outside.yaml <<YAML
name: outside
run: mkdir -p $deep && touch $deep/model.pt && tasksuite checkpoint $deep/model.pt --step 42; exit 1
YAML

# lines wider than 80 columns (characters, not bytes: an ellipsis is one)
wide() { LC_ALL=C.UTF-8; while IFS= read -r l; do [ "${#l}" -gt 80 ] && printf '%s\n' "$l"; done; return 0; }

out=$(ts "$w" submit --local ck.yaml 2>&1); rc=$?
is "$rc" 0 "a suite registering checkpoints runs" || diag "$out"
id=$(printf '%s\n' "$out" | head -1)
out=$(ts "$w" submit --local outside.yaml 2>&1)
oid=$(printf '%s\n' "$out" | head -1)

out=$(ts "$w" status "$id" 2>&1)
long=$(wide <<<"$out")
is "$long" "" "status of a suite with checkpoints fits 80 columns"
like "$out" "tasks/[^ ]*/ck \(step 7\)" "a checkpoint in the run directory is shown relative to it"
like "$(grep -A1 '^counts:' <<<"$out")" "^ {10}[a-z]" "the counts wrap under their label"
out=$(ts "$w" status "$oid" 2>&1)
like "$out" $'\xe2\x80\xa6'"[^ ]*/model.pt \(step 42\)" "a long path elides its middle, keeps its file name"
is "$(wide <<<"$out")" "" "and fits 80 columns"
json=$(ts "$w" status "$oid" --json 2>&1)
like "$json" "\"$deep/model.pt\"" "status --json keeps the full path"
unlike "$out" $'\033\\[' "no colour codes when stdout is not a terminal"
if command -v script >/dev/null; then
    tty=$(as_user "$w" env TASKSUITE_HOME="$w/.tshome" TERM=xterm script -qec "$TS_BIN status $oid" /dev/null 2>&1)
    like "$tty" $'\033\\[31mfailed' "a failed task is red on a terminal"
    tty=$(as_user "$w" env TASKSUITE_HOME="$w/.tshome" TERM=xterm NO_COLOR=1 script -qec "$TS_BIN status $oid" /dev/null 2>&1)
    unlike "$tty" $'\033\\[31m' "NO_COLOR: no colour on a terminal"
fi

# validate: a summary for a big suite, everything with --all
{ echo "name: big"; echo "run: echo %(i)"; echo "matrix:"; printf '  i: ['; seq -s, 1 200 | tr -d '\n'; echo ']'; } |
    put "$w" big.yaml
out=$(ts "$w" validate big.yaml 2>&1); rc=$?
is "$rc" 0 "validate of 200 tasks exits 0"
is "$(grep -c '^task ' <<<"$out")" 10 "lists the first 10 tasks"
like "$out" "190 more tasks \(tasksuite validate --all " "and counts the rest"
out=$(ts "$w" validate --all big.yaml 2>&1)
is "$(grep -c '^task ' <<<"$out")" 200 "--all lists all 200"
out=$(ts "$w" validate big.yaml --json 2>&1)
is "$(grep -c '"run":' <<<"$out")" 200 "--json (after FILE) has every task"

done_testing

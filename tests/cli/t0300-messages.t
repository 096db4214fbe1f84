#!/usr/bin/env bash
# t0300-messages: what a user's slips are told, with no Slurm at all (issue
# 12, items 10-12): a tab in YAML, did-you-mean for keys, sbatch options,
# placeholders and commands, an unknown task name listing the suite's tasks,
# `add ID --args k=v k=v`, a taken task name; the printed sbatch lines are
# copy-paste safe; a %(name) inside shell quotes is warned about.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT

# --- suite-file messages: one line, FILE:LINE:COL, what to do
printf 'name: t\nrun: echo hi\nmatrix:\n\tn: [1]\n' | put "$w" tab.yaml
out=$(ts "$w" validate tab.yaml 2>&1); rc=$?
is "$rc" 1 "a tab in the indentation: invalid (exit 1)"
is "$out" "tab.yaml:4:1: syntax: tabs are not allowed for indentation in YAML: indent with spaces" \
    "a tab: says tabs are not allowed, at its line:col"

put "$w" cmd.yaml <<'YAML'
name: t
command: echo hi
YAML
out=$(ts "$w" validate cmd.yaml 2>&1)
like "$out" '^cmd.yaml:2:1: command: unknown key \(did you mean "run"\?' "command: suggests run"

put "$w" part.yaml <<'YAML'
name: t
run: echo hi
slurm:
  partiton: debug
YAML
out=$(ts "$w" validate part.yaml 2>&1)
like "$out" '^part.yaml:4:3: slurm.partiton: .*did you mean "partition"\?' "slurm.partiton suggests partition"

put "$w" ph.yaml <<'YAML'
name: t
run: python train.py --lr %(LR)
matrix:
  lr: [0.1]
YAML
out=$(ts "$w" validate ph.yaml 2>&1)
like "$out" '^ph.yaml:2:6: run: %\(LR\) is not a matrix axis .*did you mean %\(lr\)\?' "%(LR) suggests %(lr)"
is "$(printf '%s\n' "$out" | wc -l)" 1 "each of these is one line"

out=$(ts "$w" stauts 2>&1); rc=$?
is "$rc" 2 "an unknown command: usage (exit 2)"
like "$out" 'unknown command "stauts" \(did you mean "status"\?' "stauts suggests status"
out=$(ts "$w" frobnicate 2>&1)
unlike "$out" "did you mean" "nothing is suggested for a word close to no command"

# --- a %(name) inside shell quotes: a warning at its own line:col
put "$w" quoted.yaml <<'YAML'
name: quoted
run: printf '[%s]\n' "file=%(f)"
matrix:
  f: ["a b"]
YAML
out=$(ts "$w" validate quoted.yaml 2>&1 >/dev/null); rc=$?
is "$rc" 0 "a quoted placeholder is valid (an inner shell would expand it)"
like "$out" '^warning: quoted.yaml:2:28: run: %\(f\) inside double quotes: .* write %\(f\) outside quotes' \
    "and warned about at the placeholder (file:line:col)"
out=$(ts "$w" submit --local quoted.yaml 2>/dev/null | head -1)
is "$(cat "$w"/.tshome/runs/"$out"/tasks/*/attempt-1.out 2>/dev/null || ts "$w" logs "$out" 2>/dev/null)" \
    "$(printf '[file=a]\n[b]')" "which is right: the value with a space split into two words"

put "$w" unquoted.yaml <<'YAML'
name: unquoted
run: printf '[%s]\n' file=%(f) "$(echo %(f))"  # "%(f)" in a comment is fine
matrix:
  f: ["a b"]
YAML
out=$(ts "$w" validate unquoted.yaml 2>&1 >/dev/null); rc=$?
is "$rc:$out" "0:" "outside quotes (also inside \$(...) within quotes, or in a comment): no warning"
id=$(ts "$w" submit --local unquoted.yaml 2>/dev/null | head -1)
is "$(ts "$w" logs "$id" 2>/dev/null)" "$(printf '[file=a b]\n[a b]')" "and a value with a space stays one word"

put "$w" single.yaml <<'YAML'
name: single
run: |
  echo start
  echo 'it is %(f)'
matrix:
  f: [x]
YAML
out=$(ts "$w" validate single.yaml 2>&1 >/dev/null)
like "$out" '^warning: single.yaml:4:15: run: %\(f\) inside single quotes' "inside '...' in a block: warned at its line:col"

# --- copy-paste safe command lines
put "$w" opts.yaml <<'YAML'
name: opts
run: echo %(n)
matrix:
  n: [1, 2, 3]
slurm:
  constraint: "gpu&ib"
  comment: "it's mine"
  array-throttle: 2
  exclusive:
YAML
out=$(ts "$w" validate opts.yaml 2>/dev/null | grep '^sbatch:')
unlike "$out" "array-throttle" "validate: no --array-throttle (not an sbatch option)"
eval "set -- ${out#sbatch:}"
is "$1" "--array=0-2%2" "validate: the throttle as sbatch takes it, --array=0-2%2"
like "$(printf '%s\n' "$@")" '^--constraint=gpu&ib$' "validate: --constraint=gpu&ib survives the shell"
like "$(printf '%s\n' "$@")" "^--comment=it's mine$" "validate: a value with a quote and a space survives the shell"
like "$(printf '%s\n' "$@")" '^--exclusive$' "validate: a flag is printed without ="
out=$(ts "$w" submit --dry-run opts.yaml 2>/dev/null | grep '^  sbatch ')
eval "set -- ${out%%  #*}"
is "$1 $2" "sbatch --array=0-2%2" "--dry-run: the sbatch line starts with the array and its throttle"
like "$(printf '%s\n' "$@")" '^--constraint=gpu&ib$' "--dry-run: --constraint=gpu&ib survives the shell"
like "$(printf '%s\n' "$@")" "^--task-suite=$w/opts.yaml$" "--dry-run: --task-suite names the file"

# --- tasks of a suite: unknown names, add --args k=v k=v, a taken name
put "$w" three.yaml <<'YAML'
name: three
run: echo %(lr)
tasks:
  - {name: a, args: {lr: 1}}
  - {name: b, args: {lr: 2}}
  - {name: c, args: {lr: 3}}
YAML
id=$(ts "$w" submit --local three.yaml 2>/dev/null | head -1)
out=$(ts "$w" logs "$id" nosuch 2>&1); rc=$?
is "$rc" 3 "logs of an unknown task: not found (exit 3)"
like "$out" "no task \"nosuch\" in suite $id \(its tasks: a, b, c\)" "and the message lists the suite's tasks"
out=$(ts "$w" add "$id" --args lr=0.5 bs=16 2>&1); rc=$?
is "$rc" 0 "add ID --args lr=0.5 bs=16 works as --help reads"
like "$out" "added task lr=0.5,bs=16" "both arguments reach the task"
is "$(jsql "$w" "select args_json from tasks where suite_id = '$id' and name = 'lr=0.5,bs=16'")" \
    '{"lr":"0.5","bs":"16"}' "the journal holds both"
out=$(ts "$w" add "$id" --name a --args lr=9 2>&1); rc=$?
is "$rc" 2 "add with a taken name: refused (exit 2)"
like "$out" "^tasksuite add: suite $id already has a task named \"a\" \(index 0\): give the new one another --name$" \
    "said as such, not as the journal's duplicate-key error"
out=$(ts "$w" add "$id" stray 2>&1); rc=$?
is "$rc" 2 "add with a stray word and no --args: usage"
for i in 1 2 3 4 5; do ts "$w" add "$id" --name "x$i" --args lr=$i >/dev/null 2>&1; done
out=$(ts "$w" logs "$id" nosuch 2>&1)
like "$out" "\(its tasks: a, b, c, lr=0.5,bs=16, x1 and 4 more; see tasksuite status $id\)" \
    "a longer suite: the first five names and how many more"

done_testing

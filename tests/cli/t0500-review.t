#!/usr/bin/env bash
# t0500-review: defects found by the acceptance review of issue 12 (the
# --local executor and the everyday CLI), each a check that failed before
# its fix.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/local.sh"

w=$(mk_workdir)
trap 'rm -rf "$w"' EXIT

# rm of a --local suite with output_dir: the local runner's own files
# (local-runner, .lock, .log) are tasksuite's records too, so they go, and
# an output_dir whose tasks wrote nothing is removed (remove.h).
as_user "$w" mkdir "$w/out"
put "$w" quiet.yaml <<YAML
name: quiet
output_dir: $w/out
run: "true"
YAML
id=$(ts "$w" submit --local quiet.yaml 2>/dev/null | head -1)
like "$id" '^[a-z0-9]{8}$' "a finished --local suite with output_dir ($id)"
ok "$([ -e "$w/out/local-runner.log" ]; echo $?)" "its runner logged into output_dir"
as_user "$w" rm -rf "$w/out/tasks"   # the user already took the results away
out=$(ts "$w" rm "$id" 2>&1); rc=$?
is "$rc" 0 "rm exits 0"
left=$(cd "$w/out" 2>/dev/null && ls -A | tr '\n' ' ')
is "$left" "" "no local-runner file is left behind in output_dir"
ok "$([ ! -e "$w/out" ]; echo $?)" "and the emptied output_dir is gone"

# %(name) in a here-document body: the inserted quotes land in the text
# (a config written with cat <<EOF gets "0.1" for 0.1), so validate warns
# there as it does inside "..." (spec_shellquote.c).
put "$w" heredoc.yaml <<'YAML'
name: heredoc
run: |
  cat <<EOF > "$TASK_SUITE_TASK_DIR/c.json"
  {"lr": %(lr)}
  EOF
  cat "$TASK_SUITE_TASK_DIR/c.json"
matrix: {lr: [0.1]}
YAML
out=$(ts "$w" validate heredoc.yaml 2>&1 >/dev/null); rc=$?
is "$rc" 0 "a placeholder in a here-document is valid"
like "$out" '^warning: heredoc.yaml:4:10: run: %\(lr\) in a here-document: .*write \$TASK_SUITE_ARG_LR there instead' \
    "with a warning at its line:col saying what to write"
hid=$(ts "$w" submit --local heredoc.yaml 2>/dev/null | head -1)
is "$(ts "$w" logs "$hid" 2>/dev/null)" '{"lr": "0.1"}' "(what the warning is about: the quotes are in the file)"

# cancel --task of a --local suite: the task never had a Slurm job, and the
# message does not talk about one; it says what happens instead.
put "$w" slow.yaml <<'YAML'
name: slow
run: sleep 30
matrix: {n: [1, 2, 3, 4, 5, 6, 7, 8]}
YAML
sid=$(ts "$w" submit --local --detach slow.yaml 2>/dev/null | head -1)
out=$(ts "$w" cancel "$sid" --task n=8 2>&1); rc=$?
is "$rc" 0 "cancel --task of a --local task exits 0"
unlike "$out" "Slurm" "its message does not speak of a Slurm job"
like "$out" "^task \"n=8\" of suite $sid cancelled \(the local runner" "it says the local runner acts"
ts "$w" cancel "$sid" >/dev/null 2>&1

# A suite cancelled while its env_preparation runs: once the hook is done,
# the runner must not start the task it had picked before the hook (a
# cancelled task never starts). The hook waits for the cancel (a file).
put "$w" prep.yaml <<YAML
name: prep
run: echo ran > "\$TASK_SUITE_TASK_DIR/ran"
env_preparation: {run: "while [ ! -e $w/go ]; do sleep 0.2; done"}
YAML
pid=$(ts "$w" submit --local --detach prep.yaml 2>/dev/null | head -1)
wait_for 30 sh -c "ls $w/.tshome/suites/$pid/hooks/local/env_preparation.*.log"
out=$(ts "$w" cancel "$pid" 2>&1); rc=$?
is "$rc" 0 "cancel during env_preparation exits 0"
as_user "$w" touch "$w/go"
wait_for 30 sh -c "! pgrep -u $TS_USER -f 'local-runner $pid' >/dev/null"
ok "$(! pgrep -u "$TS_USER" -f "local-runner $pid" >/dev/null; echo $?)" "the runner ended once the hook did"
ok "$([ ! -e "$w/.tshome/suites/$pid/tasks/prep/ran" ]; echo $?)" "the cancelled task never ran"
like "$(ts "$w" status "$pid" 2>/dev/null | tail -1)" '^prep +cancelled' "and it is cancelled"

# SIGTERM to the runner while env_preparation hangs: the hook is stopped
# with it, not waited for until its timeout (10 minutes by default).
put "$w" hung.yaml <<'YAML'
name: hung
run: echo task
env_preparation: {run: "sleep 297"}
YAML
hid=$(ts "$w" submit --local --detach hung.yaml 2>/dev/null | head -1)
wait_for 30 sh -c "ls $w/.tshome/suites/$hid/hooks/local/env_preparation.*.log"
rp=$(runner_pid "$w" "$hid")
like "$rp" '^[0-9]+$' "the runner of a suite whose env_preparation hangs ($rp)"
kill -TERM "$rp"
wait_for 60 gone "$rp"
ok "$(gone "$rp"; echo $?)" "SIGTERM stops the runner far sooner than the hook would end"
wait_for 30 sh -c "! pgrep -u $TS_USER -xf 'sleep 297' >/dev/null"
ok "$(! pgrep -u "$TS_USER" -xf 'sleep 297' >/dev/null; echo $?)" "and the hook with it"
like "$(ts "$w" status "$hid" 2>/dev/null | tail -1)" '^hung +cancelled' "its task is cancelled"

done_testing

#!/usr/bin/env bash
# t0200-local-signals: the --local runner under signals. Ctrl-C (SIGINT) or
# SIGTERM to an attached `submit --local` detaches: one line, and the suite
# runs to the end in the background. SIGTERM to the runner itself stops it
# cleanly: its tasks' processes are stopped, they and the pending ones are
# cancelled. kill -9 of the runner: the next status finds it gone, marks
# its tasks node_fail (nothing stays pending or running), and running the
# same file again continues that suite.
. "$(dirname "$0")/local.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
# each task records its shell's pid, then sleeps in the foreground
put "$w" slow.yaml <<'YAML'
name: slow
run: echo $$ > "$TASK_SUITE_TASK_DIR/pid"; sleep 4; echo ran %(n) >> runs.%(n)
matrix:
  n: [1, 2, 3, 4, 5]
YAML

# --- SIGINT, then SIGTERM, to the attached submit: it detaches
for sig in INT TERM; do
    rm -f "$w"/runs.* "$w/out"
    ts "$w" submit --local --new slow.yaml > "$w/out" 2> "$w/err" &
    bg=$!
    wait_for 60 test -s "$w/out"
    id=$(head -1 "$w/out")
    wait_for 60 has_runner "$w" "$id"
    wait_for 60 has_pid_of "$TS_BIN submit --local --new slow.yaml"
    submit=$(pid_of "$TS_BIN submit --local --new slow.yaml")
    ok "$([ -n "$submit" ]; echo $?)" "SIG$sig: the attached submit is found"
    kill -"$sig" "$submit"
    wait "$bg"; rc=$?
    is "$rc" 0 "SIG$sig: submit exits 0 (it detached)"
    is "$(grep -c detached "$w/err")" 1 "SIG$sig: one line says it detached"
    like "$(cat "$w/err")" "keeps running" "SIG$sig: ... and that the suite keeps running"
    wait_for 120 nothing_open "$w" "$id"
    is "$(count_state "$w" "$id" completed)" 5 "SIG$sig: the suite ran to the end without submit"
done

# --- SIGTERM to the runner: it stops cleanly
ts "$w" submit --local --new --detach slow.yaml > "$w/out" 2> "$w/err"
id=$(head -1 "$w/out")
wait_for 60 has_runner "$w" "$id"
runner=$(runner_pid "$w" "$id")
wait_for 60 state_at_least "$w" "$id" running 1
wait_for 30 eval 'test -s "$(suite_dir "$w" "$id")"/tasks/n=1/pid'
task_pid=$(cat "$(suite_dir "$w" "$id")"/tasks/*/pid 2>/dev/null | head -1)
kill -TERM "$runner"
wait_for 60 gone "$runner"
ok "$(alive "$runner" && echo 1 || echo 0)" "SIGTERM: the runner ended"
ok "$(alive "$task_pid" && echo 1 || echo 0)" "SIGTERM: its running task's process is gone"
ok "$(nothing_open "$w" "$id"; echo $?)" "SIGTERM: no task left pending or running"
ok "$([ "$(count_state "$w" "$id" cancelled)" -ge 3 ]; echo $?)" "SIGTERM: the stopped and pending tasks are cancelled"
like "$(cat "$(suite_dir "$w" "$id")/local-runner.log")" "stopped by signal 15" "SIGTERM: the runner's log says why it stopped"

# --- kill -9 of the runner: found by the next status; a re-run continues
rm -f "$w"/runs.*
cp "$w/slow.yaml" "$w/lost.yaml" && chown "$TS_USER:" "$w/lost.yaml"
ts "$w" submit --local --detach lost.yaml > "$w/out" 2> "$w/err"
id=$(head -1 "$w/out")
wait_for 60 has_runner "$w" "$id"
runner=$(runner_pid "$w" "$id")
wait_for 60 state_at_least "$w" "$id" running 1
kill -KILL "$runner"
wait_for 30 gone "$runner"
out=$(ts "$w" status "$id" 2>&1)
like "$out" "local runner \(pid $runner\) is gone" "kill -9: status says the runner is gone"
ok "$(nothing_open "$w" "$id"; echo $?)" "kill -9: no task left pending or running"
ok "$([ "$(count_state "$w" "$id" node_fail)" -ge 1 ]; echo $?)" "kill -9: its tasks are node_fail (retryable)"
out=$(ts "$w" submit --local lost.yaml 2>"$w/err"); rc=$?
is "$rc" 0 "kill -9: submitting the same file again runs what was left (exit 0)"
is "$(printf '%s\n' "$out" | head -1)" "$id" "kill -9: ... in the same suite"
is "$(count_state "$w" "$id" completed)" 5 "kill -9: every task completed in the end"
like "$(cat "$w/err")" "lost.yaml is already suite $id: retrying its [0-9]+ tasks? that did not complete, in the same suite" "kill -9: ... saying it reruns the lost tasks, in the same suite"

done_testing

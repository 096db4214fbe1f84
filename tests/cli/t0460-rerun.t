#!/usr/bin/env bash
# t0460-rerun: the user fixes their script and runs the same, unchanged
# suite file again (src/suite/rerun.h). The tasks that did not complete get
# a next attempt in the same suite, the completed ones do not run again;
# once everything completed, a re-run says so and exits 0 without running
# anything; --new makes a fresh suite.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
put "$w" fix.yaml <<YAML
name: fixme
run: test %(n) = 1 || test -e "$w/fixed"
matrix: {n: [1, 2]}
YAML

out=$(ts "$w" submit --local fix.yaml 2>"$w/err1"); rc=$?
is "$rc" 6 "first run: task n=2 fails, submit exits 6"
id=$(printf '%s\n' "$out" | head -1)
like "$id" '^[a-z0-9]{8}$' "it printed the suite's id"

touch "$w/fixed"; chmod a+r "$w/fixed"
out=$(ts "$w" submit --local fix.yaml 2>"$w/err2"); rc=$?
is "$rc" 0 "the same file again, after the fix: exit 0"
is "$(printf '%s\n' "$out" | head -1)" "$id" "it is the same suite"
like "$(cat "$w/err2")" "fix.yaml is already suite $id: retrying its 1 task that did not complete" \
    "one line says what it does"
is "$(jsql "$w" "select group_concat(name || ':' || state || ':' || attempts, ' ') from tasks where suite_id='$id' order by idx")" \
    "n=1:completed:1 n=2:completed:2" "only the failed task ran again (attempt 2), the completed one did not"

out=$(ts "$w" submit --local fix.yaml 2>"$w/err3"); rc=$?
is "$rc" 0 "once all is done, the same file again exits 0"
is "$(printf '%s\n' "$out" | head -1)" "$id" "and prints the same suite's id"
like "$(cat "$w/err3")" "already suite $id, complete: all 2 tasks done, nothing to run \(--new runs it again\)" \
    "saying there is nothing to run and how to run it again"
is "$(jsql "$w" "select count(*) from attempts where suite_id='$id'")" 3 "nothing ran"

out=$(ts "$w" submit --local --new fix.yaml 2>/dev/null); rc=$?
is "$rc" 0 "--new runs it again"
nid=$(printf '%s\n' "$out" | head -1)
ok "$([ -n "$nid" ] && [ "$nid" != "$id" ]; echo $?)" "as a fresh suite ($nid)"

done_testing

#!/usr/bin/env bash
# t0500-review: defects found by the acceptance review of issue 12 (the
# --local executor and the everyday CLI), each a check that failed before
# its fix.
. "$(dirname "$0")/lib.sh"

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

done_testing

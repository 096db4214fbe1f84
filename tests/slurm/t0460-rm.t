#!/usr/bin/env bash
# `tasksuite rm` of suites in Slurm: a finished one goes (journal rows, run
# directory, its waiting watchdog); an active one is refused, and --force
# cancels its Slurm jobs first, then removes it. tests/cli/t0470-rm-gc.t
# covers the files (symbolic links, output_dir) and gc.
# Left out of shellcheck here: the EXIT trap's own loop sets s.
# shellcheck disable=SC2154
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
ids=""
trap 'for s in $ids; do scancel -n "ts-$s" 2>/dev/null; scancel -n "ts-$s-reconcile" 2>/dev/null; done; rm -rf "$W"' EXIT

put "$W" quick.yaml <<'YAML'
name: quick
run: echo "task %(n)"
matrix: {n: [1, 2]}
YAML
put "$W" slow.yaml <<'YAML'
name: slow
run: sleep 120
matrix: {n: [1, 2]}
YAML

id=$(ts "$W" submit quick.yaml 2>/dev/null | tail -1)
ok $? "a suite run to its end ($id)"
ids="$ids $id"
out=$(ts "$W" rm "$id" 2>&1); rc=$?
is "$rc" 0 "rm of the finished suite exits 0"
like "$out" "^removed suite $id \(quick, complete\)" "one line says so"
is "$(jsql "$W" "select (select count(*) from suites where id='$id') + (select count(*) from tasks where suite_id='$id') + (select count(*) from attempts where suite_id='$id') + (select count(*) from submissions where suite_id='$id') + (select count(*) from events where suite_id='$id')")" 0 \
    "no journal row of it is left"
ok "$([ ! -e "$W/.tshome/suites/$id" ]; echo $?)" "its run directory is gone"
wait_for 10 sh -c "[ -z \"\$(squeue -h -t PENDING -n ts-$id-reconcile -o %i 2>/dev/null)\" ]"
ok $? "no watchdog of it is left waiting"

sid=$(ts "$W" submit --detach slow.yaml 2>/dev/null | tail -1)
ok $? "a suite that runs for 2 minutes ($sid)"
ids="$ids $sid"
out=$(ts "$W" rm "$sid" 2>&1); rc=$?
is "$rc" 1 "rm of the active suite exits 1"
like "$out" "suite $sid is still active \([0-9]+ pending, [0-9]+ running\): cancel it first, or use --force" \
    "saying why and what to do"
is "$(jsql "$W" "select count(*) from suites where id='$sid'")" 1 "it is still there"
out=$(ts "$W" rm --force "$sid" 2>&1); rc=$?
is "$rc" 0 "rm --force exits 0"
like "$out" "removed suite $sid \(slow, open, cancelled first\)" "it was cancelled first"
wait_for 30 sh -c "[ -z \"\$(squeue -h -n ts-$sid -o %i 2>/dev/null)\" ]"
ok $? "its Slurm jobs are gone"
is "$(jsql "$W" "select count(*) from suites where id='$sid'")" 0 "and so is the suite"

done_testing

#!/usr/bin/env bash
# t0470-rm-gc: `tasksuite rm ID...` and `gc --older-than DURATION` forget
# finished suites: every journal row that names them (each table with a
# suite_id column, read from the schema itself, so a table added later is
# covered) and the files tasksuite wrote (src/suite/remove.h). A symbolic
# link in a run directory is removed, never followed; a user's output_dir
# keeps its tasks/ tree; an active suite is refused unless --force.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); bg=""
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; rm -rf "$w"' EXIT

# Journal rows left for suite ID, over every table that has a suite_id.
rows_left() {   # rows_left ID
    local t n=0 c
    for t in $(jsql "$w" "select m.name from sqlite_master m, pragma_table_info(m.name) p
                          where m.type = 'table' and p.name = 'suite_id'"); do
        c=$(jsql "$w" "select count(*) from $t where suite_id = '$1'")
        n=$((n + c))
    done
    echo $((n + $(jsql "$w" "select count(*) from suites where id = '$1'")))
}

put "$w" one.yaml <<'YAML'
name: one
run: echo "task %(n)" > "$TASK_SUITE_TASK_DIR/result"
matrix: {n: [1, 2]}
YAML
put "$w" mine.yaml <<YAML
name: mine
output_dir: $w/out
run: echo "result %(n)" > "\$TASK_SUITE_TASK_DIR/result"
matrix: {n: [1, 2]}
YAML
id=$(ts "$w" submit --local one.yaml 2>/dev/null | head -1)
like "$id" '^[a-z0-9]{8}$' "a finished local suite ($id)"
dir="$w/.tshome/suites/$id"
ok "$([ "$(rows_left "$id")" -gt 0 ] && [ -d "$dir/tasks" ]; echo $?)" "it has journal rows and a run directory"

# A link out of the run directory: removed, what it points to stays.
mkdir "$w/precious"; echo keep > "$w/precious/file"; chmod -R a+rX "$w/precious"
as_user "$w" ln -s "$w/precious" "$dir/tasks/link"

out=$(ts "$w" rm "$id" 2>&1); rc=$?
is "$rc" 0 "rm exits 0"
like "$out" "^removed suite $id \(one, complete\)" "one line says what went"
is "$(rows_left "$id")" 0 "no journal row names the suite any more"
ok "$([ ! -e "$dir" ]; echo $?)" "its run directory is gone"
is "$(cat "$w/precious/file" 2>/dev/null)" keep "a symbolic link in it was not followed"

out=$(ts "$w" rm "$id" 2>&1); rc=$?
is "$rc" 3 "rm of an unknown ID exits 3"
like "$out" "tasksuite rm: .*$id" "saying which one"

# output_dir is the user's: tasksuite's records go, tasks/ stays.
mid=$(ts "$w" submit --local mine.yaml 2>/dev/null | head -1)
ok "$([ -e "$w/out/suite.json" ] && [ -d "$w/out/events" ]; echo $?)" "an output_dir suite ($mid)"
out=$(ts "$w" rm "$mid" 2>&1); rc=$?
is "$rc" 0 "rm of an output_dir suite exits 0"
like "$out" "only tasksuite's records, tasks/ stays" "it says what it kept"
ok "$([ ! -e "$w/out/suite.json" ] && [ ! -e "$w/out/events" ] && [ ! -e "$w/out/manifests" ]; echo $?)" \
    "suite.json, events/ and manifests/ are gone"
is "$(cat "$w"/out/tasks/*/result 2>/dev/null | sort | tr '\n' ' ')" "result 1 result 2 " \
    "what the tasks wrote in output_dir stays"
is "$(rows_left "$mid")" 0 "and no journal row is left"

# An active suite: refused, then --force cancels it first.
put "$w" slow.yaml <<'YAML'
name: slow
run: sleep 20
YAML
(ts "$w" submit --local slow.yaml >"$w/slow.out" 2>&1) & bg=$!
sid=""
for _ in $(seq 60); do   # until the task runs (status refreshes from its events)
    [ -n "$sid" ] || sid=$(jsql "$w" "select id from suites where name = 'slow'" 2>/dev/null)
    [ -n "$sid" ] && ts "$w" status "$sid" 2>&1 | grep -q "running" && break
    sleep 0.5
done
out=$(ts "$w" rm "$sid" 2>&1); rc=$?
is "$rc" 1 "rm of an active suite exits 1"
like "$out" "suite $sid is still active \(0 pending, 1 running\): cancel it first, or use --force" \
    "one line says why and what to do"
ok "$([ "$(rows_left "$sid")" -gt 0 ]; echo $?)" "nothing of it was removed"
gout=$(ts "$w" gc --older-than 0s --dry-run 2>&1)
like "$gout" "1 still active, kept" "gc leaves an active suite alone"
kill "$bg" 2>/dev/null; wait "$bg" 2>/dev/null; bg=""
out=$(ts "$w" rm --force "$sid" 2>&1); rc=$?
is "$rc" 0 "rm --force exits 0"
like "$out" "removed suite $sid \(slow, [a-z]+, cancelled first\)" "it was cancelled first"
is "$(rows_left "$sid")" 0 "and removed"

# gc
g1=$(ts "$w" submit --local one.yaml 2>/dev/null | head -1)
out=$(ts "$w" gc --older-than 1h 2>&1); rc=$?
is "$rc" 0 "gc --older-than 1h exits 0"
like "$out" "gc: removed 0 suites unchanged for 1h" "nothing that old"
out=$(ts "$w" gc --older-than 0s --dry-run 2>&1)
like "$out" "would remove suite $g1" "--dry-run lists the suite"
ok "$([ "$(rows_left "$g1")" -gt 0 ] && [ -d "$w/.tshome/suites/$g1" ]; echo $?)" "--dry-run removed nothing"
out=$(ts "$w" gc --older-than 0s 2>&1); rc=$?
is "$rc" 0 "gc --older-than 0s exits 0"
like "$out" "gc: removed 1 suite unchanged for 0s" "it removed the finished suite"
is "$(rows_left "$g1")" 0 "its rows are gone"
out=$(ts "$w" gc --older-than soon 2>&1); rc=$?
is "$rc" 2 "gc --older-than soon: exit 2"
like "$out" "--older-than: \"soon\" is not a duration" "saying so"

done_testing

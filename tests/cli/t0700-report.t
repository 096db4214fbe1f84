#!/usr/bin/env bash
# t0700-report: `tasksuite report` writes one self-contained HTML page that a
# real headless Chromium loads without a console message, whose numbers are
# those of `status --json`, whose screenshot shows the timeline; a task name
# cannot close the page's script; a 10,000-task suite (a --local journal
# scaled up) gives a page of a bounded size with an aggregated timeline;
# errors are one line and leave no file. Issue 15.
. "$(dirname "$0")/local.sh"
. "$(dirname "$0")/../report-check.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT

# --- a small suite: completed, failed, a graceful timeout resumed, hooks
put "$w" mix.yaml <<'YAML'
name: mix
env_preparation:
  run: echo preparing; sleep 0.2
env_cleanup:
  run: echo cleaning
resume:
  max_retries: 2
run: |
  sleep 0.%(n)
  tasksuite checkpoint "$TASK_SUITE_TASK_DIR" --step "$TASK_SUITE_ATTEMPT"
  case %(n) in
    3) exit 1 ;;
    4) test "$TASK_SUITE_ATTEMPT" -ge 2 || exit 75 ;;
  esac
matrix:
  n: [1, 2, 3, 4, 5]
YAML
out=$(ts "$w" submit --local mix.yaml 2>&1)
id=$(printf '%s\n' "$out" | head -1)
is "$(count_state "$w" "$id" completed)/$(count_state "$w" "$id" failed)" "4/1" \
   "the suite ran: 4 completed, 1 failed" || diag "$out"

out=$(ts "$w" report "$id" 2>&1); rc=$?
is "$rc" 0 "report exits 0"
is "$out" "report-$id.html" "it prints the file it wrote (default report-ID.html)"
page=$w/report-$id.html
ok "$([ -s "$page" ]; echo $?)" "the page exists"
like "$(head -c 200 "$page")" "^<!DOCTYPE html>" "it is an HTML document"
unlike "$(grep -Eio '(src|href)=["'"'"']?[a-z]+:' "$page")" "." "it loads nothing (no src= or href= URL)"
like "$(cat "$page")" "Content-Security-Policy\" content=\"default-src 'none'" "a CSP forbids every fetch"
like "$(grep -c '"env_preparation"' "$page")" "^[1-9]" "the hooks' runs are in its data"
ts "$w" status "$id" --json > "$w/status.json" 2>/dev/null
browser_checks "$page" "$w/status.json" "$w/chk" completed,failed,timeout

out=$(ts "$w" report "$id" -o - 2>/dev/null | head -c 15)
is "$out" "<!DOCTYPE html>" "-o - writes the page to stdout"

# --- a name that tries to close the script: it stays text
evil='</script><script>document.body.setAttribute("data-pwned","1")</script><b>x'
as_user "$w" sqlite3 "$w/.tshome/journal.db" "UPDATE tasks SET name = '$evil' WHERE suite_id = '$id' AND idx = 0"
ts "$w" report "$id" -o evil.html >/dev/null 2>&1
is "$(grep -o '</script' "$w/evil.html" | wc -l)" 2 "only the page's own two script elements end in it"
like "$(cat "$w/evil.html")" '\\u003c/script\\u003e\\u003cscript\\u003e' "the name is in the data as \\u003c escapes"
ts "$w" status "$id" --json > "$w/evil.json" 2>/dev/null
browser_checks "$w/evil.html" "$w/evil.json" "$w/chk-evil"
dom=$(cat "$w/chk-evil/dom.html" 2>/dev/null)
if [ -n "$dom" ]; then
    unlike "$dom" '<body[^>]*data-pwned' "the name's script did not run"
    like "$dom" '&lt;/script&gt;&lt;script&gt;document.body' "the name is shown as text"
fi

# --- errors: one line, non-zero, no file
out=$(ts "$w" report zzzzzzzz 2>&1); rc=$?
is "$rc" 3 "an unknown suite: exit 3 (not found)"
is "$(printf '%s\n' "$out" | wc -l)" 1 "... one line" || diag "$out"
out=$(ts "$w" report "$id" -o "$w/no/such/dir/r.html" 2>&1); rc=$?
ok "$([ "$rc" -ne 0 ]; echo $?)" "an unwritable destination fails"
like "$out" "^tasksuite report: cannot create $w/no/such/dir/r.html" "... naming it"
out=$(ts "$w" report "$id" extra 2>&1); rc=$?
is "$rc" 2 "too many arguments: usage error (2)"
is "$(find "$w" -maxdepth 1 -name '*.html.*' | wc -l)" 0 "no temporary file is left behind"

# --- 10,000 tasks: the small suite's journal scaled up in SQL
out=$(ts "$w" submit --local mix.yaml --new 2>&1)
big=$(printf '%s\n' "$out" | head -1)
as_user "$w" sqlite3 "$w/.tshome/journal.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 5 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
INSERT INTO tasks (suite_id, idx, name, args_json, state, attempts, last_exit, updated_at)
  SELECT '$big', i, 'task-' || i, '{}',
         CASE WHEN i % 97 = 0 THEN 'failed' ELSE 'completed' END,
         CASE WHEN i % 13 = 0 THEN 2 ELSE 1 END,
         CASE WHEN i % 97 = 0 THEN 1 ELSE 0 END, 0 FROM n;
INSERT INTO attempts (suite_id, task_idx, attempt, slurm_job_id, node, state, started_at, ended_at, exit_code)
  SELECT suite_id, idx, 1, '', 'n' || (idx % 4), CASE WHEN attempts = 2 THEN 'timeout' ELSE tasks.state END,
         s.created_at + (idx % 500) * 0.9, s.created_at + (idx % 500) * 0.9 + 5 + idx % 7,
         CASE WHEN attempts = 2 THEN 75 ELSE last_exit END
  FROM tasks JOIN suites s ON s.id = suite_id WHERE suite_id = '$big' AND idx >= 5;
INSERT INTO attempts (suite_id, task_idx, attempt, slurm_job_id, node, state, started_at, ended_at, exit_code)
  SELECT suite_id, idx, 2, '', 'n' || ((idx + 1) % 4), tasks.state,
         s.created_at + 460 + idx % 40, s.created_at + 470 + idx % 40, last_exit
  FROM tasks JOIN suites s ON s.id = suite_id WHERE suite_id = '$big' AND attempts = 2 AND idx >= 5;
UPDATE suites SET total_tasks = 10000 WHERE id = '$big';
SQL
ts "$w" status "$big" --json > "$w/big.json" 2>/dev/null
is "$(grep -c '"attempt_history"' "$w/big.json")" 10000 "the big suite has 10,000 tasks"
ts "$w" report "$big" -o big.html >/dev/null 2>&1; rc=$?
is "$rc" 0 "report of 10,000 tasks exits 0"
size=$(stat -c %s "$w/big.html")
diag "the page of 10,000 tasks: $size bytes"
ok "$([ "$size" -lt 3000000 ]; echo $?)" "its page is under 3 MB ($size bytes)"
# its timeline shows the unfinished and retried tasks first
browser_checks "$w/big.html" "$w/big.json" "$w/chk-big" failed,timeout

done_testing

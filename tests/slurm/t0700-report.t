#!/usr/bin/env bash
# t0700-report: `tasksuite report` of a suite that really ran on the cluster
# (two nodes, an env_preparation hook, tasks that complete, one that fails,
# one that times out gracefully after a checkpoint and resumes, one killed
# by the walltime warning (slurm.time 1 minute, USR2@50: it arrives at
# slurmctld's first 30-s check) and resumed; ~45 s) passes the
# headless-Chromium checks (tests/report-check.py: no console message, the
# numbers of status --json, the timeline in the screenshot), and shows the
# hooks' runs per node and walltime use against slurm.time. Issue 15.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../report-check.sh"

W=$(mk_workdir)
id=""
trap '[ -n "$id" ] && scancel -n "ts-$id" 2>/dev/null; [ -n "${TS_KEEP:-}" ] || rm -rf "$W"' EXIT

put "$W" rep.yaml <<'YAML'
name: rep
slurm: {time: "1"}
resume:
  signal: USR2@50
resources: {cpus: 1}
env_preparation:
  run: echo "preparing on $SLURMD_NODENAME"; sleep 1
run: |
  sleep 1
  tasksuite checkpoint "$TASK_SUITE_TASK_DIR" --step "$TASK_SUITE_ATTEMPT"
  case %(n) in
    3) exit 1 ;;
    4) test "$TASK_SUITE_ATTEMPT" -ge 2 || exit 75 ;;
    6) test "$TASK_SUITE_ATTEMPT" -ge 2 || sleep 100 ;;
  esac
matrix:
  n: [1, 2, 3, 4, 5, 6]
YAML

ts "$W" submit rep.yaml >"$W/out" 2>"$W/err"; rc=$?
id=$(tail -1 "$W/out")
is "$(jsql "$W" "select group_concat(state || ':' || attempts, ' ') from (select state, attempts from tasks where suite_id='$id' order by idx)")" \
   "completed:1 completed:1 failed:1 completed:2 completed:1 completed:2" \
   "the suite ran on the cluster: a failure, resumes after a graceful timeout and after the walltime warning" || diag "$(cat "$W/err")"

out=$(ts "$W" report "$id" -o rep.html 2>&1); rc=$?
is "$rc" 0 "report exits 0" || diag "$out"
ts "$W" status "$id" --json > "$W/status.json" 2>/dev/null
browser_checks "$W/rep.html" "$W/status.json" "$W/chk" completed,failed,timeout
dom=$(cat "$W/chk/dom.html" 2>/dev/null)
if [ -n "$dom" ]; then
    nodes=$(jsql "$W" "select count(distinct node) from attempts where suite_id='$id'")
    hookrows=$(printf '%s\n' "${dom//<\/table>/$'\n'}" | grep '<table id="hooks-per-node">' | grep -o '<td[^>]*>env_preparation</td>' | wc -l)
    is "$hookrows" "$nodes" "the hooks table has env_preparation on each node a task ran on ($nodes)"
    like "$dom" "Time limit 1m 00s" "walltime use is measured against slurm.time"
    like "$dom" 'timeout → completed' "the resumed task's attempts: timeout, then completed"
fi

done_testing

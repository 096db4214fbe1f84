#!/usr/bin/env bash
# bench/resume-latency.sh: from the end of an attempt to the next attempt
# running, for each way tasksuite gets a task its next attempt, next to
# Slurm's own requeue, measured in the same run on the same cluster.
#
#   in-job           the task exits 75; `tasksuite exec` queues the next
#                    attempt from inside the job (a fresh one-element array
#                    since issue 9; `scontrol requeue` of its element before)
#   safety net       the task fails (retry_on: [failed]); the reconcile job
#                    (afterany) classifies it and submits a fresh array
#   scontrol requeue a plain sbatch job requeues itself (Slurm alone)
#
# Usage: bench/resume-latency.sh [RUNS]   (default 3; needs a running test
# cluster: SLURM_CONF exported, TS_PREFIX the install, as root)
# TS_PREFIX_BEFORE=DIR adds a column: the in-job case with another install
# (e.g. the build before a change), in the same runs.
# The gaps depend on cred_expire (requeued jobs are held that long; 5 s on
# the test cluster unless started with --cred-expire 120, Slurm's default
# and what real sites run) and on the scheduler tick (batch_sched_delay=0
# here).
set -euo pipefail
RUNS=${1:-3}
: "${SLURM_CONF:?export SLURM_CONF of a running cluster (tests/cluster/cluster.sh start)}"
TS_PREFIX=${TS_PREFIX:-/tmp/tasksuite-test/prefix}
W=$(mktemp -d /tmp/ts-bench-resume.XXXXXX); chmod 755 "$W"; chown tsuser: "$W"
trap 'rm -rf "$W"' EXIT
BEFORE=${TS_PREFIX_BEFORE:-}
as_user() { (cd "$W" && runuser -u tsuser -- env HOME=/home/tsuser SLURM_CONF="$SLURM_CONF" \
             TASKSUITE_HOME="$W/home" PATH="$TS_PREFIX/bin:/usr/bin:/bin" "$@"); }
as_user_before() { (cd "$W" && runuser -u tsuser -- env HOME=/home/tsuser SLURM_CONF="$SLURM_CONF" \
             TASKSUITE_HOME="$W/home-before" PATH="$BEFORE/bin:/usr/bin:/bin" "$@"); }
put() { cat > "$W/$1"; chown tsuser: "$W/$1"; }

put r75.yaml <<'YAML'
name: bench-r75
close_after: 1s
run: '[ "$TASK_SUITE_ATTEMPT" -ge 2 ] || exit 75'
YAML
put rfail.yaml <<'YAML'
name: bench-rfail
close_after: 1s
resume: {retry_on: [failed]}
run: '[ "$TASK_SUITE_ATTEMPT" -ge 2 ] || exit 1'
YAML
put requeue.sh <<'SH'
#!/bin/sh
if [ "${SLURM_RESTART_COUNT:-0}" -eq 0 ]; then
    date +%s.%N > "$1/end"; scontrol requeue "$SLURM_JOB_ID"; sleep 30
else
    date +%s.%N > "$1/start"
fi
SH
chmod +x "$W/requeue.sh"

gap_of_suite() {   # gap_of_suite ID [HOME]: attempt 2 start - attempt 1 end, seconds
    sqlite3 -readonly "${2:-$W/home}/journal.db" \
        "select printf('%.1f', (select started_at from attempts where suite_id='$1' and attempt=2) -
                               (select ended_at from attempts where suite_id='$1' and attempt=1))"
}

echo "cred_expire: $(sed -n 's/^AuthInfo=.*cred_expire=\([0-9]*\).*/\1/p' "$SLURM_CONF" | head -1) s; load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %16s %16s %18s%s\n' run "in-job" "safety net" "scontrol requeue" "${BEFORE:+      in-job (before)}"
for ((i = 1; i <= RUNS; i++)); do
    rm -f "$W/end" "$W/start"
    a=$(as_user tasksuite submit --new r75.yaml 2>/dev/null | tail -1) &
    b=$(as_user tasksuite submit --new rfail.yaml 2>/dev/null | tail -1) &
    [ -n "$BEFORE" ] && { as_user_before tasksuite submit --new r75.yaml >/dev/null 2>&1 & }
    as_user sbatch --requeue -o /dev/null --wrap "$W/requeue.sh $W" >/dev/null
    wait
    a=$(sqlite3 -readonly "$W/home/journal.db" "select id from suites where name='bench-r75' order by created_at desc limit 1")
    b=$(sqlite3 -readonly "$W/home/journal.db" "select id from suites where name='bench-rfail' order by created_at desc limit 1")
    for _ in $(seq 600); do [ -s "$W/start" ] && break; sleep 0.5; done
    c=$(awk -v s="$(cat "$W/start" 2>/dev/null || echo 0)" -v e="$(cat "$W/end")" 'BEGIN { printf "%.1f", s - e }')
    d=""
    if [ -n "$BEFORE" ]; then
        d=$(sqlite3 -readonly "$W/home-before/journal.db" "select id from suites where name='bench-r75' order by created_at desc limit 1")
        d=$(printf '%17ss' "$(gap_of_suite "$d" "$W/home-before")")
    fi
    printf '%-4s %15ss %15ss %17ss%s\n' "$i" "$(gap_of_suite "$a")" "$(gap_of_suite "$b")" "$c" "$d"
done

#!/usr/bin/env bash
# Waves: a suite larger than the cluster's MaxJobCount (every array element
# counts) is queued in part, the rest as earlier elements leave Slurm's job
# table, by the suite's own reconcile jobs (no daemon, no `status` needed).
# Own cluster: MaxJobCount=50 and MinJobAge=2 (Slurm's 300 s would make each
# wave wait 5 minutes for ended jobs to be purged), 200 quick tasks.
. "$(dirname "$0")/lib.sh"
need_fault_injection

SRC=$(cd "$(dirname "$0")/../.." && pwd)
CL=$SRC/tests/cluster/cluster.sh
D=$TS_CLUSTER_DIR-waves
PORT=${TS_WAVES_PORT_BASE:-$((TS_PORT_BASE + 2900))}
PLUGIN=$TS_PLUGIN_DIR/tasksuite.so
LIMIT=50
W=$(mk_workdir)
[[ -n ${TS_KEEP:-} ]] || trap '"$CL" stop --dir "$D" >/dev/null 2>&1; rm -rf "$D" "$W"' EXIT

conf=$("$CL" start --dir "$D" --port-base "$PORT" --nodes 2 --plugin "$PLUGIN" \
    --max-job-count "$LIMIT" 2>"$W/cluster.err" | tail -1)
ok $? "a cluster with MaxJobCount=$LIMIT starts"
[[ $conf == SLURM_CONF=* ]] || { cat "$W/cluster.err" >&2; done_testing; exit 1; }
export "${conf?}"
# cluster.sh writes MinJobAge=300; a reconfigure applies a shorter one.
sed -i 's/^MinJobAge=.*/MinJobAge=2/' "$SLURM_CONF"
scontrol reconfigure >/dev/null 2>&1
wait_for 20 sh -c 'scontrol show config | grep -Eq "^MinJobAge +=  *2 sec"'
ok $? "MinJobAge is 2 s"

# 200 tasks: each writes its own output file (counted at the end).
{
    echo "name: waves"
    echo "run: echo done > \"\$TASK_SUITE_TASK_DIR/out\"; sleep 1"
    echo "matrix:"
    echo "  a: [$(seq -s, 0 19)]"
    echo "  b: [$(seq -s, 0 9)]"
} | put "$W" waves.yaml
# No room at all (another user's 47 held jobs): refused, nothing written.
filler=$(sbatch --parsable --array=0-46 --hold --chdir=/tmp -o /dev/null --wrap true)
err=$(ts "$W" submit --detach waves.yaml 2>&1)
rc=$?
is "$rc" 5 "no room for any task: submit fails (exit 5, Slurm)"
like "$err" "Slurm has no room for any of its 200 tasks now \(MaxJobCount $LIMIT" "and says why"
is "$(ts "$W" list 2>&1)" "tasksuite list: no suites" "the refused suite is not left in the journal"
is "$(ls "$W/.tshome/suites" 2>/dev/null | wc -l)" 0 "no run directory is left behind"
scancel "$filler"
wait_for 30 sh -c '[ -z "$(squeue -h -t all -o %i)" ]'
ok $? "the other jobs are purged"

out=$(ts "$W" submit --detach waves.yaml 2>"$W/submit.err")
rc=$?
id=$(printf '%s\n' "$out" | tail -1)
is "$rc" 0 "submit of 200 tasks on a cluster with MaxJobCount=$LIMIT succeeds"
like "$(cat "$W/submit.err")" "[0-9]+ of 200 tasks wait for room in Slurm \(MaxJobCount $LIMIT" \
    "submit says how many tasks wait for room"
queued=$(squeue -h -r -t all -u "$TS_USER" -o %i | wc -l)
ok $((!(queued > 1 && queued < LIMIT))) "the first wave fits the job table ($queued jobs of at most $((LIMIT - 1)))"
st=$(ts "$W" status "$id" 2>&1)
like "$st" "queue: +[0-9]+ queued, [0-9]+ waiting for room" "status shows how many are queued and how many wait for room"
waiting=$(jsql "$W" "SELECT SUM(range_count) FROM submissions")
ok $((!(waiting == 200))) "one submission holds all 200 tasks (as a range)"

# Until the suite is complete: never more than the limit in Slurm, and no
# human command (the reconcile jobs queue every wave).
max_seen=0 done=no waves=0 prev_jobs=-1
end=$((SECONDS + 420))
while ((SECONDS < end)); do
    n=$(squeue -h -r -t all -o %i 2>/dev/null | wc -l)
    ((n > max_seen)) && max_seen=$n
    jobs=$(jsql "$W" "SELECT COUNT(*) FROM slurm_jobs" 2>/dev/null)
    [[ $jobs != "$prev_jobs" ]] && waves=$((waves + 1)) prev_jobs=$jobs
    if [[ $(jsql "$W" "SELECT state FROM suites WHERE id = '$id'" 2>/dev/null) == complete ]]; then
        done=yes
        break
    fi
    sleep 0.5
done
is "$done" yes "the suite completes without a human command ($waves changes of the queued arrays)"
ok $((!(max_seen <= LIMIT))) "never more than MaxJobCount in Slurm's table (at most $max_seen)"
queued_total=$(jsql "$W" "SELECT SUM(last_index - first_index + 1) FROM slurm_jobs")
is "$queued_total" 200 "every task was queued exactly once (array elements recorded: $queued_total)"
arrays=$(jsql "$W" "SELECT COUNT(*) FROM slurm_jobs")
ok $((!(arrays >= 4))) "in waves: $arrays arrays"
outs=$(find "$W/.tshome/suites/$id/tasks" -name out 2>/dev/null | wc -l)
is "$outs" 200 "all 200 tasks ran (their output files)"
is "$(jsql "$W" "SELECT COUNT(*) FROM tasks WHERE suite_id = '$id' AND state = 'completed' AND attempts = 1")" 200 \
    "all 200 tasks completed on their first attempt"
st=$(ts "$W" status "$id" 2>&1)
unlike "$st" "waiting for room" "status no longer shows waiting tasks"

# kill -9 after Slurm took the first wave's array, before the journal
# recorded it: the same command again finds it by its recovery key (and its
# size from Slurm, waves make sizes vary), queues nothing twice, and the
# waves go on.
{
    echo "name: waves2"
    echo "run: echo done > \"\$TASK_SUITE_TASK_DIR/out\""
    echo "matrix:"
    echo "  a: [$(seq -s, 0 99)]"
} | put "$W" waves2.yaml
as_user "$W" env TASKSUITE_HOME="$W/.tshome" TASKSUITE_FAULT=after-submit-chunk "$TS_BIN" \
    submit --detach waves2.yaml >/dev/null 2>&1
id2=$(jsql "$W" "SELECT id FROM suites WHERE name = 'waves2'")
is "$(squeue -h -u "$TS_USER" -n "ts-$id2" -o %F | sort -u | wc -l)" 1 "killed after the first wave's array was queued"
is "$(jsql "$W" "SELECT COUNT(*) FROM slurm_jobs j JOIN submissions s ON s.id = j.submission_id WHERE s.suite_id = '$id2'")" 0 \
    "... and before it was recorded"
err=$(ts "$W" submit --detach waves2.yaml 2>&1)
like "$err" "is already suite $id2; finishing its interrupted submission" "the same command again finishes it"
# A task still waiting for room is cancelled: its wave is queued later and
# its element runs nothing; the task stays cancelled (not lost, not retried).
like "$(ts "$W" status "$id2" 2>&1)" "[0-9]+ waiting for room" "some tasks still wait for room"
out=$(ts "$W" cancel "$id2" --task a=99 2>&1)
ok $? "cancel --task a=99 while it waits for room succeeds"
wait_for 300 sh -c "[ \"\$(sqlite3 -readonly '$W/.tshome/journal.db' \"SELECT state FROM suites WHERE id = '$id2'\")\" = complete ]"
ok $? "the suite completes in waves"
is "$(jsql "$W" "SELECT SUM(j.last_index - j.first_index + 1) FROM slurm_jobs j JOIN submissions s ON s.id = j.submission_id WHERE s.suite_id = '$id2'")" 100 \
    "every task was queued exactly once"
arrays=$(jsql "$W" "SELECT COUNT(*) FROM slurm_jobs j JOIN submissions s ON s.id = j.submission_id WHERE s.suite_id = '$id2'")
is "$(jsql "$W" "SELECT COUNT(*) FROM tasks WHERE suite_id = '$id2' AND state = 'completed' AND attempts = 1")" 99 \
    "the other 99 tasks completed on their first attempt ($arrays arrays)"
is "$(find "$W/.tshome/suites/$id2/tasks" -name out | wc -l)" 99 "each ran (its output file)"
is "$(find "$W/.tshome/suites/$id2/tasks" -path '*a=99*' -name out | wc -l)" 0 \
    "the cancelled task's element ran nothing"
is "$(jsql "$W" "SELECT state FROM tasks WHERE suite_id = '$id2' AND name = 'a=99'")" \
    cancelled "the cancelled task stays cancelled"
is "$(jsql "$W" "SELECT COUNT(*) FROM attempts a JOIN tasks t ON t.suite_id = a.suite_id AND t.idx = a.task_idx WHERE t.suite_id = '$id2' AND t.name = 'a=99' AND a.started_at IS NOT NULL")" \
    0 "no attempt of it started"
elements=$(grep -c " Name=ts-$id2 " "$D/log/jobcomp.txt" 2>/dev/null)
is "$elements" 100 "Slurm ran 100 elements of the suite, no more"
# retry re-arms it: its next element runs.
out=$(ts "$W" retry "$id2" --task a=99 2>&1)
like "$out" "1 task resubmitted" "retry --task a=99 queues it again"
wait_for 120 sh -c "[ \"\$(sqlite3 -readonly '$W/.tshome/journal.db' \"SELECT state FROM tasks WHERE suite_id = '$id2' AND name = 'a=99'\")\" = completed ]"
ok $? "the retried task runs and completes"
is "$(find "$W/.tshome/suites/$id2/tasks" -path '*a=99*' -name out | wc -l)" 1 "its output file exists"

done_testing

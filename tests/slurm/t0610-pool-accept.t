#!/usr/bin/env bash
# t0610-pool-accept: issue 13's acceptance, pool mode end to end with the real
# agent (doc/pool.md, "Tested"), on a 4-node cluster of its own (two 2-node
# allocations at once), containment on (each job in its cgroup cpuset).
#
#  big      2,000 tasks, 2 allocations x 2 nodes x 2 workers: every task
#           completes exactly once, counted from the tasks' own output files
#           (each created exclusively: noclobber), and the journal agrees; the
#           env_preparation hook ran once per node per allocation; each task's
#           Cpus_allowed_list is its worker's CPU under RoundRobin (the
#           default) within the job's cpuset.
#  faults   800 tasks; one agent kill -9'ed and the other allocation scancel'ed
#           mid-run, nobody but the user's `submit` (following), default
#           resume settings: the attempts lost with them are node_fail and
#           get their next attempt all the same (as Slurm requeues an array
#           element lost with its node); every task completes once, no
#           attempt runs twice.
#  wall     --time=1 with the default resume settings: a task that checkpoints
#           and dies of the warning, its twin that traps it and exits 75: both
#           resume from their checkpoint (attempt 2) in the allocation the
#           safety net queues; the tasks prefetched behind them never started
#           there and stay at attempt 1.
#  order    1 worker, 1 allocation, Shared binding: tasks start in priority
#           order; 5 failures in a row (suspend_after's default) suspend the
#           worker, which status shows; the next allocation runs the rest.
#
# Runtime: about 90 s on a 2-core machine (wall and order run beside the
# others, in the background from the start).
# Knobs: TS_POOL_CLUSTER_DIR (TS_CLUSTER_DIR-pool), TS_POOL_PORT_BASE
# (the runner's port + 250), TS_POOL_STATE_DIR (DIR.plugin-state),
# TS_KEEP=1 keeps the cluster and the work directory.
# Left out of shellcheck here: SC2010: the names listed are the test's own
# (i=N.A, no blanks); SC2001: style.
# shellcheck disable=SC2010,SC2001
: "${SLURM_CONF:=${TS_POOL_CLUSTER_DIR:-/tmp/tasksuite-test/cluster-pool}/etc/slurm.conf}"
export SLURM_CONF
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
CL=$SRC/tests/cluster/cluster.sh
D=${TS_POOL_CLUSTER_DIR:-$TS_CLUSTER_DIR-pool}
PORT=${TS_POOL_PORT_BASE:-$((TS_PORT_BASE + 250))}
STATE=${TS_POOL_STATE_DIR:-$D.plugin-state}
W=$(mk_workdir)
BG=()
cleanup() {
    local p
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
    if [ -n "${TS_KEEP:-}" ]; then echo "# kept: cluster $D, work dir $W" >&2; return; fi
    "$CL" stop --dir "$D" >/dev/null 2>&1
    [ -n "${TS_POOL_STATE_DIR:-}" ] || rm -rf "$STATE"
    rm -rf "$W"
}
trap cleanup EXIT
T0=$(date +%s.%N)
el() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

conf=$("$CL" start --dir "$D" --port-base "$PORT" --nodes 4 --contain yes \
       ${TS_FIRST_JOB_ID:+--first-job-id "$TS_FIRST_JOB_ID"} \
       --plugin "$TS_PLUGIN_DIR/tasksuite.so" --plugin-args "state_dir=$STATE" 2>"$W/start.log" | tail -1)
[[ $conf == SLURM_CONF=* ]]
ok $? "a 4-node cluster of its own starts (containment on)" || { tail -5 "$W/start.log"; done_testing; exit 1; }
export "${conf?}"
TS_CLUSTER_DIR=$D

# submit_bg NAME: `tasksuite submit NAME.yaml` (following) in the background;
# its output in NAME.sub, its exit status in NAME.rc.
submit_bg() {
    ( as_user "$W" env TASKSUITE_HOME="$W/.tshome" "$TS_BIN" submit "$1.yaml" >"$W/$1.sub" 2>&1
      echo $? >"$W/$1.rc" ) &
    BG+=($!)
}
wait_rc() { wait_for "${2:-240}" test -s "$W/$1.rc"; cat "$W/$1.rc" 2>/dev/null; }
sid() { grep -Exm1 '[a-z0-9]{8}' "$W/$1.sub"; }
seq_list() { seq -s, 0 $(($1 - 1)) | sed 's/^/[/; s/$/]/'; }
q() { jsql "$W" "$1"; }
for d in big faults wall order; do mkdir -p "$W/out-$d"; done
chown -R "$TS_USER:" "$W"/out-*
# The tasks write with noclobber: a second run of one (task, attempt) leaves
# a DUP file instead of overwriting the first one's.
write() {   # write DIR: the shell text that records one run
    echo "f=$W/out-$1/\$TASK_SUITE_TASK.\$TASK_SUITE_ATTEMPT; { set -o noclobber; echo \"\$SLURMD_NODENAME \$SLURM_JOB_ID \$TASK_SUITE_WORKER_ID \$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status) \$(c=\$(cat /proc/self/cpuset); cat /sys/fs/cgroup/cpuset\${c%%/step_*}/cpuset.cpus)\" > \$f; } 2>/dev/null || touch \$f.DUP.\$\$"
}
prep() {   # prep DIR: an env_preparation that leaves one marker line per run
    printf 'env_preparation:\n  run: echo "$SLURMD_NODENAME $SLURM_JOB_ID" >> %s/out-%s/prep\n' "$W" "$1"
}

# ---------------------------------------------------------------- wall (background, ~90 s)
# ck: checkpoints each step and dies of the warning; tr: the same, traps it
# and exits 75; p0..p3 wait behind them (prefetched by the first allocation).
STEPS=45
{
    echo "name: wall"
    echo "run: |"
    echo "  $(write wall)"
    echo "  [ \$TASK_SUITE_TASK = ck ] || [ \$TASK_SUITE_TASK = tr ] || exit 0"
    echo "  [ \$TASK_SUITE_TASK = tr ] && trap 'echo \$TASK_SUITE_ATTEMPT \$s >> $W/out-wall/tr.trapped; exit 75' USR2"
    echo "  s=\${TASK_SUITE_CHECKPOINT_STEP:-0}; echo \"\$TASK_SUITE_ATTEMPT from \$s\" >> $W/out-wall/\$TASK_SUITE_TASK.steps"
    echo "  while [ \$s -lt $STEPS ]; do sleep 1; s=\$((s + 1)); echo \$s > \$TASK_SUITE_TASK_DIR/ck.\$s; tasksuite checkpoint \$TASK_SUITE_TASK_DIR/ck.\$s --step \$s; done"
    echo "tasks:"
    echo "  - {name: ck, priority: 9}"
    echo "  - {name: tr, priority: 9}"
    for i in 0 1 2 3; do echo "  - {name: p$i, priority: 1}"; done
    echo "worker_schedule: {worker_count: 2, allocations: 1}"
    echo "slurm: {time: \"1\"}"
} | put "$W" wall.yaml
submit_bg wall

# ---------------------------------------------------------------- order
# f1..f5 fail (priorities 9..5), then o1..o4 (4..1), listed shuffled.
{
    echo "name: order"
    echo "run: |"
    echo "  echo \$TASK_SUITE_TASK >> $W/out-order/started"
    echo "  $(write order)"
    echo "  case \$TASK_SUITE_TASK in f*) exit 1;; esac"
    echo "tasks:"
    for t in o2:3 f3:7 o4:1 f1:9 o1:4 f5:5 f2:8 o3:2 f4:6; do echo "  - {name: ${t%:*}, priority: ${t#*:}}"; done
    echo "worker_schedule: {worker_count: 1, allocations: 1, cpu_binding: {strategy: Shared}}"
    prep order
} | put "$W" order.yaml
submit_bg order
# ---------------------------------------------------------------- big
{
    echo "name: big"
    echo "run: '$(write big | sed "s/'/''/g")'"
    echo "matrix: {i: $(seq_list 2000)}"
    echo "num_nodes: 2"
    echo "worker_schedule: {worker_count: 2, allocations: 2}"
    prep big
} | put "$W" big.yaml
t=$(date +%s.%N)
submit_bg big
rc=$(wait_rc big 240)
diag "big: 2000 tasks, submit to complete in $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
is "$rc" 0 "big: submit follows the suite to completion, exit 0" || tail -3 "$W/big.sub"
id=$(sid big)
files=$(ls "$W/out-big" | grep -cv '^prep$')
diag "big: $files output files, $(ls "$W/out-big" | grep -c DUP) DUP"
is "$(ls "$W/out-big" | grep -v '^prep$' | sed 's/\.1$//' | sort -n | uniq | wc -l)" 2000 "big: 2000 tasks left their output"
is "$files" 2000 "big: ... each exactly once, as attempt 1 (no DUP, no other attempt)"
is "$(q "select count(*) from tasks where suite_id='$id' and state='completed' and attempts=1")" 2000 \
    "big: the journal agrees: 2000 completed at attempt 1"
is "$(q "select count(*) from attempts where suite_id='$id'")" 2000 "big: 2000 attempts in the journal"
pairs=$(cat "$W"/out-big/*.1 | awk '{print $1, $2}' | sort -u)
diag "big: tasks per node and allocation: $(cat "$W"/out-big/*.1 | awk '{print $1"/"$2}' | sort | uniq -c | tr -s ' \n' ' ')"
is "$(echo "$pairs" | wc -l)" 4 "big: 2 allocations x 2 nodes ran tasks"
is "$(echo "$pairs" | awk '{print $2}' | sort -u | wc -l)" 2 "big: ... in 2 allocations"
is "$(sort "$W/out-big/prep" | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')" "1 " \
    "big: env_preparation ran at most once per node per allocation"
is "$(sort -u "$W/out-big/prep")" "$pairs" "big: ... and once on each node of each allocation (4 runs)"
# RoundRobin (default) within the job's cpuset: worker w gets CPU w mod n of
# the cpuset (one PU per core here). expand: a Linux CPU list to one per line.
bad=$(cat "$W"/out-big/*.1 | awk '
    function expand(l, a,   n, i, p, r, k) { n = 0; split(l, p, ","); for (i in p) { split(p[i], r, "-");
        if (r[2] == "") r[2] = r[1]; for (k = r[1]; k <= r[2]; k++) a[n++] = k } return n }
    { delete c; n = expand($5, c); if ($4 != c[$3 % n]) print }' | head -3)
is "$bad" "" "big: each worker's Cpus_allowed_list is its RoundRobin CPU within the job's cpuset"
diag "big: workers and CPUs: $(cat "$W"/out-big/*.1 | awk '{print "w"$3"="$4"/"$5}' | sort | uniq -c | tr -s ' \n' ' ')"

# ---------------------------------------------------------------- faults
{
    echo "name: faults"
    echo "run: 'sleep 0.2; $(write faults | sed "s/'/''/g")'"
    echo "matrix: {i: $(seq_list 800)}"
    echo "num_nodes: 2"
    echo "worker_schedule: {worker_count: 2, allocations: 2}"
} | put "$W" faults.yaml
t=$(date +%s.%N)
submit_bg faults
nout() { ls "$W/out-faults" | wc -l; }
wait_for 120 bash -c "[ \$(ls $W/out-faults | wc -l) -ge 100 ]"
fid=$(sid faults)
agents=$(pgrep -u "$TS_USER" -f "^$TS_BIN pool-agent $W/.tshome/suites/$fid\$")
# A task's process is forked from its agent (same command line): the agent
# is the one whose parent is not an agent.
victim=$(for p in $agents; do pp=$(ps -o ppid= -p "$p" | tr -d ' '); grep -qx "$pp" <<<"$agents" || echo "$p"; done | head -1)
vjob=$(tr '\0' '\n' < "/proc/$victim/environ" 2>/dev/null | sed -n 's/^SLURM_JOB_ID=//p')
kill -9 "$victim"
ok $? "faults: agent $victim (job $vjob) kill -9'ed after $(nout) tasks"
wait_for 120 bash -c "[ \$(ls $W/out-faults | wc -l) -ge 350 ]"
other=$(squeue -h -u "$TS_USER" -n "ts-$fid" -t running -o %i | grep -vx "$vjob" | head -1)
scancel "$other"
ok $? "faults: allocation $other scancel'ed after $(nout) tasks"
rc=$(wait_rc faults 240)
diag "faults: submit ended (exit $rc) after $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s: $(tail -1 "$W/faults.sub")"
is "$rc" 0 "faults: the following submit ends on its own, every task completed (exit 0)"
lost=$(q "select count(*) from attempts where suite_id='$fid' and state='node_fail'")
diag "faults: $lost attempts lost with the agent or the allocation (node_fail), each retried"
ok "$([ "$lost" -gt 0 ]; echo $?)" "faults: the faults did lose attempts ($lost node_fail)"
is "$(q "select count(*) from attempts a where suite_id='$fid' and state='node_fail' and not exists (select 1 from attempts b where b.suite_id=a.suite_id and b.task_idx=a.task_idx and b.attempt=a.attempt+1 and b.state='completed')")" 0 \
    "faults: each lost attempt's next attempt completed (default retry_on: [timeout])"
is "$(q "select count(*) from tasks where suite_id='$fid' and state='completed'")" 800 "faults: all 800 tasks completed"
is "$(ls "$W/out-faults" | grep -c DUP)" 0 "faults: no (task, attempt) ran twice (no DUP file)"
is "$(ls "$W/out-faults" | sed 's/\.[0-9]*$//' | sort -u | wc -l)" 800 "faults: every task left its output"
missing=$(q "select t.name || '.' || a.attempt from attempts a join tasks t on t.suite_id=a.suite_id and t.idx=a.task_idx where a.suite_id='$fid' and a.state='completed'" \
          | while read -r f; do [ -e "$W/out-faults/$f" ] || echo "$f"; done | head -3)
is "$missing" "" "faults: every completed attempt wrote its file"
unknown=$(ls "$W/out-faults" | while read -r f; do
    [ "$(q "select count(*) from attempts a join tasks t on t.suite_id=a.suite_id and t.idx=a.task_idx where a.suite_id='$fid' and t.name='${f%.*}' and a.attempt=${f##*.}")" = 1 ] || echo "$f"; done | head -3)
is "$unknown" "" "faults: every output file is an attempt the journal knows"
diag "faults: attempts $(q "select group_concat(n || ' ' || state, ', ') from (select state, count(*) n from attempts where suite_id='$fid' group by state)"); allocations $(q "select count(*) from slurm_jobs k join submissions b on b.id = k.submission_id where b.suite_id='$fid' and k.last_index < k.first_index")"

# ---------------------------------------------------------------- order (results)
rc=$(wait_rc order 180)
oid=$(sid order)
is "$rc" 6 "order: submit ends, exit 6 (5 tasks failed)" || tail -3 "$W/order.sub"
is "$(paste -sd' ' "$W/out-order/started")" "f1 f2 f3 f4 f5 o1 o2 o3 o4" "order: tasks started in priority order"
is "$(q "select group_concat(name || ':' || state, ' ') from (select name, state from tasks where suite_id='$oid' order by name)")" \
    "f1:failed f2:failed f3:failed f4:failed f5:failed o1:completed o2:completed o3:completed o4:completed" \
    "order: the failing tasks failed, the others completed"
out=$(ts "$W" status "$oid" 2>&1)
like "$out" 'worker 0 .* suspended \(its last 5 tasks failed \(suspend_after\), the last task [0-9]+ attempt 1\) +done 0 failed 5' \
    "order: status shows the worker suspended after 5 failures (suspend_after's default)" || echo "$out" | sed 's/^/# /'
ojobs=$(awk '{print $2}' "$W"/out-order/[fo]?.1 | sort -u | wc -l)
is "$ojobs" 2 "order: the rest ran in a second allocation (safety net)"
is "$(sort "$W/out-order/prep" | uniq -d)" "" "order: env_preparation ran once per allocation (1 node each)"
is "$(awk '{print $2}' "$W/out-order/prep" | sort -u | wc -l)" "$ojobs" "order: ... in each of them"
is "$(awk '$4 != $5' "$W"/out-order/[fo]?.1)" "" "order: Shared: the worker's Cpus_allowed_list is the job's whole cpuset"

# ---------------------------------------------------------------- wall (results)
rc=$(wait_rc wall 240)
wid=$(sid wall)
diag "wall: submit ended (exit $rc) at +$(el) s: $(tail -1 "$W/wall.sub")"
is "$rc" 0 "wall: the suite completes" || tail -5 "$W/wall.sub"
is "$(q "select group_concat(name || ':' || state || ':' || attempts, ' ') from (select * from tasks where suite_id='$wid' order by name)")" \
    "ck:completed:2 p0:completed:1 p1:completed:1 p2:completed:1 p3:completed:1 tr:completed:2" \
    "wall: ck and tr took 2 attempts, the waiting tasks 1"
for t in ck tr; do
    s=$(paste -sd' ' "$W/out-wall/$t.steps" 2>/dev/null)
    like "$s" "^1 from 0 2 from [1-9][0-9]*$" "wall: $t: attempt 2 resumed from its checkpoint ($s)"
done
is "$(q "select group_concat(a.attempt || ':' || a.state, ' ') from attempts a join tasks t on t.suite_id=a.suite_id and t.idx=a.task_idx where a.suite_id='$wid' and t.name='ck'")" \
    "1:timeout 2:completed" "wall: ck died of the warning: a timeout, then completed"
ok "$([ -s "$W/out-wall/tr.trapped" ]; echo $?)" "wall: tr trapped the warning and exited 75 ($(cat "$W/out-wall/tr.trapped" 2>/dev/null))"
is "$(ls "$W/out-wall" | grep -c '^p.\.1$')" 4 "wall: p0..p3 ran once each, as attempt 1"
j1=$(awk '{print $2}' "$W/out-wall/ck.1" 2>/dev/null); j2=$(awk '{print $2}' "$W/out-wall/ck.2" 2>/dev/null)
ok "$([ -n "$j2" ] && [ "$j1" != "$j2" ]; echo $?)" "wall: the resumed attempt ran in the next allocation (jobs $j1 $j2)"
ret=$(grep -l '^TSF1 R' "$W/.tshome/suites/$wid"/pool/claims/*/*.f 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
ok "$([ -n "$ret" ]; echo $?)" "wall: claims given back at the warning, never started: $ret"
diag "total: $(el) s"
done_testing

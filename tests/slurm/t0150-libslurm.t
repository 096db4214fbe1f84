#!/usr/bin/env bash
# src/slurm.c against the real cluster, through tests/slurm/slurmprobe:
# MaxArraySize, submitting arrays as the test user (options land where
# sbatch puts them), element states and exit codes, cancel, remaining time,
# finding jobs by name, and the one-line errors (refused, unreachable).
# Left out of shellcheck here: ok $(...) and $opts are split into words on purpose.
# shellcheck disable=SC2046,SC2086
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
TS_PROBE=${TS_PROBE:-${TS_BUILD_DIR:-$SRC/build}/tests/slurm/slurmprobe}
if [ ! -x "$TS_PROBE" ]; then
    # The runner builds it with `make check`: missing means a broken build.
    echo "not ok 1 - slurmprobe is built ($TS_PROBE is missing)"
    echo "1..1"
    exit 1
fi

W=$(mk_workdir)
PREFIX="ts-t0150-$$-"
cleanup() {
    # Whatever this test left queued (by name), then the scratch dir.
    squeue -h -u "$TS_USER" -o '%A %j' 2>/dev/null | awk -v p="$PREFIX" 'index($2, p) == 1 {print $1}' \
        | sort -u | xargs -r scancel 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT

probe() { as_user "$W" "$TS_PROBE" "$@"; }

# A batch script in the work dir, readable by the test user.
script() {   # script NAME BODY
    printf '#!/bin/sh\n%s\n' "$2" > "$W/$1"
    chmod 644 "$W/$1"
}

# scontrol's view of a job without what differs between two submissions
# (SubmitLine, shown from 25.x, holds sbatch's command line, with spaces: the
# multi-line form keeps it on a line of its own).
job_fields() {   # job_fields ID
    scontrol show job "$1" 2>/dev/null | awk 'NF == 0 {exit} {print}' \
        | grep -v '^ *SubmitLine=' | tr ' ' '\n' \
        | grep -Ev '^(JobId|ArrayJobId|ArrayTaskId|JobName|SubmitTime|LastSchedEval|Command|AllocNode:Sid|EligibleTime|AccrueTime|StartTime|EndTime|Reason|SuspendTime|RunTime|WorkDir|StdErr|StdOut|StdIn|Power=|Priority|Comment)' \
        | grep -v '^$'
}

# Wait until some element of ID is RUNNING (or give up after N seconds).
wait_running() {   # wait_running ID [N]
    local i
    for ((i = 0; i < ${2:-60} * 5; i++)); do
        probe elements "$1" 2>/dev/null | grep -q ' RUNNING ' && return 0
        sleep 0.2
    done
    return 1
}

# ------------------------------------------------------------ MaxArraySize
want=$(scontrol show config | awk '$1 == "MaxArraySize" {print $3}')
out=$(probe -t maxarray 2>"$W/t.err"); rc=$?
ok $rc "maxarray runs as the test user"
is "$out" "$want" "maxarray is the controller's MaxArraySize"
is "$want" "1001" "the test cluster's MaxArraySize is the default 1001"
diag "timing: $(cat "$W/t.err")"

# ------------------------------------------------------------ a good array
script ok.sh 'echo "cpt=$SLURM_CPUS_PER_TASK mark=$MARK name=$SLURM_JOB_NAME dir=$SLURM_SUBMIT_DIR" > "out.$SLURM_ARRAY_TASK_ID"'
A=$(probe -t submit 0 4 ok.sh --nodes=1 --cpus-per-task=2 --time=2 --mem=1M \
    --partition=debug "name=${PREFIX}run-a" comment=tasksuite:t0150:s1 throttle=2 \
    env=MARK=m1 spank=TS_T0150=1 'out=%x-%A_%a.out' 2>"$W/t.err")
rc=$?
ok $rc "submit a 5-element array as $TS_USER"
like "$A" '^[0-9]+$' "submit prints the array job id"
diag "timing: $(cat "$W/t.err")"
fields=$(scontrol show job "$A" 2>/dev/null)
for f in "JobName=${PREFIX}run-a" "UserId=$TS_USER\\(" "ArrayTaskThrottle=2" "CPUs/Task=2" \
         "TimeLimit=00:02:00" "Partition=debug" "MinMemoryNode=1M" "MinCPUsNode=2" \
         "Comment=tasksuite:t0150:s1" "NumNodes=1" "StdIn=/dev/null" "WorkDir=$W"; do
    like "$fields" "$f" "the submitted job has $f"
done
state=$(wait_job "$A" 120)
is "$state" "COMPLETED " "squeue: every element of the array completed"
out=$(probe -t elements "$A" 2>"$W/t.err")
is "$out" "0 COMPLETED 0 0
1 COMPLETED 0 0
2 COMPLETED 0 0
3 COMPLETED 0 0
4 COMPLETED 0 0" "elements: 5 entries, COMPLETED, exit 0, no signal"
diag "timing: $(cat "$W/t.err")"
is "$(cat "$W/out.3" 2>/dev/null)" "cpt=2 mark=m1 name=${PREFIX}run-a dir=$W" \
    "the job sees SLURM_CPUS_PER_TASK, the given env, SLURM_JOB_NAME, SLURM_SUBMIT_DIR"
ok $([ -f "$W/${PREFIX}run-a-${A}_4.out" ]; echo $?) "%x and %A_%a in the output path expand"
info=$(probe info "$A")
like "$info" "^task=0 job=[0-9]+ array=$A state=COMPLETED completing=0 held=0 exit=0 signal=0 restarts=0 nodes=n[0-9]+ start=[1-9][0-9]* end=[1-9][0-9]* name=${PREFIX}run-a comment=tasksuite:t0150:s1" \
    "info: job id, nodes, times, name, comment"

# ------------------------------------------------------------ a failing element
script fail.sh '[ "$SLURM_ARRAY_TASK_ID" = 3 ] && exit 3; exit 0'
B=$(probe submit 2 3 fail.sh --nodes=1 --time=2 "name=${PREFIX}run-b" out=/dev/null)
ok $? "submit array 2-3"
wait_job "$B" 120 >/dev/null
is "$(probe elements "$B")" "2 COMPLETED 0 0
3 FAILED 3 0" "an element that exits 3 is FAILED with exit 3"

# ------------------------------------------------------------ options as sbatch sets them
# Held submissions through sbatch and through libslurm: scontrol shows the same.
# Against this cluster's own sbatch: the rules changed in 23.02 (--nodelist
# with --nodes, --ntasks-per-node), 23.11 (TresPerTask) and 24.11
# (OOMKillStep); the last two sets differ between 22.05 and later.
script held.sh 'true'
n=0
for opts in "--nodes=2 --cpus-per-task=3 --time=1:30 --mem=1M --partition=debug" \
            "--nodes=1 --ntasks=2 --threads-per-core=1 --exclusive --no-requeue --nice=5 --mail-type=END,FAIL --mail-user=nobody@localhost --time=1-00:00:00" \
            "--nodes=1 --hint=nomultithread --ntasks-per-node=2 --mem-per-cpu=1 --time-min=5 --time=10 --signal=B:USR2@300 --comment=hello --switches=1@10:00 --tmp=10" \
            "--nodes=1-2 --ntasks=3 --requeue --begin=2035-01-01T00:00:00 --wckey=w1 --mail-type=ALL" \
            "--nodes=1 --nodelist=n1 --exclude=n2 --sockets-per-node=1 --cores-per-socket=2 --deadline=2036-01-01" \
            "--nodes=1-2 --nodelist=n[1-2] --mem=1M" \
            "--ntasks=4 --ntasks-per-node=2 --cpus-per-task=2"; do
    n=$((n + 1))
    s=$(as_user "$W" sbatch --parsable --hold -a 0-1 -J "${PREFIX}cmp$n" -o /dev/null $opts held.sh 2>&1)
    p=$(probe submit 0 1 held.sh $opts "name=${PREFIX}cmp$n" hold=1 out=/dev/null 2>&1)
    if [[ $s =~ ^[0-9]+$ && $p =~ ^[0-9]+$ ]]; then
        d=$(diff <(job_fields "$s") <(job_fields "$p"))
        is "$d" "" "same job as sbatch: $opts"
        [ $n -eq 1 ] && like "$(probe info "$p")" '^task=0 job=0 array=[0-9]+ state=PENDING completing=0 held=1 ' \
            "a job submitted held: PENDING, held, no job id of its own yet"
        scancel "$s" "$p"
    else
        ok 1 "same job as sbatch: $opts"
        diag "sbatch: $s"; diag "probe: $p"
    fi
done
# No GPUs on the test cluster: both are refused for the same reason.
s=$(as_user "$W" sbatch --parsable --hold -J "${PREFIX}g" -o /dev/null --gres=gpu:v100:2 held.sh 2>&1)
p=$(probe submit 0 0 held.sh --gres=gpu:v100:2 "name=${PREFIX}g" hold=1 out=/dev/null 2>&1); rc=$?
is "$rc" 5 "a GRES the cluster lacks: refused by slurmctld (exit 5)"
is "$p" "submit array 0-0 of ${PREFIX}g: Invalid generic resource (gres) specification" \
    "the refusal names the submission and Slurm's reason"
like "$s" "Invalid generic resource \\(gres\\) specification" "sbatch gives the same reason"
# --signal=R: (at a reservation's end): Slurm 24.11 refuses it without
# preemption (PreemptMode=OFF here), 22.05 takes it; either way the same.
s=$(as_user "$W" sbatch --parsable --hold -J "${PREFIX}r" -o /dev/null --signal=R:USR1@60 held.sh 2>&1)
p=$(probe submit 0 0 held.sh --signal=R:USR1@60 "name=${PREFIX}r" hold=1 out=/dev/null 2>&1)
if [[ $s =~ ^[0-9]+$ ]]; then
    like "$p" '^[0-9]+$' "--signal=R:USR1@60: sbatch and the library both submit it"
    scancel "$s" "$p" 2>/dev/null
else
    like "$p" "^submit array 0-0 of ${PREFIX}r: .*[Pp]reempt" "--signal=R:USR1@60: refused as sbatch refuses it (${s#sbatch: error: })"
fi

# ------------------------------------------------------------ cancel, remaining time
script long.sh 'sleep 300'
C=$(probe submit 0 3 long.sh --nodes=1 --time=5 "name=${PREFIX}run-c" throttle=1 out=/dev/null)
ok $? "submit a long-running array, one element at a time"
wait_running "$C" 60
ok $? "an element of it runs"
is "$(probe elements "$C")" "0 RUNNING -1 0
1 PENDING -1 0
2 PENDING -1 0
3 PENDING -1 0" \
   "the pending range record is expanded into one entry per element"
job0=$(probe info "$C" | awk '/ state=RUNNING / {sub("job=", "", $2); print $2; exit}')
left=$(probe -t remaining "$job0" 2>"$W/t.err")
ok $(( ! (${left:-0} > 200 && ${left:-0} <= 300) )) "remaining time of a running element with --time=5: $left s"
diag "timing: $(cat "$W/t.err")"
found=$(probe -t find "${PREFIX}run-" 2>"$W/t.err")
is "$(printf '%s\n' "$found" | awk '{print $2}' | sort -un | tr '\n' ' ')" \
   "$(printf '%s\n' "$A" "$B" "$C" | sort -n | tr '\n' ' ')" \
   "find by name prefix: the three arrays this test submitted"
like "$found" "^[0-9]+ $C 0 RUNNING ${PREFIX}run-c" "find: job id, array id, task, state, name"
diag "timing: $(cat "$W/t.err")"
is "$(probe find "${PREFIX}nothing")" "" "find: no job with that prefix, no lines"
probe -t cancel "$C" 2>"$W/t.err"
ok $? "cancel the array"
diag "timing: $(cat "$W/t.err")"
wait_job "$C" 60 >/dev/null
els=$(probe elements "$C")
is "$(printf '%s\n' "$els" | awk '{print $1, $2}' | tr '\n' ' ')" \
   "0 CANCELLED 1 CANCELLED 2 CANCELLED 3 CANCELLED " "every element is CANCELLED"
# slurmd ends a cancelled batch job with SIGTERM, SIGKILL only after KillWait.
like "$els" "^0 CANCELLED -1 (15|9)$" "the running element was killed by a signal"
like "$els" "^3 CANCELLED 0 0$" "a pending element is CANCELLED without exit code or signal"
probe cancel "$C"
ok $? "cancelling it again is not an error"
probe cancel 4000000
ok $? "cancelling an unknown job is not an error"
out=$(probe elements 4000000); rc=$?
ok $rc "elements of an unknown (or purged) job: not an error"
is "$out" "" "... and no entries"

# ------------------------------------------------------------ errors
err=$(probe submit 0 1001 ok.sh "name=${PREFIX}big" out=/dev/null 2>&1); rc=$?
is "$rc" 5 "an index above MaxArraySize: exit 5"
is "$err" "submit array 0-1001 of ${PREFIX}big: Invalid job array specification" \
    "the refusal is one line naming the array"
err=$(probe submit 0 1 ok.sh --time=5x "name=${PREFIX}bad" 2>&1); rc=$?
is "$rc" 1 "an option that cannot be applied: not a Slurm error"
like "$err" '^slurm\.time: 5x: not a duration' "the message names the option and value"

# An unreachable controller: same config, a port nobody listens on.
mkdir -p "$W/down"
sed -e 's/^SlurmctldPort=.*/SlurmctldPort=1/' -e '/^MessageTimeout=/d' "$SLURM_CONF" > "$W/down/slurm.conf"
echo "MessageTimeout=1" >> "$W/down/slurm.conf"
chmod -R a+rX "$W/down"
t0=$(date +%s%N)
err=$(SLURM_CONF=$W/down/slurm.conf "$TS_PROBE" maxarray 2>&1); rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$rc" 5 "controller unreachable: exit 5"
is "$err" "cannot reach the Slurm controller: Unable to contact slurm controller (connect failure)" \
    "controller unreachable: one line"
ok $((ms > 3000)) "... reported in ${ms} ms (MessageTimeout=1; libslurm retries for MessageTimeout-1 s)"
err=$(SLURM_CONF=$W/down/slurm.conf "$TS_PROBE" submit 0 0 "$W/ok.sh" "name=${PREFIX}down" 2>&1); rc=$?
is "$rc" 5 "submit to an unreachable controller: exit 5"
is "$err" "submit array 0-0 of ${PREFIX}down: cannot reach the Slurm controller: Unable to contact slurm controller (connect failure)" \
    "submit to an unreachable controller: one line naming the array"
err=$(SLURM_CONF=$W/missing.conf "$TS_PROBE" maxarray 2>&1); rc=$?
is "$rc" 5 "SLURM_CONF names a missing file: exit 5"
is "$err" "cannot read the Slurm configuration $W/missing.conf (SLURM_CONF): No such file or directory; set SLURM_CONF to your cluster's slurm.conf, or use --local" \
    "... one line, not libslurm's fatal()"

done_testing

# hooks-cases.sh: the env_preparation / env_cleanup cases on a real cluster,
# shared by t0500-hooks.t (the runner's cluster: PrologFlags=Contain,
# tasksuite.so) and t0510-hooks-epilog.t (a cluster of its own without
# Contain, tasksuite_epilog.so). Source after lib.sh; then
#   hook_cases ALLOC STATE_DIR      (ALLOC: yes|no, the cluster's PrologFlags=Alloc)
#
# Every hook appends "<hook> <node> <jobid>" to a marker file in a shared
# directory; counting those lines tells how often each ran on each node.
# Left out of shellcheck here: SC2001: style; SC2034: nodes is unused (left for the owner).
# shellcheck disable=SC2001,SC2034

# The plugin's state_dir on this cluster (plugstack.conf), default /run/tasksuite.
cluster_state_dir() {
    local conf=$1 d
    d=$(grep -o 'state_dir=[^ ]*' "$(dirname "$conf")/plugstack.conf" 2>/dev/null | tail -1)
    echo "${d#state_dir=}" | sed 's|^$|/run/tasksuite|'
}

cluster_prolog_alloc() {   # yes|no
    grep -qi '^PrologFlags=.*alloc' "$1" && echo yes || echo no
}

# suite DIR NAME PREP-RUN [CLEANUP-RUN [PREP-TIMEOUT]]: a suite file whose
# hooks also append to DIR/markers.
suite() {
    local dir=$1 name=$2 prep=$3 cleanup=${4:-} timeout=${5:-1m}
    {
        echo "name: $name"
        echo "run: \"true\""
        if [ -n "$prep" ]; then
            echo "env_preparation:"
            echo "  run: 'echo prep \$SLURMD_NODENAME \$SLURM_JOB_ID >> $dir/markers; $prep'"
            echo "  timeout: $timeout"
        fi
        if [ -n "$cleanup" ]; then
            echo "env_cleanup:"
            echo "  args: [\"sh\", \"-c\", \"echo cleanup \$SLURMD_NODENAME \$SLURM_JOB_ID >> $dir/markers; $cleanup\"]"
        fi
    } | put "$dir" "$name.yaml"
}

marks() {   # marks DIR WHAT [NODE [JOB]]: number of matching marker lines
    local pat="^$2 ${3:-[^ ]+} ${4:-[0-9]+}\$"
    [ -f "$1/markers" ] || { echo 0; return; }
    grep -Ec "$pat" "$1/markers" || true
}

# The epilog runs after sbatch --wait returns: wait for N cleanup lines.
wait_marks() {   # wait_marks DIR WHAT N [NODE [JOB]]
    local i
    for ((i = 0; i < 150; i++)); do
        [ "$(marks "$1" "$2" "${4:-}" "${5:-}")" -ge "$3" ] && return 0
        sleep 0.2
    done
    return 1
}

marks_at_least() { [ "$(marks "$1" "$2" "" "$4")" -ge "$3" ]; }   # DIR WHAT N JOB
job_state_is() { [ "$(squeue -h -j "$1" -o %T 2>/dev/null)" = "$2" ]; }

nodes_idle() {   # every node idle (not drained, down or still completing)
    local out
    out=$(sinfo -h -N -o '%N %T' 2>/dev/null | sort -u)
    [ -n "$out" ] && ! printf '%s\n' "$out" | grep -qv ' idle$'
}

jobid_of() { awk '/Submitted batch job/ {print $4}' "$@"; }

hook_cases() {
    local alloc=$1 state=$2 W out rc jobid j n1 n2 t0 took log nodes
    W=$(mk_workdir)
    # shellcheck disable=SC2064
    trap "rm -rf '$W'" RETURN
    diag "PrologFlags=Alloc: $alloc; state_dir: $state"

    # ------------------------------------------------ 2 nodes, identity, task env
    suite "$W" two 'id; pwd' 'true'
    out=$(as_user "$W" sbatch --wait -N2 -n2 -o "$W/two.out" --task-suite=two.yaml \
          --wrap 'srun -N2 -n2 -l bash -c "echo env \$SLURMD_NODENAME rank=\$NODE_RANK/\$NUM_NODES name=\$TASK_SUITE_NAME workers=\$TASK_SUITE_WORKER_COUNT log=\$TASK_SUITE_PREP_LOG"' 2>&1)
    ok $? "a 2-node --task-suite job runs"
    jobid=$(printf '%s\n' "$out" | jobid_of)
    is "$(marks "$W" prep n1 "$jobid")/$(marks "$W" prep n2 "$jobid")" "1/1" \
        "env_preparation ran once on each node (n1/n2)"
    wait_marks "$W" cleanup 2 "" "$jobid"
    is "$(marks "$W" cleanup n1 "$jobid")/$(marks "$W" cleanup n2 "$jobid")" "1/1" \
        "env_cleanup ran once on each node (n1/n2)"
    log="$W/tasksuite-$jobid/n2.env_preparation.log"
    like "$(cat "$log" 2>/dev/null)" "uid=[0-9]+\\($TS_USER\\) gid=[0-9]+\\($TS_USER\\) groups=.*tsextra" \
        "the hook ran as $TS_USER with the user's groups (id in its log)"
    unlike "$(cat "$W"/tasksuite-"$jobid"/*.log 2>/dev/null)" 'uid=0\(|gid=0\(|groups=0\(' "never as root"
    like "$(cat "$log" 2>/dev/null)" "^$W\$" "it ran in the directory of the submission"
    is "$(stat -c %U "$log" 2>/dev/null)/$(stat -c %U "$W/tasksuite-$jobid" 2>/dev/null)" "$TS_USER/$TS_USER" \
        "the log and its directory were created by the user (root wrote nothing there)"
    like "$(cat "$W/two.out")" "1: env n2 rank=1/2 name=two workers=1 log=$W/tasksuite-$jobid/n2.env_preparation.log" \
        "tasks see NODE_RANK, NUM_NODES, TASK_SUITE_NAME, _WORKER_COUNT and _PREP_LOG"
    like "$(slurmd_log n1)" "tasksuite: job $jobid: env_preparation on n1 as $TS_USER \\([0-9.]+s\\): exit status 0 \\(log: $W/tasksuite-$jobid/n1.env_preparation.log\\)" \
        "slurmd's log: one line per hook, with the prefix and the job ID"

    # ------------------------------------------------ a node no step reaches
    suite "$W" idle 'true' 'true'
    out=$(as_user "$W" sbatch --wait -N2 -n2 -o /dev/null --task-suite=idle.yaml --wrap true 2>&1)
    jobid=$(printf '%s\n' "$out" | jobid_of)
    wait_marks "$W" cleanup 1 "" "$jobid"
    sleep 1
    is "$(marks "$W" prep "" "$jobid")/$(marks "$W" cleanup "" "$jobid")" "1/1" \
        "batch script only: preparation and cleanup on the batch node only (the one a task reached)"

    # ------------------------------------------------ 4 concurrent steps, one node
    suite "$W" conc 'sleep 2; echo done >> '"$W"'/prep-done' 'true'
    out=$(as_user "$W" salloc -N1 -n4 --task-suite=conc.yaml bash -c \
          'for i in 1 2 3 4; do srun -n1 --overlap bash -c "cat '"$W"'/prep-done | wc -l" & done; wait; echo job=$SLURM_JOB_ID' 2>/dev/null)
    jobid=$(printf '%s\n' "$out" | sed -n 's/^job=//p')
    is "$(marks "$W" prep "" "$jobid")" 1 "4 concurrent srun steps in one allocation: env_preparation ran once"
    is "$(printf '%s\n' "$out" | grep -c '^1$')" 4 "every step started after it had finished (saw its result)"
    wait_marks "$W" cleanup 1 "" "$jobid"
    is "$(marks "$W" cleanup "" "$jobid")" 1 "and env_cleanup once"

    # ------------------------------------------------ an array: once per element
    suite "$W" arr 'true' 'true'
    out=$(as_user "$W" sbatch --wait --array=1-3 -N1 -n1 -o /dev/null --task-suite=arr.yaml --wrap true 2>&1)
    j=$(printf '%s\n' "$out" | jobid_of)
    # Each element's extern step ends after sbatch --wait returned: wait for
    # 3 cleanups of this array (other jobs' lines are in the same file).
    arr_cleaned() { [ "$(awk -v j="$j" '$1 == "cleanup" && $3 >= j' "$W/markers" | wc -l)" -ge 3 ]; }
    wait_for 30 arr_cleaned
    n1=$(grep -E '^prep ' "$W/markers" | awk '{print $3}' | sort -n | uniq -c | awk -v j="$j" '$2 >= j {n++; if ($1 != 1) bad++} END {print n + 0 "," bad + 0}')
    is "$n1" "3,0" "an array of 3: env_preparation once per element (3 job ids, once each)"
    n2=$(grep -E '^cleanup ' "$W/markers" | awk '{print $3}' | sort -n | uniq -c | awk -v j="$j" '$2 >= j {n++; if ($1 != 1) bad++} END {print n + 0 "," bad + 0}')
    is "$n2" "3,0" "and env_cleanup once per element"

    # ------------------------------------------------ a failing preparation
    suite "$W" fail 'echo preparing; exit 3' 'true'
    out=$(as_user "$W" sbatch --wait -N1 -n1 -o "$W/fail.out" --task-suite=fail.yaml --wrap 'echo TASK-RAN' 2>&1)
    rc=$?
    jobid=$(printf '%s\n' "$out" | jobid_of)
    ok $((rc == 0)) "a failing env_preparation fails the job (sbatch --wait exit $rc)"
    log=$(ls "$W"/tasksuite-"$jobid"/n*.env_preparation.log 2>/dev/null | head -1)
    like "$(cat "$W/fail.out" 2>/dev/null)" "tasksuite: env_preparation failed on node n[12] for job $jobid: exit status 3; its output is in $log" \
        "the job's output names the hook, its exit status and its log"
    unlike "$(cat "$W/fail.out" 2>/dev/null)" 'TASK-RAN' "the task did not run"
    like "$(cat "$log" 2>/dev/null)" 'preparing' "the hook's own output is in that log"
    is "$(squeue -h -t all -j "$jobid" -o %T 2>/dev/null)" FAILED "the job is FAILED"
    wait_marks "$W" cleanup 1 "" "$jobid"
    is "$(marks "$W" cleanup "" "$jobid")" 1 "env_cleanup still ran where preparation was attempted"
    wait_for 30 nodes_idle
    is "$(sinfo -h -N -o '%T' | sort -u | tr '\n' ' ')" "idle " "the nodes are idle, not drained (sinfo)"

    err=$(as_user "$W" srun -N1 -n1 --task-suite=fail.yaml echo TASK-RAN 2>&1)
    rc=$?
    ok $((rc == 0)) "srun --task-suite with a failing preparation fails (exit $rc)"
    like "$err" 'tasksuite: env_preparation failed on node n[12] for job [0-9]+: exit status 3; its output is in /.*/n[12]\.env_preparation\.log' \
        "srun's stderr names the hook, the status and the log"
    unlike "$err" 'TASK-RAN' "the step's task did not run"

    # ------------------------------------------------ a hanging preparation
    suite "$W" hang 'sleep 1234 & sleep 1234' 'true' 3s
    t0=$(date +%s)
    as_user "$W" sbatch --wait -N1 -n1 -o "$W/hang.out" --task-suite=hang.yaml --wrap 'echo TASK-RAN' >"$W/hang.sub" 2>&1
    rc=$?
    took=$(($(date +%s) - t0))
    jobid=$(jobid_of "$W/hang.sub")
    ok $((rc == 0)) "a hanging env_preparation (timeout: 3s) fails the job (exit $rc)"
    ok $((took >= 30)) "the job ended soon after (${took}s)"
    like "$(slurmd_log n1; slurmd_log n2)" "error: tasksuite: job $jobid: env_preparation on n[12] as $TS_USER \\(3\\.[0-9]+s\\): failed: timed out after 3s" \
        "it was stopped at its timeout (slurmd's log: 3.xs)"
    like "$(cat "$W/hang.out" 2>/dev/null)" "tasksuite: env_preparation failed on node n[12] for job $jobid: timed out after 3s \\(stopped with its whole process group\\); its output is in /" \
        "the job's output says it timed out and where its log is"
    is "$(pgrep -u "$TS_USER" -f 'sleep 1234' | wc -l)" 0 "no process of the hook is left (pgrep -u $TS_USER)"
    wait_for 30 nodes_idle
    is "$(sinfo -h -N -o '%T' | sort -u | tr '\n' ' ')" "idle " "the nodes are still idle"

    # ------------------------------------------------ a cancelled job
    suite "$W" canc 'true' 'true'
    out=$(as_user "$W" sbatch -N1 -n1 -o /dev/null --task-suite=canc.yaml --wrap 'sleep 300' 2>&1)
    jobid=$(printf '%s\n' "$out" | jobid_of)
    wait_for 30 marks_at_least "$W" prep 1 "$jobid"
    wait_for 30 job_state_is "$jobid" RUNNING
    ls "$state"/"$jobid".*.prep >/dev/null 2>&1
    ok $? "while it runs, the node has its preparation record in $state"
    as_user "$W" scancel "$jobid"
    wait_job "$jobid" 60 >/dev/null
    wait_marks "$W" cleanup 1 "" "$jobid"
    is "$(marks "$W" cleanup "" "$jobid")" 1 "a cancelled job still gets its env_cleanup"
    wait_for 10 bash -c "! ls $state/$jobid.*.prep"
    ok $? "and its record is removed"

    # ------------------------------------------------ cancelled during preparation
    suite "$W" early 'sleep 4321 & sleep 4321' 'true' 10m
    out=$(as_user "$W" sbatch -N1 -n1 -o "$W/early.out" --task-suite=early.yaml --wrap 'echo TASK-RAN' 2>&1)
    jobid=$(printf '%s\n' "$out" | jobid_of)
    wait_for 30 marks_at_least "$W" prep 1 "$jobid"
    t0=$(date +%s)
    as_user "$W" scancel "$jobid"
    wait_job "$jobid" 60 >/dev/null
    wait_marks "$W" cleanup 1 "" "$jobid"
    took=$(($(date +%s) - t0))
    is "$(marks "$W" cleanup "" "$jobid")" 1 "a job cancelled during its preparation gets its env_cleanup"
    ok $((took >= 20)) "soon: the preparation is stopped, not waited for (${took}s of a 10m timeout)"
    is "$(pgrep -u "$TS_USER" -f 'sleep 4321' | wc -l)" 0 "no process of the preparation is left"
    unlike "$(cat "$W/early.out" 2>/dev/null)" 'TASK-RAN' "the task never ran"

    # ------------------------------------------------ no option: untouched
    out=$(as_user "$W" sbatch -N1 -n1 -o "$W/plain.out" --wrap 'env | grep -cE "^(TASK_SUITE_|NODE_RANK|NUM_NODES)" ; sleep 3' 2>&1)
    jobid=$(printf '%s\n' "$out" | jobid_of)
    wait_for 30 job_state_is "$jobid" RUNNING
    ls "$state"/"$jobid".*.prep >/dev/null 2>&1
    ok $((! $?)) "a job without --task-suite has no record"
    wait_job "$jobid" 60 >/dev/null
    is "$(head -1 "$W/plain.out" 2>/dev/null)" 0 "and its tasks see no tasksuite variables"
    unlike "$(slurmd_log n1; slurmd_log n2)" "tasksuite: job $jobid:" "and nothing about it in slurmd's log"

    # ------------------------------------------------ tasksuite submit, output_dir
    put "$W" launched.yaml <<YAML
name: launched
close_after: 1s
output_dir: $W/run
run: "true"
env_preparation:
  run: 'echo prep \$SLURMD_NODENAME \$SLURM_JOB_ID >> $W/markers; echo launched-prep'
YAML
    ts "$W" submit launched.yaml >"$W/launched.out" 2>&1
    ok $? "tasksuite submit of a suite with env_preparation and output_dir completes"
    log=$(ls "$W"/run/hooks/*/n*.env_preparation.log 2>/dev/null | head -1)
    like "$(cat "$log" 2>/dev/null)" 'launched-prep' "its hook log is OUTPUT_DIR/hooks/<jobid>/<node>.env_preparation.log"
}

#!/usr/bin/env bash
# --task-suite in sbatch, srun and salloc on the real cluster: a good file
# reaches the compute side, a bad one is refused before anything is queued,
# and a job without the option is untouched.
# Left out of shellcheck here: the option under test is split into words on purpose (${cmd%% *} ${cmd#* }).
# shellcheck disable=SC2086
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
trap 'rm -rf "$W"' EXIT
cp "$(dirname "$0")/data/good.yaml" "$(dirname "$0")/data/bad.yaml" "$W/"
chown "$TS_USER:" "$W"/*.yaml

# --help of each command lists the option (registered from slurm_spank_init).
for cmd in sbatch srun salloc; do
    like "$(as_user "$W" $cmd --help 2>&1)" '--task-suite=FILE' "$cmd --help shows --task-suite"
done

# A good file: the job sees what the plugin derived from it, in its tasks.
out=$(as_user "$W" sbatch --wait -o "$W/good.out" --task-suite=good.yaml \
      --wrap 'echo "name=$TASK_SUITE_NAME workers=$TASK_SUITE_WORKER_COUNT"' 2>&1)
ok $? "sbatch --task-suite=good.yaml succeeds"
jobid=$(printf '%s' "$out" | awk '/Submitted batch job/ {print $4}')
is "$(cat "$W/good.out" 2>/dev/null)" "name=demo-suite workers=1" "batch step sees TASK_SUITE_NAME from the spec"

# The compute side (root, the job's first task on the node) read the same
# spec from the job's environment and ran its env_preparation.
like "$(slurmd_log n1; slurmd_log n2)" "tasksuite: job $jobid: env_preparation on n[0-9]+ as $TS_USER " \
    "the compute node received the hooks and ran env_preparation"

# srun allocating its own job, and salloc + srun inside it.
is "$(as_user "$W" srun -n1 --task-suite=good.yaml printenv TASK_SUITE_NAME 2>&1)" "demo-suite" \
    "srun --task-suite exports TASK_SUITE_NAME"
is "$(as_user "$W" salloc -n1 --task-suite=good.yaml srun -n1 printenv TASK_SUITE_NAME 2>/dev/null)" "demo-suite" \
    "salloc --task-suite: steps see TASK_SUITE_NAME"

# An #SBATCH line works like the command-line option.
cat > "$W/job.sh" <<'SH'
#!/bin/bash
#SBATCH --task-suite=good.yaml
echo "via-sbatch-line=$TASK_SUITE_NAME"
SH
chown "$TS_USER:" "$W/job.sh"
as_user "$W" sbatch --wait -o "$W/line.out" job.sh >/dev/null 2>&1
is "$(cat "$W/line.out" 2>/dev/null)" "via-sbatch-line=demo-suite" "#SBATCH --task-suite= line"

# A bad file is refused with file:line:col and nothing is queued.
before=$(user_job_count)
for cmd in "sbatch --wrap true" "srun -n1 true" "salloc -n1 true"; do
    err=$(as_user "$W" ${cmd%% *} --task-suite=bad.yaml ${cmd#* } 2>&1)
    rc=$?
    ok $((rc == 0)) "${cmd%% *} refuses an invalid suite (exit $rc)"
    like "$err" 'bad\.yaml:3:11: resources\.memory: "16Gx" is not a size' \
        "${cmd%% *} prints the parser's file:line:col message"
done
is "$(user_job_count)" "$before" "no job was created for the invalid file"

err=$(as_user "$W" sbatch --task-suite=missing.yaml --wrap true 2>&1)
ok $((! $?)) "a missing suite file is refused"
like "$err" 'missing\.yaml.*(No such file|cannot)' "the message names the missing file"

# Without the option nothing changes: no TASK_SUITE_* or spec in the job.
as_user "$W" sbatch --wait -o "$W/plain.out" --wrap 'env | grep -c "^TASK_SUITE_\|TASK_SUITE_SPEC" || true' >/dev/null 2>&1
is "$(cat "$W/plain.out" 2>/dev/null)" "0" "a job without --task-suite sees no tasksuite variables"

done_testing

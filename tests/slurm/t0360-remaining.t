#!/usr/bin/env bash
# `tasksuite remaining` follows `scontrol update TimeLimit=`: Slurm 23.02 and
# newer put SLURM_JOB_END_TIME into every task's environment, a copy taken
# when the step started, and `tasksuite exec` exports its own copy,
# TASK_SUITE_END_TIME; both are only a fallback for when slurmctld cannot
# answer. Also: unlimited, --format hms, outside a job.
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
cleanup() {
    [ -n "${J:-}" ] && scancel "$J" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT

# The job prints what it sees at start, then waits for "go" and prints again
# with the copies it still holds (and an explicit TASK_SUITE_END_TIME, as a
# task of `tasksuite exec` has one).
put "$W" job.sh <<'EOF'
#!/bin/bash
echo "env ${SLURM_JOB_END_TIME:-unset}" > first
tasksuite remaining >> first
touch ready
for i in $(seq 600); do [ -e go ] && break; sleep 0.1; done
tasksuite remaining > second
TASK_SUITE_END_TIME=${SLURM_JOB_END_TIME:-$(( $(date +%s) + 300 ))} tasksuite remaining > third
tasksuite remaining --format hms > fourth
EOF
chmod 755 "$W/job.sh"
J=$(as_user "$W" sbatch --parsable --time=5 -N1 -n1 -o "$W/out" job.sh 2>&1)
like "$J" '^[0-9]+$' "a job with --time=5 is submitted"
wait_for 60 test -e "$W/ready"
ok $? "it runs and has read its remaining time"
first=$(tail -1 "$W/first")
ok $(( ! (first > 240 && first <= 300) )) "at the start: about 5 minutes ($first s)"
diag "$(head -1 "$W/first") (SLURM_JOB_END_TIME: set by Slurm 23.02 and newer)"

scontrol update JobId="$J" TimeLimit=20
ok $? "scontrol update TimeLimit=20 (as root)"
touch "$W/go"
wait_for 30 test -s "$W/fourth"
second=$(cat "$W/second" 2>/dev/null)
ok $(( ! (second > 1100 && second <= 1200) )) "tasksuite remaining sees the new limit: about 20 minutes ($second s)"
third=$(cat "$W/third" 2>/dev/null)
ok $(( ! (third > 1100 && third <= 1200) )) "also with a stale TASK_SUITE_END_TIME in the environment, as in a task ($third s)"
like "$(cat "$W/fourth" 2>/dev/null)" '^00:(19|20):[0-9]{2}$' "--format hms: $(cat "$W/fourth" 2>/dev/null)"
wait_job "$J" 60 >/dev/null
is "$(cat "$W/out" 2>/dev/null)" "" "no message on the job's output"
J=

# ------------------------------------------------------------ unlimited, outside a job
out=$(as_user "$W" sbatch --wait --time=UNLIMITED -N1 -n1 -o "$W/unl" --wrap 'tasksuite remaining' 2>&1)
is "$(cat "$W/unl" 2>/dev/null)" unlimited "a job without a time limit: unlimited"
is "$(as_user "$W" env -u SLURM_JOB_ID tasksuite remaining)" unlimited "outside a job: unlimited"
# slurmctld unreachable: the copy in the environment is the answer.
mkdir -p "$W/down"
sed -e 's/^SlurmctldPort=.*/SlurmctldPort=1/' -e '/^MessageTimeout=/d' "$SLURM_CONF" > "$W/down/slurm.conf"
echo "MessageTimeout=1" >> "$W/down/slurm.conf"
chmod -R a+rX "$W/down"
out=$(as_user "$W" env SLURM_CONF="$W/down/slurm.conf" SLURM_JOB_ID=4000000 \
      SLURM_JOB_END_TIME=$(( $(date +%s) + 700 )) tasksuite remaining 2>&1)
like "$out" '^(69[0-9]|700)$' "Slurm unreachable: SLURM_JOB_END_TIME is the fallback ($out s)"

done_testing

#!/usr/bin/env bash
# t0480-pool-plan: `tasksuite pool-plan` (doc/pool.md, "Binding") on this
# machine, with taskset standing in for the CPUs a job's cgroup gives: one
# line per worker, GPUs split from the environment, and the refusals (a core
# the allocation lacks, Exclusive without enough cores, a malformed GPU
# list, a file without worker_schedule), each one line and exit 1.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT

plan() {   # plan [VAR=VALUE]... -- [ARGS...]: pool-plan on CPU 0 only
    local vars=()
    while [ "$1" != -- ]; do vars+=("$1"); shift; done
    shift
    as_user "$w" env "${vars[@]}" taskset -c 0 "$TS_BIN" pool-plan "$@"
}

out=$(as_user "$w" "$TS_BIN" pool-plan 2>&1); rc=$?
is "$rc" 0 "pool-plan without FILE exits 0"
ncores=$(sed -n 's/^# \([0-9]*\) cores\{0,1\} .*/\1/p' <<<"$out")
nworkers=$(grep -c '^worker [0-9]* cpus [0-9,-]* gpus -$' <<<"$out")
is "$nworkers" "$ncores" "without FILE: one worker per core ($ncores)" || diag "$out"

out=$(plan -- 2>&1)
is "$out" "# 1 core (PUs 0), 1 worker on 1, GPUs none
worker 0 cpus 0 gpus -" "bound to CPU 0: one core, one worker on it"

put "$w" rr.yaml <<'YAML'
run: "true"
worker_schedule:
  worker_count: 2
YAML
out=$(plan CUDA_VISIBLE_DEVICES=0,1,2 SLURM_JOB_GPUS=5 -- rr.yaml 2>&1)
is "$out" "# 1 core (PUs 0), 2 workers on 1, GPUs 0,1,2 from CUDA_VISIBLE_DEVICES
worker 0 cpus 0 gpus 0,1
worker 1 cpus 0 gpus 2" "RoundRobin: both workers on the one core, 3 GPUs split 2 + 1"

out=$(plan CUDA_VISIBLE_DEVICES= SLURM_JOB_GPUS=5 -- rr.yaml 2>&1)
like "$out" 'worker 1 cpus 0 gpus -$' "an empty CUDA_VISIBLE_DEVICES: no GPU (SLURM_JOB_GPUS not used)"

out=$(plan SLURM_STEP_GPUS=3 -- rr.yaml 2>&1)
is "$(grep '^worker' <<<"$out")" "worker 0 cpus 0 gpus 3
worker 1 cpus 0 gpus 3" "one GPU for two workers: shared"

out=$(plan CUDA_VISIBLE_DEVICES=0,0 -- rr.yaml 2>&1); rc=$?
is "$rc" 1 "a GPU listed twice: exit 1"
is "$out" 'tasksuite pool-plan: rr.yaml: CUDA_VISIBLE_DEVICES="0,0": GPU 0 is listed twice' \
    "  one line naming the variable"

put "$w" cores.yaml <<'YAML'
run: "true"
worker_schedule:
  worker_count: 1
  cpu_binding:
    cores: [1]
YAML
out=$(plan -- cores.yaml 2>&1); rc=$?
is "$rc" 1 "a core the allocation lacks: exit 1"
is "$out" "tasksuite pool-plan: cores.yaml: cpu_binding.cores: core 1 is not in this allocation: it has 1 core, numbered 0 (PUs 0)" \
    "  the message names the core and what was allocated"

put "$w" ex.yaml <<'YAML'
run: "true"
worker_schedule:
  worker_count: 2
  cpu_binding:
    strategy: exclusive
YAML
out=$(plan -- ex.yaml 2>&1); rc=$?
is "$rc" 1 "Exclusive with 2 workers on 1 core: exit 1"
is "$out" "tasksuite pool-plan: ex.yaml: cpu_binding: Exclusive gives each worker its own cores: 2 workers, 1 core in this allocation" \
    "  the message says both numbers"

put "$w" plain.yaml <<'YAML'
run: "true"
YAML
out=$(plan -- plain.yaml 2>&1); rc=$?
is "$rc" 1 "a file without worker_schedule: exit 1"
is "$out" "tasksuite pool-plan: plain.yaml: no worker_schedule: its tasks run one array element each" \
    "  says so"

out=$(plan -- rr.yaml ex.yaml 2>&1); rc=$?
is "$rc" 2 "two files: usage, exit 2"

done_testing

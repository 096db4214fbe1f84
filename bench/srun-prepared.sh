#!/usr/bin/env bash
# bench/srun-prepared.sh: what a step costs inside a --task-suite allocation
# once env_preparation is done, against the same step without the plugin.
#
# Starts two private 1-node clusters side by side (same machine, same
# settings): one with an empty plugstack.conf, one with tasksuite.so. In
# allocations (salloc) on each - on the plugin cluster with and without
# --task-suite, the suite having env_preparation and env_cleanup - it times
# `srun -n1 true` after 3 warm-up steps per allocation (the first step of a
# --task-suite allocation runs the preparation). The three variants take
# turns in ROUNDS rounds so that drift in the machine's load hits all alike.
# Per step the plugin adds: user_init (parse the spec, export TASK_SUITE_*)
# and, per task, reading this node's preparation record under a shared lock.
# Target (issue 5): no measurable difference.
usage() {
    cat <<EOF
usage: bench/srun-prepared.sh [--runs N] [--rounds R] [--port-base P] [--prefix DIR]
  --runs N        timed steps per variant (default 60)
  --rounds R      allocations per variant, taking turns (default 3)
  --port-base P   bare cluster on P, plugin cluster on P+100 (default 19217)
  --prefix DIR    tasksuite install to use (default \$TS_PREFIX or /tmp/tasksuite-test/prefix)
Needs root (private clusters, the test user tsuser).
EOF
}
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
RUNS=60 ROUNDS=3 PORT=19217 PREFIX=${TS_PREFIX:-/tmp/tasksuite-test/prefix}
while [ $# -gt 0 ]; do
    case $1 in
        --runs) RUNS=$2; shift ;;
        --rounds) ROUNDS=$2; shift ;;
        --port-base) PORT=$2; shift ;;
        --prefix) PREFIX=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done
PLUGIN=$PREFIX/lib/slurm/tasksuite.so
CL=$SRC/tests/cluster/cluster.sh
BARE_DIR=/tmp/ts-bench-prep-bare PLUG_DIR=/tmp/ts-bench-prep-plugin
STATE=/run/tasksuite-bench-prep
USER_=tsuser
PER=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
[ -f "$PLUGIN" ] || { echo "no plugin at $PLUGIN (make install first)" >&2; exit 1; }

W=$(mktemp -d /tmp/ts-bench-prep.XXXXXX)
cleanup() {
    "$CL" stop --dir "$BARE_DIR" >/dev/null 2>&1 || true
    "$CL" stop --dir "$PLUG_DIR" >/dev/null 2>&1 || true
    rm -rf "$W" "$STATE"
}
trap cleanup EXIT

bare_conf=$("$CL" start --dir "$BARE_DIR" --port-base "$PORT" --plugin none 2>/dev/null | tail -1)
plug_conf=$("$CL" start --dir "$PLUG_DIR" --port-base $((PORT + 100)) --plugin "$PLUGIN" \
            --plugin-args "state_dir=$STATE" 2>/dev/null | tail -1)
chmod 755 "$W"
cat > "$W/suite.yaml" <<YAML
name: bench
run: "true"
env_preparation:
  run: echo prepared
env_cleanup:
  run: echo cleaned
YAML
# Inside an allocation: 3 warm-up steps, then N timed ones (microseconds).
cat > "$W/inner.sh" <<'SH'
#!/bin/bash
for i in 1 2 3; do srun -n1 true; done
for ((i = 0; i < $1; i++)); do
    t0=$(date +%s%N); srun -n1 true; t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 ))
done
SH
# The same, alternating each step with one whose srun sees neither the option
# nor the allocation's spec (so neither srun nor slurmstepd does suite work):
# the plugin's own per-step cost, measured in one allocation, step by step.
cat > "$W/inner-pair.sh" <<'SH'
#!/bin/bash
for i in 1 2 3; do srun -n1 true; done
for ((i = 0; i < $1; i++)); do
    t0=$(date +%s%N); srun -n1 true; t1=$(date +%s%N)
    env -u _SLURM_SPANK_OPTION_tasksuite_task_suite -u SLURM_SPANK_TASK_SUITE_SPEC srun -n1 true
    t2=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 )) $(( (t2 - t1) / 1000 ))
done
SH
chmod 755 "$W/inner.sh" "$W/inner-pair.sh"
chown -R "$USER_:" "$W"

# alloc CONF OUT SCRIPT [--task-suite=FILE]: one salloc running SCRIPT as the test user
alloc() {
    local conf=$1 out=$2 script=$3; shift 3
    (cd "$W" && runuser -u "$USER_" -- env "$conf" PATH=/usr/bin:/bin \
        salloc -N1 -n1 "$@" "$W/$script" "$PER" 2>/dev/null) >>"$out"
}
stats() {   # median q1 q3 (ms) of the microsecond numbers in FILE
    sort -n "$1" | awk '{a[NR]=$1} END {
        m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2
        printf "%.1f %.1f %.1f\n", m / 1000, a[int(NR/4)+1] / 1000, a[int(3*NR/4)] / 1000 }'
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < ROUNDS; r++)); do
    alloc "$bare_conf" "$W/bare.us" inner.sh
    alloc "$plug_conf" "$W/plain.us" inner.sh
    alloc "$plug_conf" "$W/pair.us" inner-pair.sh --task-suite="$W/suite.yaml"
done
awk '{print $1}' "$W/pair.us" >"$W/opt.us"
awk '{print $2}' "$W/pair.us" >"$W/ctl.us"
read -r bare bq1 bq3 < <(stats "$W/bare.us")
read -r plain pq1 pq3 < <(stats "$W/plain.us")
read -r opt oq1 oq3 < <(stats "$W/opt.us")
read -r ctl cq1 cq3 < <(stats "$W/ctl.us")
prepared=$(ls "$W"/tasksuite-*/n1.env_preparation.log 2>/dev/null | wc -l)

printf '%-56s %7s %13s %7s\n' "srun -n1 true in salloc ($(wc -l <"$W/bare.us") steps, $ROUNDS rounds)" \
    median "q1-q3 (ms)" ratio
printf '%-56s %7s %13s %7s\n' "no plugin (empty plugstack.conf)" "$bare" "$bq1-$bq3" 1.00
printf '%-56s %7s %13s %7.2f\n' "tasksuite.so, allocation without the option" "$plain" "$pq1-$pq3" \
    "$(awk -v a="$plain" -v b="$bare" 'BEGIN {print a / b}')"
printf '%-56s %7s %13s %7.2f\n' "tasksuite.so, --task-suite allocation, preparation done" "$opt" \
    "$oq1-$oq3" "$(awk -v a="$opt" -v b="$bare" 'BEGIN {print a / b}')"
printf '%-56s %7s %13s %7.2f\n' "  same allocations, every other step without suite work" "$ctl" \
    "$cq1-$cq3" "$(awk -v a="$ctl" -v b="$bare" 'BEGIN {print a / b}')"
awk -v a="$opt" -v b="$bare" -v q1="$oq1" -v q3="$oq3" -v b1="$bq1" -v b3="$bq3" 'BEGIN {
    printf "difference --task-suite minus bare: %+.1f ms (quartile ranges overlap: %s)\n",
           a - b, (q1 <= b3 && b1 <= q3) ? "yes" : "no" }'
awk -v a="$opt" -v c="$ctl" 'BEGIN {
    printf "the suite work itself (step by step, same allocation): %+.1f ms, %.2fx\n", a - c, a / c }'
[ "$prepared" -eq "$ROUNDS" ] || echo "warning: expected $ROUNDS preparation logs, found $prepared" >&2

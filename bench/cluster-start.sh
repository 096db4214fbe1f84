#!/usr/bin/env bash
# bench/cluster-start.sh - how long the private test cluster takes to start (until
# every node is idle) and to stop, for 1 and 3 nodes; median of RUNS runs, in ms.
#
# Usage: bench/cluster-start.sh [RUNS]        (root; default 5 runs)
# Uses its own directory and ports (TS_BENCH_DIR, TS_BENCH_PORT_BASE), so a test
# cluster in the default /tmp/tasksuite-cluster on 16817 is left alone.
set -euo pipefail

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    cat <<EOF
Usage: bench/cluster-start.sh [RUNS]        (root; default 5 runs)

Times tests/cluster/cluster.sh start (until every node is idle), a second
start of the running cluster (must be a no-op) and stop, for 1 and 3 nodes;
prints the median and min-max of RUNS runs in ms.
Environment: TS_BENCH_DIR (cluster directory, default
/tmp/tasksuite-cluster-bench), TS_BENCH_PORT_BASE (default 16917).
EOF
    exit 0
fi
RUNS=${1:-5}
CLUSTER=$(cd "$(dirname "$0")/.." && pwd)/tests/cluster/cluster.sh
DIR=${TS_BENCH_DIR:-/tmp/tasksuite-cluster-bench}
PORT_BASE=${TS_BENCH_PORT_BASE:-16917}

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [RUNS]" >&2; exit 2; }
[[ -x $CLUSTER ]] || { echo "$0: $CLUSTER not found" >&2; exit 1; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Run a cluster.sh command quietly and print its wall time in ms.
timed() {
    local t0 t1
    t0=$(now_ms)
    "$CLUSTER" "$@" --dir "$DIR" >/dev/null 2>"$DIR.bench-err" \
        || { echo "$0: cluster.sh $* failed:" >&2; cat "$DIR.bench-err" >&2; exit 1; }
    t1=$(now_ms)
    echo $(( t1 - t0 ))
}

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
minmax() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'; }

cleanup() { "$CLUSTER" stop --dir "$DIR" >/dev/null 2>&1 || true; rm -f "$DIR.bench-err"; }
trap cleanup EXIT

"$CLUSTER" stop --dir "$DIR" >/dev/null 2>&1   # start from a stopped cluster

declare -A start_med noop_med
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %8s %12s\n' "operation ($RUNS runs)" "median" "min-max"
for nodes in 1 3; do
    starts=() noops=() stops=()
    for (( r = 0; r < RUNS; r++ )); do
        starts+=("$(timed start --nodes "$nodes" --port-base "$PORT_BASE")")
        # Second start with the same config: must be a no-op.
        noops+=("$(timed start --nodes "$nodes" --port-base "$PORT_BASE")")
        stops+=("$(timed stop)")
    done
    printf '%-34s %6s ms %12s\n' "start, $nodes node(s), until idle" "$(median "${starts[@]}")" "$(minmax "${starts[@]}")"
    printf '%-34s %6s ms %12s\n' "start again (already running)" "$(median "${noops[@]}")" "$(minmax "${noops[@]}")"
    printf '%-34s %6s ms %12s\n' "stop, $nodes node(s)" "$(median "${stops[@]}")" "$(minmax "${stops[@]}")"
    start_med[$nodes]=$(median "${starts[@]}") noop_med[$nodes]=$(median "${noops[@]}")
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
printf '%-34s %9s\n' "ratio start 3 nodes / 1 node" "$(ratio "${start_med[3]}" "${start_med[1]}")"
printf '%-34s %9s\n' "ratio no-op start / cold, 1 node" "$(ratio "${noop_med[1]}" "${start_med[1]}")"

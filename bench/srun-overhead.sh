#!/usr/bin/env bash
# bench/srun-overhead.sh: what the plugin costs an ordinary srun.
#
# Starts two private clusters side by side (same machine, same settings): one
# with an empty plugstack.conf, one with tasksuite.so loaded. Times, in the
# same run, `srun -n1 true` on each, and `srun --task-suite=FILE -n1 true` on
# the plugin cluster, and prints medians and ratios against the bare cluster.
#   bench/srun-overhead.sh [RUNS]     (default 30; needs root, a built install
#                                      under $TS_PREFIX, default /tmp/tasksuite-test/prefix)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-30}
TS_PREFIX=${TS_PREFIX:-/tmp/tasksuite-test/prefix}
PLUGIN=$TS_PREFIX/lib/slurm/tasksuite.so
CL=$SRC/tests/cluster/cluster.sh
BASE_DIR=/tmp/ts-bench-bare PLUG_DIR=/tmp/ts-bench-plugin
[ -f "$PLUGIN" ] || { echo "no plugin at $PLUGIN (run tests/run-all or make install first)" >&2; exit 1; }

cleanup() { "$CL" stop --dir "$BASE_DIR" >/dev/null 2>&1 || true; "$CL" stop --dir "$PLUG_DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT

bare_conf=$("$CL" start --dir "$BASE_DIR" --port-base 17017 --plugin none 2>/dev/null | tail -1)
plug_conf=$("$CL" start --dir "$PLUG_DIR" --port-base 17117 --plugin "$PLUGIN" 2>/dev/null | tail -1)
suite=$(mktemp /tmp/ts-bench-XXXXXX.yaml)
printf 'name: bench\nrun: "true"\n' > "$suite"
chmod 644 "$suite"

# median_ms CONF CMD...: run CMD RUNS times (after 3 warm-ups), print the median in ms
median_ms() {
    local conf=$1; shift
    local i t0 t1 times=()
    for i in 1 2 3; do env "$conf" "$@" >/dev/null 2>&1; done
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s%N); env "$conf" "$@" >/dev/null 2>&1; t1=$(date +%s%N)
        times+=($(( (t1 - t0) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f\n", m / 1000}'
}

bare=$(median_ms "$bare_conf" srun -n1 true)
plug=$(median_ms "$plug_conf" srun -n1 true)
opt=$(median_ms "$plug_conf" srun -n1 --task-suite="$suite" true)
rm -f "$suite"

printf '%-46s %10s %8s\n' "srun -n1 true ($RUNS runs, median)" "ms" "ratio"
printf '%-46s %10s %8s\n' "no plugin (empty plugstack.conf)" "$bare" "1.00"
printf '%-46s %10s %8.2f\n' "tasksuite.so loaded, no option" "$plug" "$(awk -v a="$plug" -v b="$bare" 'BEGIN {print a / b}')"
printf '%-46s %10s %8.2f\n' "tasksuite.so loaded, --task-suite=FILE" "$opt" "$(awk -v a="$opt" -v b="$bare" 'BEGIN {print a / b}')"

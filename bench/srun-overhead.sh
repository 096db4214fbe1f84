#!/usr/bin/env bash
# bench/srun-overhead.sh: what the plugin costs an ordinary srun. See --help.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
RUNS=30
TS_PREFIX=${TS_PREFIX:-/tmp/tasksuite-test/prefix}
PORT_BASE=${TS_BENCH_PORT_BASE:-20017}
WORK=${TS_BENCH_WORK:-/tmp/ts-bench-srun}
DIAGNOSE=no
CONTAIN=no

usage() {
    cat <<EOF
Usage: bench/srun-overhead.sh [RUNS] [OPTIONS]

Starts two private 1-node clusters side by side (same machine, same
settings): one with an empty plugstack.conf, one with tasksuite.so loaded.
Times, interleaved in the same run (after 3 warm-ups each):
  srun -n1 true                          on the bare cluster
  srun -n1 true                          on the plugin cluster (no option)
  srun -n1 --task-suite=FILE true        on the plugin cluster
and prints median, quartiles and ratios against the bare cluster and
against the plugin cluster without the option. Runs as root.

Options:
  RUNS, --runs N     timed runs of each command (default $RUNS)
  --prefix DIR       install prefix holding lib/slurm/tasksuite.so
                     (default \$TS_PREFIX or /tmp/tasksuite-test/prefix)
  --port-base P      bare cluster on P, plugin cluster on P+100
                     (default \$TS_BENCH_PORT_BASE or 20017)
  --work DIR         cluster directories DIR/bare, DIR/plugin (default $WORK)
  --plugin PATH      the plugin to load (default PREFIX/lib/slurm/tasksuite.so;
                     e.g. tasksuite_epilog.so to measure its per-job price)
  --contain          both clusters with PrologFlags=Contain + proctrack/cgroup
                     (what tasksuite.so needs for env_cleanup)
  --diagnose         also time two stub SPANK plugins built on the spot, to
                     tell what costs: one defining only slurm_spank_init
                     (cluster on P+10), one that also defines empty
                     slurm_spank_job_prolog/job_epilog (cluster on P+110);
                     and srun -n1 true as a step inside an existing
                     allocation (salloc -n1) on the bare and plugin clusters
  -h, --help         this text
EOF
}

while (( $# )); do
    case $1 in
        --runs) RUNS=${2:?}; shift ;;
        --prefix) TS_PREFIX=${2:?}; shift ;;
        --port-base) PORT_BASE=${2:?}; shift ;;
        --work) WORK=${2:?}; shift ;;
        --diagnose) DIAGNOSE=yes ;;
        --contain) CONTAIN=yes ;;
        --plugin) PLUGIN=${2:?}; shift ;;
        -h|--help) usage; exit 0 ;;
        [0-9]*) RUNS=$1 ;;
        *) echo "srun-overhead.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "srun-overhead.sh: RUNS must be a positive integer" >&2; exit 2; }
PLUGIN=${PLUGIN:-$TS_PREFIX/lib/slurm/tasksuite.so}
CL=$SRC/tests/cluster/cluster.sh
BASE_DIR=$WORK/bare PLUG_DIR=$WORK/plugin
[ -f "$PLUGIN" ] || { echo "no plugin at $PLUGIN (run tests/run-all or make install first)" >&2; exit 1; }

cleanup() {
    local d
    for d in "$BASE_DIR" "$PLUG_DIR" "$WORK/stub-init" "$WORK/stub-prolog"; do
        "$CL" stop --dir "$d" >/dev/null 2>&1 || true
    done
    rm -f "${suite:-}"
}
trap cleanup EXIT

mkdir -p "$WORK"
start() {  # start DIR PORT PLUGIN -> SLURM_CONF=...
    "$CL" start --dir "$1" --port-base "$2" --plugin "$3" --contain "$CONTAIN" 2>"$1.err" | tail -1 \
        || { echo "srun-overhead.sh: cluster.sh start --dir $1 failed:" >&2; cat "$1.err" >&2; exit 1; }
}
bare_conf=$(start "$BASE_DIR" "$PORT_BASE" none)
plug_conf=$(start "$PLUG_DIR" $(( PORT_BASE + 100 )) "$PLUGIN")
if [[ $DIAGNOSE == yes ]]; then
    mkdir -p "$WORK/stubs"
    printf '%s\n' '#include <slurm/spank.h>' 'SPANK_PLUGIN(stubinit, 1);' \
        'int slurm_spank_init(spank_t sp, int ac, char **av) { (void)sp; (void)ac; (void)av; return 0; }' \
        > "$WORK/stubs/stub-init.c"
    printf '%s\n' '#include <slurm/spank.h>' 'SPANK_PLUGIN(stubprolog, 1);' \
        'int slurm_spank_init(spank_t sp, int ac, char **av) { (void)sp; (void)ac; (void)av; return 0; }' \
        'int slurm_spank_job_prolog(spank_t sp, int ac, char **av) { (void)sp; (void)ac; (void)av; return 0; }' \
        'int slurm_spank_job_epilog(spank_t sp, int ac, char **av) { (void)sp; (void)ac; (void)av; return 0; }' \
        > "$WORK/stubs/stub-prolog.c"
    for f in stub-init stub-prolog; do
        cc -O2 -Wall -Werror -shared -fPIC -o "$WORK/stubs/$f.so" "$WORK/stubs/$f.c"
    done
    chmod -R a+rX "$WORK/stubs"
    sinit_conf=$(start "$WORK/stub-init" $(( PORT_BASE + 10 )) "$WORK/stubs/stub-init.so")
    sprol_conf=$(start "$WORK/stub-prolog" $(( PORT_BASE + 110 )) "$WORK/stubs/stub-prolog.so")
fi
suite=$(mktemp /tmp/ts-bench-XXXXXX.yaml)
printf 'name: bench\nrun: "true"\n' > "$suite"
chmod 644 "$suite"

us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
once() {  # once FILE CONF CMD...: run CMD once, append its wall time (us) to FILE
    local f=$1 conf=$2 t0; shift 2
    t0=$(us); env "$conf" "$@" >/dev/null 2>&1 || { echo "srun-overhead.sh: failed: $*" >&2; exit 1; }
    echo $(( $(us) - t0 )) >> "$f"
}
# stats FILE -> "median q1 q3" in ms
stats() {
    sort -n "$1" | awk '{a[NR] = $1} END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f %.1f %.1f\n", m / 1000, a[int((NR + 3) / 4)] / 1000, a[int((3 * NR + 3) / 4)] / 1000}'
}

LOAD=$(cut -d" " -f1-3 /proc/loadavg)
T=$(mktemp -d)
for i in 1 2 3; do
    once "$T/warm" "$bare_conf" srun -n1 true
    once "$T/warm" "$plug_conf" srun -n1 true
    once "$T/warm" "$plug_conf" srun -n1 --task-suite="$suite" true
done
for (( i = 0; i < RUNS; i++ )); do   # interleaved: drift hits all three alike
    once "$T/bare" "$bare_conf" srun -n1 true
    once "$T/plug" "$plug_conf" srun -n1 true
    once "$T/opt" "$plug_conf" srun -n1 --task-suite="$suite" true
    if [[ $DIAGNOSE == yes ]]; then
        once "$T/sinit" "$sinit_conf" srun -n1 true
        once "$T/sprol" "$sprol_conf" srun -n1 true
    fi
done
read -r bare bq1 bq3 < <(stats "$T/bare")
read -r plug pq1 pq3 < <(stats "$T/plug")
read -r opt oq1 oq3 < <(stats "$T/opt")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "load average at start: $LOAD"
printf '%-46s %8s %13s %9s %12s\n' "srun -n1 true ($RUNS runs, interleaved)" "median" "q1-q3 (ms)" "vs bare" "vs no option"
printf '%-46s %8s %13s %9s %12s\n' "no plugin (empty plugstack.conf)" "$bare" "$bq1-$bq3" "1.00" ""
printf '%-46s %8s %13s %9s %12s\n' "$(basename "$PLUGIN") loaded, no option" "$plug" "$pq1-$pq3" "$(ratio "$plug" "$bare")" "1.00"
printf '%-46s %8s %13s %9s %12s\n' "$(basename "$PLUGIN") loaded, --task-suite=FILE" "$opt" "$oq1-$oq3" "$(ratio "$opt" "$bare")" "$(ratio "$opt" "$plug")"
printf '%s\n' "difference loaded-no-option minus bare: $(awk -v a="$plug" -v b="$bare" 'BEGIN {printf "%+.1f", a - b}') ms (quartile ranges overlap: $(awk -v a1="$bq1" -v a3="$bq3" -v b1="$pq1" -v b3="$pq3" 'BEGIN {print (b1 <= a3 && a1 <= b3) ? "yes" : "no"}'))"
if [[ $DIAGNOSE == yes ]]; then
    # Steps inside one allocation: the job prolog/epilog ran once already.
    # 4 allocations per cluster, alternating, RUNS/4 (at least 5) timed steps each.
    per=$(( RUNS / 4 > 5 ? RUNS / 4 : 5 ))
    steps='for i in 1 2 3; do srun -n1 true; done
for (( i = 0; i < '"$per"'; i++ )); do t0=${EPOCHREALTIME/./}; srun -n1 true >/dev/null 2>&1; echo $(( ${EPOCHREALTIME/./} - t0 )); done'
    for _ in 1 2 3 4; do
        env "$bare_conf" salloc -n1 bash -c "$steps" >> "$T/step-bare" 2>/dev/null
        env "$plug_conf" salloc -n1 bash -c "$steps" >> "$T/step-plug" 2>/dev/null
    done
    read -r sb sbq1 sbq3 < <(stats "$T/step-bare")
    read -r spl splq1 splq3 < <(stats "$T/step-plug")
    read -r si sq1 sq3 < <(stats "$T/sinit")
    read -r sp spq1 spq3 < <(stats "$T/sprol")
    echo "diagnosis: stub SPANK plugins (no libraries, empty functions)"
    printf '%-46s %8s %13s %9s\n' "stub: slurm_spank_init only" "$si" "$sq1-$sq3" "$(ratio "$si" "$bare")"
    printf '%-46s %8s %13s %9s\n' "stub: + empty job_prolog/job_epilog" "$sp" "$spq1-$spq3" "$(ratio "$sp" "$bare")"
    echo "diagnosis: srun -n1 true as a step inside salloc -n1 ($(( 4 * per )) steps each)"
    printf '%-46s %8s %13s %9s\n' "step, no plugin" "$sb" "$sbq1-$sbq3" "1.00"
    printf '%-46s %8s %13s %9s\n' "step, tasksuite.so loaded, no option" "$spl" "$splq1-$splq3" "$(ratio "$spl" "$sb")"
fi
rm -rf "$T"

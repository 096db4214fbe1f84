#!/usr/bin/env bash
# bench/pool.sh: many short tasks (issue 13's performance goal), in one run:
# N x `true` with 2 workers through
#   xargs -P2 -n1 true            the spawn floor (one fork+exec per task)
#   parallel -j2 true ::: ...     GNU parallel (skipped when not installed)
#   pool agent alone              tests/cli/pool-fixture lays out the run
#                                 directory; `tasksuite pool-agent` runs it
#                                 (claims, fates, events, logs: everything
#                                 the compute side writes)
#   pool mode, submitted          `tasksuite submit` of a suite with
#                                 worker_schedule on a real cluster, timed
#                                 from submit to its return (followed to the
#                                 end: journal ingest included)
#   array mode, submitted         the same suite without worker_schedule,
#                                 a smaller N (Slurm starts ~2 jobs/s here):
#                                 reported per task
# then the agent alone over a scaling curve (time per task). See --help.
# doc/PERFORMANCE.md, "Pool mode", has the numbers and where the time goes.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
TASKS=5000
ARRAY_TASKS=100
SCALE="1000 10000 100000"
SCALE_LIMIT=300
PREFIX=${TS_PREFIX:-/tmp/tasksuite-test/prefix}
BUILD=${TS_BUILD_DIR:-$SRC/build}
CLUSTER=${TS_CLUSTER_DIR:-}
WORK=${TS_BENCH_WORK:-/var/tmp/ts-bench-pool}
USER_NAME=tsuser

usage() {
    cat <<EOF
Usage: bench/pool.sh [OPTIONS]

Times N x \`true\` on 2 workers: xargs -P2, GNU parallel -j2, the pool agent
alone (on a prepared run directory), pool mode submitted on a cluster, and
array mode (smaller N); prints tasks/s and the ratios, then the agent's time
per task for each size of --scale. Rows whose tool is missing are skipped
with the reason (GNU parallel: \`apt-get install parallel\`; the cluster
rows: --cluster-dir). Run as root (the cluster rows run as $USER_NAME).

Options:
  --tasks N          tasks for xargs, parallel, the agent, pool submit
                     (default $TASKS)
  --array-tasks N    tasks for array mode (default $ARRAY_TASKS; 0: skip)
  --scale "A B ..."  agent-alone sizes for the curve (default "$SCALE")
  --scale-limit S    skip the curve's next size when the last one took more
                     than S seconds scaled up (default $SCALE_LIMIT)
  --prefix DIR       installed tasksuite (default \$TS_PREFIX or
                     /tmp/tasksuite-test/prefix)
  --build DIR        build dir holding tests/cli/pool-fixture (make check;
                     default \$TS_BUILD_DIR or SRC/build)
  --cluster-dir DIR  a running cluster (tests/cluster/cluster.sh start ...
                     --plugin PREFIX/lib/slurm/tasksuite.so); without it the
                     submitted rows are skipped
  --work DIR         scratch directory (default $WORK)
  -h, --help         this text
EOF
}

while [ $# -gt 0 ]; do
    case $1 in
    --tasks) TASKS=$2; shift 2 ;;
    --array-tasks) ARRAY_TASKS=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --scale-limit) SCALE_LIMIT=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --cluster-dir) CLUSTER=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "pool.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

TS=$PREFIX/bin/tasksuite
FIX=$BUILD/tests/cli/pool-fixture
[ -x "$TS" ] || { echo "pool.sh: $TS missing: give --prefix" >&2; exit 2; }
[ -x "$FIX" ] || { echo "pool.sh: $FIX missing: run make check in the build dir, give --build" >&2; exit 2; }
rm -rf "$WORK" && mkdir -p "$WORK" && chmod 1777 "$WORK" || exit 2
trap '[ -f "$WORK/.remove-at-exit" ] && xargs rm -rf <"$WORK/.remove-at-exit"' EXIT

now() { date +%s.%N; }
# secs START: seconds since START
secs() { echo "$(now) - $1" | bc -l; }
declare -A T        # row -> seconds
declare -A NT       # row -> tasks

row() {   # row NAME TASKS SECONDS
    T[$1]=$3; NT[$1]=$2
    printf '%-34s %7d tasks %9.2f s %9.1f tasks/s %8.3f ms/task\n' "$1" "$2" "$3" \
        "$(echo "$2 / $3" | bc -l)" "$(echo "$3 * 1000 / $2" | bc -l)"
}
skip() { printf '%-34s skipped: %s\n' "$1" "$2"; }

# suite FILE N [pool]: N x true, with worker_schedule when pool
suite() {
    {
        echo "name: bench"
        echo 'run: "true"'
        echo "matrix:"
        if [ "$2" -ge 1000 ] && [ $(($2 % 100)) = 0 ]; then
            # two axes: a YAML file holds at most 100,000 nodes
            echo "  n: [$(seq -s, 1 $(($2 / 100)))]"
            echo "  m: [$(seq -s, 1 100)]"
        else
            echo "  n: [$(seq -s, 1 "$2")]"
        fi
        if [ "${3:-}" = pool ]; then
            echo "resources: {cpus: 2}"
            echo "worker_schedule:"
            echo "  worker_count: 2"
            echo "  allocations: 1"
        fi
    } >"$1"
}

# agent_alone N: seconds for the agent to run N tasks (fixture not counted)
agent_alone() {
    local d=$WORK/agent-$1
    rm -rf "$d" && mkdir -p "$d"
    suite "$d/s.yaml" "$1" pool
    "$FIX" make "$d/s.yaml" "$d/run" "$d" >/dev/null || return 1
    local t0; t0=$(now)
    (cd "$d" && env SLURM_CONF=/nonexistent SLURM_JOB_ID=4242 SLURMD_NODENAME=n1 \
        taskset -c 0,1 "$TS" pool-agent "$d/run" 2>"$d/agent.err") || return 1
    local total; total=$(secs "$t0")
    # until the last record: without the agent's exit (two empty looks of
    # the queue a second apart, doc/pool.md "When it exits")
    local last; last=$(find "$d/run/events" -name '*.ev' -printf '%T@\n' | sort -n | tail -1)
    echo "$total $(echo "$last - $t0" | bc -l)"
    local ran; ran=$(find "$d/run/events" -mindepth 1 -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l)
    [ "$ran" = "$1" ] || echo "pool.sh: agent alone: $ran of $1 tasks have events" >&2
    # Removed at the end, not now: ext4 makes every new inode skip the ones
    # freed in the last seconds (find_inode_bit, recently_deleted), so the
    # next row would pay for this one's removal (seen: 2x per task).
    echo "$d" >>"$WORK/.remove-at-exit"
}

echo "# $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "# work dir $WORK ($(stat -f -c %T "$WORK"))"

t0=$(now); seq "$TASKS" | xargs -P2 -n1 true; row "xargs -P2 -n1 true" "$TASKS" "$(secs "$t0")"

if parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
    seq "$TASKS" >"$WORK/args"
    t0=$(now); parallel -j2 true :::: "$WORK/args" >/dev/null
    row "parallel -j2 true" "$TASKS" "$(secs "$t0")"
else
    skip "parallel -j2 true" "GNU parallel not installed (apt-get install parallel)"
fi

if s=$(agent_alone "$TASKS"); then
    row "pool agent alone" "$TASKS" "${s% *}"
    row "pool agent alone, to last record" "$TASKS" "${s#* }"
else
    skip "pool agent alone" "the agent failed (see $WORK)"
fi

if [ -n "$CLUSTER" ] && [ -f "$CLUSTER/etc/slurm.conf" ]; then
    export SLURM_CONF=$CLUSTER/etc/slurm.conf
    as_user() {
        local dir=$1; shift
        (cd "$dir" && runuser -u "$USER_NAME" -- env HOME="/home/$USER_NAME" \
            TASKSUITE_HOME="$dir/.tshome" SLURM_CONF="$SLURM_CONF" \
            PATH="$PREFIX/bin:/usr/bin:/bin" "$@")
    }
    # submitted NAME DIR N [pool]: submit and follow to the end
    submitted() {
        local name=$1 d=$WORK/$2; shift 2
        mkdir -p "$d" && chown "$USER_NAME" "$d"
        suite "$d/s.yaml" "$1" "${2:-}"
        local t0; t0=$(now)
        as_user "$d" "$TS" submit s.yaml >"$d/submit.out" 2>&1 || {
            skip "$name" "submit failed: $(tail -1 "$d/submit.out")"; return; }
        local s; s=$(secs "$t0")
        row "$name" "$1" "$s"
    }
    submitted "pool mode, submitted" pool-sub "$TASKS" pool
    if [ "$ARRAY_TASKS" -gt 0 ]; then
        submitted "array mode, submitted (small N)" array-sub "$ARRAY_TASKS"
    fi
else
    skip "pool mode, submitted" "no cluster (--cluster-dir)"
    skip "array mode, submitted" "no cluster (--cluster-dir)"
fi

ratio() {   # ratio A B: tasks/s of A over tasks/s of B
    [ -n "${T[$1]:-}" ] && [ -n "${T[${2}]:-}" ] || { echo "-"; return; }
    printf '%.2f' "$(echo "(${NT[$1]} / ${T[$1]}) / (${NT[$2]} / ${T[$2]})" | bc -l)"
}
echo
echo "# ratios of tasks/s (goal: pool >= 1500 tasks/s, >= 4x parallel, >= 1/1.3 = 0.77x xargs)"
for p in "pool agent alone" "pool agent alone, to last record" "pool mode, submitted"; do
    printf '%-34s vs parallel %5sx   vs xargs %5sx   vs array mode %5sx\n' "$p" \
        "$(ratio "$p" "parallel -j2 true")" "$(ratio "$p" "xargs -P2 -n1 true")" \
        "$(ratio "$p" "array mode, submitted (small N)")"
done

echo
echo "# the agent alone, time per task by size (must stay flat)"
last=0; lastn=1
for n in $SCALE; do
    est=$(echo "$last * $n / $lastn" | bc -l)
    if [ "$(echo "$est > $SCALE_LIMIT" | bc)" = 1 ]; then
        skip "pool agent alone" "$n tasks: would take ~$(printf '%.0f' "$est") s (> --scale-limit $SCALE_LIMIT)"
        continue
    fi
    s=$(agent_alone "$n") || { skip "pool agent alone" "$n tasks: the agent failed"; continue; }
    row "pool agent alone" "$n" "${s% *}"
    row "pool agent alone, to last record" "$n" "${s#* }"
    last=${s% *}; lastn=$n
done

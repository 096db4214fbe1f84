#!/usr/bin/env bash
# bench/submit-10k.sh: what submitting a 10,000-task suite costs, against the
# plain Slurm ways of queueing the same number of jobs, measured in one run.
#
# Everything is submitted HELD (the suite has `slurm: {begin: now+1hour}`,
# sbatch gets --hold) and cancelled after each measurement, so nothing runs.
# See --help. Needs root (it starts private clusters with tests/cluster/cluster.sh)
# and an installed tasksuite (--prefix).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
CL=$SRC/tests/cluster/cluster.sh
RUNS=3
TASKS=10000
LOOP=500
PREFIX=${TS_PREFIX:-/tmp/tasksuite-test/prefix}
PORT_BASE=${TS_BENCH_PORT_BASE:-20017}
CHUNK_PORT_BASE=
CHUNKED=yes
WORK=${TS_BENCH_WORK:-/tmp/ts-bench-submit}
USER_NAME=tsuser
KEEP=no
BASELINE=

usage() {
    cat <<EOF
Usage: bench/submit-10k.sh [OPTIONS]

Times, as user $USER_NAME on a private 2-node Slurm cluster (plugin loaded):
  tasksuite validate FILE              parse + expand + print (no journal, no Slurm)
  tasksuite submit --dry-run FILE      + the option mapping and one config RPC
  tasksuite submit --detach FILE       the real thing: journal, manifest, arrays
  sbatch --array=0-(N-1) --hold        ONE bare array of the same size
  sbatch --hold --wrap true            in a loop of --loop jobs, scaled to N
on a cluster with MaxArraySize=N+1 (one array), and again on one with the
default MaxArraySize=1001 (the suite is split into chunks of 1001; the bare
comparison there is the same number of sbatch --array calls). The submit runs
under bench/calltimer.so (LD_PRELOAD) to split its time into libslurm calls,
fsync/fdatasync and the rest (parse, expansion, journal, manifest).
Prints medians of --runs runs, the raw runs, and ratios.

Options:
  --runs N               runs of each measurement (default $RUNS)
  --tasks N              tasks in the suite (default $TASKS)
  --loop N               sbatch calls in the measured loop (default $LOOP)
  --prefix DIR           tasksuite install prefix (default \$TS_PREFIX or
                         /tmp/tasksuite-test/prefix)
  --port-base P          port base of the one-array cluster (default
                         \$TS_BENCH_PORT_BASE or 20017)
  --chunk-port-base P    port base of the MaxArraySize=1001 cluster
                         (default port base + 100)
  --no-chunked           skip the MaxArraySize=1001 cluster
  --work DIR             scratch directory (default $WORK); cluster dirs
                         are DIR/cl-one and DIR/cl-chunked
  --baseline DIR         also time the submit of another tasksuite install
                         (e.g. the previous commit's), interleaved with this
                         one in every run: before/after in the same run
  --keep                 leave the clusters running
  -h, --help             this text
EOF
}

while (( $# )); do
    case $1 in
        --runs) RUNS=${2:?}; shift ;;
        --tasks) TASKS=${2:?}; shift ;;
        --loop) LOOP=${2:?}; shift ;;
        --prefix) PREFIX=${2:?}; shift ;;
        --port-base) PORT_BASE=${2:?}; shift ;;
        --chunk-port-base) CHUNK_PORT_BASE=${2:?}; shift ;;
        --no-chunked) CHUNKED=no ;;
        --work) WORK=${2:?}; shift ;;
        --keep) KEEP=yes ;;
        --baseline) BASELINE=${2:?}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "submit-10k.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
CHUNK_PORT_BASE=${CHUNK_PORT_BASE:-$(( PORT_BASE + 100 ))}
for v in RUNS TASKS LOOP; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "submit-10k.sh: --${v,,} must be a positive integer" >&2; exit 2; }
done
TS=$PREFIX/bin/tasksuite
PLUGIN=$PREFIX/lib/slurm/tasksuite.so
[[ $(id -u) == 0 ]] || { echo "submit-10k.sh: run as root (starts private clusters)" >&2; exit 1; }
[[ -x $TS && -f $PLUGIN ]] || { echo "submit-10k.sh: no tasksuite install under $PREFIX (make install)" >&2; exit 1; }
TS_BASE=${BASELINE:+$BASELINE/bin/tasksuite}
[[ -z $BASELINE || -x $TS_BASE ]] || { echo "submit-10k.sh: no tasksuite under $BASELINE" >&2; exit 1; }

CL_ONE=$WORK/cl-one CL_CHUNK=$WORK/cl-chunked
cleanup() {
    [[ $KEEP == yes ]] && return
    "$CL" stop --dir "$CL_ONE" >/dev/null 2>&1 || true
    "$CL" stop --dir "$CL_CHUNK" >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$WORK/homes" "$WORK/calls" "$WORK/suite.yaml" "$WORK/inner.sh"
mkdir -p "$WORK/homes" "$WORK/calls"
chmod 755 "$WORK"; chmod 1777 "$WORK/homes"; chmod 777 "$WORK/calls"
cc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$WORK/calltimer.so" "$SRC/bench/calltimer.c" -ldl
chmod 755 "$WORK/calltimer.so"

# The suite: an A x B matrix (100 x N/100 when N is a multiple of 100), held
# for an hour so nothing starts.
if (( TASKS % 100 == 0 && TASKS >= 100 )); then A=100 B=$(( TASKS / 100 )); else A=$TASKS B=1; fi
{
    echo "name: bench-submit"
    echo "slurm: {begin: now+1hour}"
    echo "run: echo %(a) %(b)"
    echo "matrix:"
    echo "  a: [$(seq -s, 0 $(( A - 1 )))]"
    echo "  b: [$(seq -s, 0 $(( B - 1 )))]"
} > "$WORK/suite.yaml"
chmod 644 "$WORK/suite.yaml"

# Every cancelled element stays a job record for MinJobAge (300 s) and counts
# against MaxJobCount (default 10000: a 10,000-element array alone is refused).
MAXJOBS=$(( (RUNS + 1) * (5 * TASKS + LOOP) + 10000 ))
start_cluster() {  # DIR PORT MAXARRAY -> prints SLURM_CONF=...
    "$CL" start --dir "$1" --port-base "$2" --nodes 2 --plugin "$PLUGIN" \
        --max-array-size "$3" --max-job-count "$MAXJOBS" 2>"$1.err" | tail -1 \
        || { cat "$1.err" >&2; exit 1; }
}

# The measuring side runs as the user, in one shell per cluster, and times with
# $EPOCHREALTIME (no fork), so runuser/PAM is outside every measurement.
cat > "$WORK/inner.sh" <<'EOF'
# inner.sh MODE RUNS TASKS LOOP MAXARRAY WORK TS [BASELINE_TS]   (run as the test user)
set -u
mode=$1 runs=$2 tasks=$3 loop=$4 maxarray=$5 work=$6 ts=$7 base=${8:-}
suite=$work/suite.yaml
cd "$work/homes"
us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
settle() {  # cancel everything of ours and wait until the queue is empty
    scancel -u "$(id -un)" 2>/dev/null
    while [ -n "$(squeue -h -u "$(id -un)" -o %i 2>/dev/null)" ]; do sleep 0.2; done
    sleep 1
}
timed() {  # NAME RUN CMD... : one line "NAME RUN microseconds"
    local name=$1 run=$2 t0 t1; shift 2
    t0=$(us); "$@" >/dev/null 2>"$work/homes/last.err" || { echo "FAILED $name: $*" >&2; cat "$work/homes/last.err" >&2; exit 1; }
    t1=$(us); echo "$name $run $(( t1 - t0 ))"
}
sbatch_loop() { local i; for (( i = 0; i < loop; i++ )); do sbatch --hold --wrap true || return 1; done; }
sbatch_chunks() {
    local off n
    for (( off = 0; off < tasks; off += maxarray )); do
        n=$(( tasks - off < maxarray ? tasks - off : maxarray ))
        sbatch --array=0-$(( n - 1 )) --hold --wrap true || return 1
    done
}
settle
for (( r = 1; r <= runs; r++ )); do
    home=$work/homes/$mode-$r
    mkdir -p "$home"
    TASKSUITE_HOME=$home "$ts" list >/dev/null 2>&1   # an existing, empty journal
    if [ "$mode" = one ]; then
        timed validate "$r" "$ts" validate "$suite"
        timed dryrun "$r" env TASKSUITE_HOME="$home" "$ts" submit --dry-run "$suite"
    fi
    # The baseline first in odd runs, second in even ones: drift hits both.
    if [ -n "$base" ] && [ $((r % 2)) = 1 ]; then
        mkdir -p "$home-base"
        TASKSUITE_HOME=$home-base "$base" list >/dev/null 2>&1
        timed submit_base "$r" env TASKSUITE_HOME="$home-base" LD_PRELOAD="$work/calltimer.so" \
            TS_CALLTIMER_OUT="$work/calls/base-$mode-$r" "$base" submit --detach "$suite"
        settle
    fi
    timed submit "$r" env TASKSUITE_HOME="$home" LD_PRELOAD="$work/calltimer.so" \
        TS_CALLTIMER_OUT="$work/calls/$mode-$r" "$ts" submit --detach "$suite"
    settle
    if [ -n "$base" ] && [ $((r % 2)) = 0 ]; then
        mkdir -p "$home-base"
        TASKSUITE_HOME=$home-base "$base" list >/dev/null 2>&1
        timed submit_base "$r" env TASKSUITE_HOME="$home-base" LD_PRELOAD="$work/calltimer.so" \
            TS_CALLTIMER_OUT="$work/calls/base-$mode-$r" "$base" submit --detach "$suite"
        settle
    fi
    if [ "$mode" = one ]; then
        timed bare_hold "$r" sbatch --array=0-$(( tasks - 1 )) --hold --wrap true
        settle
        timed bare_begin "$r" sbatch --array=0-$(( tasks - 1 )) --begin=now+1hour --wrap true
        settle
        timed loop "$r" sbatch_loop
        settle
    else
        timed bare_chunks "$r" sbatch_chunks
        settle
    fi
done
EOF
chmod 644 "$WORK/inner.sh"

# measure DIR PORT MAXARRAY MODE: raw lines "NAME RUN us" and "calls RUN fn n ms"
measure() {
    local conf
    conf=$(start_cluster "$1" "$2" "$3")
    runuser -u "$USER_NAME" -- env "$conf" bash "$WORK/inner.sh" "$4" "$RUNS" "$TASKS" \
        "$LOOP" "$3" "$WORK" "$TS" "$TS_BASE" > "$WORK/raw-$4"
    for (( r = 1; r <= RUNS; r++ )); do
        awk -v r="$r" '{print "call", r, $2, $3, $4}' "$WORK/calls/$4-$r" >> "$WORK/raw-$4"
        [[ -z $TS_BASE ]] || awk -v r="$r" '{print "basecall", r, $2, $3, $4}' \
            "$WORK/calls/base-$4-$r" >> "$WORK/raw-$4"
    done
}

# Reports ------------------------------------------------------------------
med() {  # med FILE NAME -> median in ms (1 decimal)
    awk -v n="$2" '$1 == n {print $3 / 1000}' "$1" | sort -g \
        | awk '{a[NR] = $1} END {if (!NR) exit 1; m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m}'
}
raw() {  # raw FILE NAME -> "r1 r2 r3" in ms
    awk -v n="$2" '$1 == n {printf "%s%.1f", sep, $3 / 1000; sep = " "} END {print ""}' "$1"
}
callsum() {  # callsum FILE PATTERN [TAG] -> median over runs of the summed ms (and the call count)
    awk -v p="$2" -v t="${3:-call}" '$1 == t && $3 ~ p {ms[$2] += $5; n[$2] += $4} END {for (r in ms) print ms[r], n[r]}' "$1" \
        | sort -g | awk '{a[NR] = $1; c[NR] = $2} END {if (!NR) {print "0.0 0"; exit} m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f %d\n", m, c[1]}'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b > 0 ? "%.1f" : "-"), a / b}'; }
row() { printf '  %-60s %10s  %s\n' "$1" "$2" "$3"; }

NARR=$(( (TASKS + 1000) / 1001 ))
echo "submit-10k: a $TASKS-task suite ($A x $B matrix, held with begin=now+1hour), user $USER_NAME,"
echo "2-node private cluster with tasksuite.so loaded; median of $RUNS runs, ms (raw runs in brackets)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

measure "$CL_ONE" "$PORT_BASE" $(( TASKS + 1 )) one
F=$WORK/raw-one
sub=$(med "$F" submit) val=$(med "$F" validate) dry=$(med "$F" dryrun)
bh=$(med "$F" bare_hold) bb=$(med "$F" bare_begin) lp=$(med "$F" loop)
read -r slurm nslurm < <(callsum "$F" '^slurm_')
read -r rpcsub _ < <(callsum "$F" '^slurm_submit_batch_job$')
read -r sync nsync < <(callsum "$F" 'sync$')
read -r cpu _ < <(callsum "$F" '^cpu$')
scaled=$(awk -v l="$lp" -v t="$TASKS" -v n="$LOOP" 'BEGIN {printf "%.0f", l * t / n}')
echo
echo "A. MaxArraySize=$(( TASKS + 1 )): the suite is one array"
row "tasksuite submit --detach FILE" "$sub" "[$(raw "$F" submit)]"
row "  in libslurm calls ($nslurm: init, config RPCs, array + reconcile-job submits)" "$slurm" ""
row "  in fsync/fdatasync ($nsync calls)" "$sync" ""
row "  the rest: parse, expand, journal, manifest (CPU)" "$(awk -v a="$sub" -v b="$slurm" -v c="$sync" 'BEGIN {printf "%.1f", a - b - c}')" ""
row "  CPU time of the submit process (user+sys, getrusage)" "$cpu" ""
if [[ -n $TS_BASE ]]; then
    bsub=$(med "$F" submit_base)
    read -r bcpu _ < <(callsum "$F" '^cpu$' basecall)
    row "baseline: $TS_BASE submit --detach" "$bsub" "[$(raw "$F" submit_base)]"
    row "  its CPU time (user+sys)" "$bcpu" ""
fi
row "tasksuite validate FILE (parse, expand, print $TASKS tasks)" "$val" "[$(raw "$F" validate)]"
row "tasksuite submit --dry-run FILE (parse, expand, 1 config RPC)" "$dry" "[$(raw "$F" dryrun)]"
row "sbatch --array=0-$(( TASKS - 1 )) --hold --wrap true" "$bh" "[$(raw "$F" bare_hold)]"
row "sbatch --array=0-$(( TASKS - 1 )) --begin=now+1hour --wrap true" "$bb" "[$(raw "$F" bare_begin)]"
row "sbatch --hold --wrap true, loop of $LOOP (measured)" "$lp" "[$(raw "$F" loop)]"
row "  scaled x$(awk -v t="$TASKS" -v n="$LOOP" 'BEGIN {print t / n}') to $TASKS jobs (estimate, not measured)" "$scaled" ""
echo
echo "  ratios"
row "sbatch loop ($TASKS, scaled) / tasksuite submit" "$(div "$scaled" "$sub")x" "(target >= 500x)"
row "tasksuite submit / bare sbatch --array --hold" "$(div "$sub" "$bh")x" "(target <= 10x)"
row "tasksuite submit / bare sbatch --array --begin" "$(div "$sub" "$bb")x" ""
if [[ -n $TS_BASE ]]; then
    row "baseline submit / bare sbatch --array --hold" "$(div "$bsub" "$bh")x" "(before)"
    row "sbatch loop ($TASKS, scaled) / baseline submit" "$(div "$scaled" "$bsub")x" "(before)"
    row "baseline submit / tasksuite submit" "$(div "$bsub" "$sub")x" "(speed-up, same run)"
fi
echo
echo "  journal + manifest share of the submit, three estimates (ms)"
row "submit - bare sbatch --array --hold - validate" "$(awk -v a="$sub" -v b="$bh" -v c="$val" 'BEGIN {printf "%.1f", a - b - c}')" ""
row "submit - libslurm calls - validate" "$(awk -v a="$sub" -v b="$slurm" -v c="$val" 'BEGIN {printf "%.1f", a - b - c}')" "(incl. fsync)"
row "submit - dry-run - submit RPC ($rpcsub)" "$(awk -v a="$sub" -v b="$dry" -v c="$rpcsub" 'BEGIN {printf "%.1f", a - b - c}')" "(incl. fsync; dry-run = all but journal, manifest, submit RPC)"

if [[ $CHUNKED == yes ]]; then
    measure "$CL_CHUNK" "$CHUNK_PORT_BASE" 1001 chunked
    F=$WORK/raw-chunked
    csub=$(med "$F" submit) cbare=$(med "$F" bare_chunks)
    read -r cslurm ncslurm < <(callsum "$F" '^slurm_')
    read -r csync ncsync < <(callsum "$F" 'sync$')
    read -r ccpu _ < <(callsum "$F" '^cpu$')
    echo
    echo "B. MaxArraySize=1001 (Slurm's default): the suite is $NARR arrays of <= 1001"
    row "tasksuite submit --detach FILE" "$csub" "[$(raw "$F" submit)]"
    row "  in libslurm calls ($ncslurm)" "$cslurm" ""
    row "  in fsync/fdatasync ($ncsync calls)" "$csync" ""
    row "  CPU time of the submit process (user+sys, getrusage)" "$ccpu" ""
    row "$NARR x sbatch --array=0-1000 --hold --wrap true" "$cbare" "[$(raw "$F" bare_chunks)]"
    if [[ -n $TS_BASE ]]; then
        cbsub=$(med "$F" submit_base)
        row "baseline: $TS_BASE submit --detach" "$cbsub" "[$(raw "$F" submit_base)]"
    fi
    echo
    echo "  ratios"
    row "sbatch loop ($TASKS, scaled from A) / tasksuite submit" "$(div "$scaled" "$csub")x" "(target >= 500x)"
    row "tasksuite submit / $NARR bare sbatch --array calls" "$(div "$csub" "$cbare")x" "(target <= 10x)"
    row "tasksuite submit / ONE bare array (from A)" "$(div "$csub" "$bh")x" ""
    [[ -z $TS_BASE ]] || row "baseline submit / tasksuite submit" "$(div "$cbsub" "$csub")x" "(speed-up, same run)"
fi

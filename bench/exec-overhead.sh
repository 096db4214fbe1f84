#!/usr/bin/env bash
# bench/exec-overhead.sh: what `tasksuite exec` (the array element entrypoint)
# adds to every task, measured without Slurm. See --help.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
RUNS=200
PREFIX=${TS_PREFIX:-/tmp/tasksuite-test/prefix}
DISK_DIR=${TS_BENCH_WORK:-/tmp/ts-bench-exec}
TMPFS_DIR=/dev/shm/ts-bench-exec
TMPFS=yes
LINES="10000 100000"

usage() {
    cat <<EOF
Usage: bench/exec-overhead.sh [OPTIONS]

Makes a 1-task suite (run: "true") with \`tasksuite submit --local\` in a
scratch TASKSUITE_HOME, then times N runs each, interleaved, of
  /bin/true
  sh -c true                     (exec runs the task through /bin/sh -c)
  tasksuite exec                 (no arguments: process start-up + usage only)
  tasksuite exec --dir SUITEDIR --manifest SUITEDIR/manifests/sub-1.jsonl --position 0
and reports medians, means and the per-task time exec adds. exec writes two
fsync'd event records (started, exited) per run: their share is measured by
running the same on a disk directory and on tmpfs (where fsync is free), and
by timing fsync/fdatasync inside exec with bench/calltimer.so (separate runs,
so the preload does not slow the timed ones). The task's event directory is
emptied between runs (outside the timing), so every run sees what the first
attempt of a real task sees. Then, on disk only, exec of the LAST line of
manifests of --manifest-lines lines (copies of the suite's one line): exec
finds its task by reading the manifest up to line K, so element K of a big
submission pays for the lines before it. No Slurm: SLURM_JOB_ID is unset, so exec does
not ask slurmctld for the job's end time (inside a job it does, once).

Options:
  --runs N          runs of each command (default $RUNS)
  --prefix DIR      tasksuite install prefix (default \$TS_PREFIX or
                    /tmp/tasksuite-test/prefix)
  --disk-dir DIR    scratch directory on disk (default $DISK_DIR)
  --tmpfs-dir DIR   scratch directory on tmpfs (default $TMPFS_DIR)
  --no-tmpfs        disk only
  --manifest-lines "L1 L2 ..."  manifest sizes for the position test
                    (default "$LINES"; "" to skip)
  -h, --help        this text
EOF
}

while (( $# )); do
    case $1 in
        --runs) RUNS=${2:?}; shift ;;
        --prefix) PREFIX=${2:?}; shift ;;
        --disk-dir) DISK_DIR=${2:?}; shift ;;
        --tmpfs-dir) TMPFS_DIR=${2:?}; shift ;;
        --no-tmpfs) TMPFS=no ;;
        --manifest-lines) LINES=${2?}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "exec-overhead.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "exec-overhead.sh: --runs must be a positive integer" >&2; exit 2; }
TS=$PREFIX/bin/tasksuite
[[ -x $TS ]] || { echo "exec-overhead.sh: no $TS (make install)" >&2; exit 1; }
unset SLURM_JOB_ID SLURM_ARRAY_TASK_ID SLURM_RESTART_COUNT SLURM_CONF

us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }

# stats FILE -> "median mean" in ms (3 decimals)
stats() {
    sort -n "$1" | awk '{a[NR] = $1; s += $1} END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f %.3f\n", m / 1000, s / NR / 1000}'
}

# bench_fs DIR LABEL: set up a suite under DIR and print the table for it
bench_fs() {
    local base=$1 label=$2 home suite sdir man i t0 id fs
    rm -rf "$base"; mkdir -p "$base"
    home=$base/home suite=$base/suite.yaml
    printf 'name: exec-bench\nrun: "true"\n' > "$suite"
    id=$(cd "$base" && TASKSUITE_HOME=$home "$TS" submit --local "$suite" 2>/dev/null)
    sdir=$home/suites/$id man=$sdir/manifests/sub-1.jsonl
    [[ -f $man ]] || { echo "exec-overhead.sh: no manifest $man after submit --local" >&2; exit 1; }
    fs=$(df -T "$base" | awk 'NR == 2 {print $2}')
    : > "$base/true" ; : > "$base/sh" ; : > "$base/exec" ; : > "$base/start"
    for (( i = 0; i < 10; i++ )); do   # warm-up
        /bin/true; sh -c true; "$TS" exec --dir "$sdir" --manifest "$man" --position 0
    done
    for (( i = 0; i < RUNS; i++ )); do
        rm -rf "$sdir/events/0"
        t0=$(us); /bin/true; echo $(( $(us) - t0 )) >> "$base/true"
        t0=$(us); sh -c true; echo $(( $(us) - t0 )) >> "$base/sh"
        t0=$(us); "$TS" exec --dir "$sdir" --manifest "$man" --position 0 \
            || { echo "exec-overhead.sh: tasksuite exec failed" >&2; exit 1; }
        echo $(( $(us) - t0 )) >> "$base/exec"
        t0=$(us); "$TS" exec 2>/dev/null || true; echo $(( $(us) - t0 )) >> "$base/start"
    done
    # The fsync share, from inside exec (separate, preloaded runs).
    cc -O2 -shared -fPIC -o "$base/calltimer.so" "$SRC/bench/calltimer.c" -ldl
    rm -f "$base/calls"
    for (( i = 0; i < RUNS; i++ )); do
        rm -rf "$sdir/events/0"
        LD_PRELOAD=$base/calltimer.so TS_CALLTIMER_OUT=$base/calls \
            "$TS" exec --dir "$sdir" --manifest "$man" --position 0
    done
    read -r t_med t_mean < <(stats "$base/true")
    read -r s_med s_mean < <(stats "$base/sh")
    read -r e_med e_mean < <(stats "$base/exec")
    read -r u_med u_mean < <(stats "$base/start")
    read -r f_calls f_ms < <(awk '$2 ~ /sync$/ {n += $3; ms += $4} END {printf "%d %.3f\n", n, ms}' "$base/calls")
    echo
    echo "$label: $base ($fs), $RUNS runs each, interleaved; ms per task"
    printf '  %-58s %8s %8s %9s\n' "command" "median" "mean" "exec adds"
    printf '  %-58s %8s %8s %9s\n' "/bin/true" "$t_med" "$t_mean" ""
    printf '  %-58s %8s %8s %9s\n' "sh -c true" "$s_med" "$s_mean" ""
    printf '  %-58s %8s %8s %9s\n' "tasksuite exec (no arguments: start-up, linking, usage)" "$u_med" "$u_mean" ""
    printf '  %-58s %8s %8s\n' "tasksuite exec (runs \"true\" via sh -c)" "$e_med" "$e_mean"
    printf '  %-58s %8s %8s %9s\n' "  added vs /bin/true (median)" "" "" "$(awk -v a="$e_med" -v b="$t_med" 'BEGIN {printf "%.3f", a - b}')"
    printf '  %-58s %8s %8s %9s\n' "  added vs sh -c true (median)   (target < 5 ms)" "" "" "$(awk -v a="$e_med" -v b="$s_med" 'BEGIN {printf "%.3f", a - b}')"
    printf '  %-58s %8s %8s %9s\n' "  ratio exec / sh -c true (median)" "" "" "$(awk -v a="$e_med" -v b="$s_med" 'BEGIN {printf "%.1fx", a / b}')"
    printf '  %-58s %8s %8s %9s\n' "  fsync+fdatasync inside exec, per run ($(( f_calls / RUNS )) calls)" "" \
        "$(awk -v a="$f_ms" -v n="$RUNS" 'BEGIN {printf "%.3f", a / n}')" ""
    echo "$label $e_med $s_med" >> "$WORKLOG"
    [[ $label == disk && -n $LINES ]] || return 0
    local lines pos
    for lines in $LINES; do
        head -1 "$man" | awk -v n="$lines" '{for (k = 0; k < n; k++) print}' > "$base/big-$lines.jsonl"
        : > "$base/first-$lines"; : > "$base/last-$lines"
        pos=$(( lines - 1 ))
        for (( i = 0; i < 5; i++ )); do "$TS" exec --dir "$sdir" --manifest "$base/big-$lines.jsonl" --position "$pos"; done
        for (( i = 0; i < RUNS; i++ )); do   # interleaved: line 1 and line L of the same file
            rm -rf "$sdir/events/0"
            t0=$(us); "$TS" exec --dir "$sdir" --manifest "$base/big-$lines.jsonl" --position 0
            echo $(( $(us) - t0 )) >> "$base/first-$lines"
            rm -rf "$sdir/events/0"
            t0=$(us); "$TS" exec --dir "$sdir" --manifest "$base/big-$lines.jsonl" --position "$pos"
            echo $(( $(us) - t0 )) >> "$base/last-$lines"
        done
        read -r f_med f_mean < <(stats "$base/first-$lines")
        read -r b_med b_mean < <(stats "$base/last-$lines")
        printf '  %-58s %8s %8s %9s\n' "tasksuite exec, line 1 of a $lines-line manifest ($(( $(stat -c %s "$base/big-$lines.jsonl") / 1000 )) kB)" "$f_med" "$f_mean" ""
        printf '  %-58s %8s %8s %9s\n' "tasksuite exec, line $lines of the same manifest" "$b_med" "$b_mean" \
            "$(awk -v a="$b_med" -v b="$f_med" 'BEGIN {printf "%+.3f", a - b}')"
    done
    printf '  %-58s\n' "  (last column there: line L minus line 1, medians)"
}

WORKLOG=$(mktemp)
trap 'rm -f "$WORKLOG"' EXIT
echo "exec-overhead: tasksuite exec vs a bare task, no Slurm; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_fs "$DISK_DIR" disk
if [[ $TMPFS == yes ]]; then
    bench_fs "$TMPFS_DIR" tmpfs
    echo
    awk '{e[$1] = $2; s[$1] = $3} END {printf "  (exec - sh -c true) on disk minus the same on tmpfs: %.3f ms per task: the fsync'"'"'d event records and\n  other disk metadata writes (differences of same-phase medians, so drift between the two phases cancels)\n", (e["disk"] - s["disk"]) - (e["tmpfs"] - s["tmpfs"])}' "$WORKLOG"
    rm -rf "$TMPFS_DIR"
fi

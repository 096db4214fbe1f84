#!/usr/bin/env bash
# status-100k.sh: what `tasksuite status` costs on a suite of 100,000 tasks:
# the journal operations (C helper, status-100k.c) and the real commands.
# See --help.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${BUILD:-/tmp/build-journal}
n=100000
ts=
before=
slurm_port=
runs=3
pos=0

usage() {
    cat <<EOF
Usage: bench/status-100k.sh [BUILD_DIR] [N] [--tasksuite PATH] [--before PATH] [--slurm-port P] [--runs R]

1. The journal (always): builds a journal with one suite of N tasks (default
   100000) through the journal API, compiled against BUILD_DIR's libtsrun
   (a configured and built tree; default \$BUILD or /tmp/build-journal), and
   times open, counters, a walk over every task, ingesting a started + exited
   record per task from N event files, and re-ingests that find nothing new.
   The journal goes to a fresh directory under \${TMPDIR:-/tmp} (BENCH_HOME
   puts it elsewhere, e.g. on NFS to see the rollback mode).
2. --tasksuite PATH (an installed tasksuite binary): times the real commands
   \`tasksuite status ID\`, \`tasksuite status ID --json\` and \`tasksuite list\`
   (R runs each, output to /dev/null) on that journal, every task finished,
   200,000 records ingested, N event files on disk, in two states:
     a. the suite still "open" (within close_after_s of its last task),
     b. the suite "complete",
     c. a second suite of N tasks still running: half of them finished,
        1% running (a started record), the rest not started.
   Two edits with the sqlite3 shell first make it a journal that never needs
   Slurm: the helper's submission intent is marked done and max_retries set
   to 0 (the helper fails 10% of the tasks). SLURM_CONF points to a missing
   file, so any Slurm call would show up as an error.
   Also the peak RSS of \`status ID --json\` (GNU time) on that suite and on
   one of N/10 tasks built the same way: streaming keeps it flat.
   --before PATH: another tasksuite binary (e.g. the previous commit's),
   run on a copy of the same journal taken before any command touched it,
   each command alternating with PATH's; prints both medians and the ratio.
3. --slurm-port P (needs 2., root and tests/cluster/cluster.sh): starts a
   private 2-node cluster on port P (default MaxArraySize 1001), submits an
   N-task suite as tsuser with \`tasksuite submit --detach\` (held: begin in
   an hour, so N tasks stay pending), times that submit and the same three
   commands as tsuser (status asks Slurm about every array), then cancels
   and stops the cluster.
EOF
}

while (( $# )); do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --tasksuite) ts=${2:?}; shift ;;
        --before) before=${2:?}; shift ;;
        --slurm-port) slurm_port=${2:?}; shift ;;
        --runs) runs=${2:?}; shift ;;
        -*) echo "status-100k.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
        *) if (( pos == 0 )); then build=$1; else n=$1; fi; pos=$(( pos + 1 )) ;;
    esac
    shift
done
[[ $n =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || { echo "status-100k.sh: N and --runs must be positive integers" >&2; exit 2; }

# The journal lives in libtsrun (a convenience archive that also holds
# libtscore's objects, whose expansion needs libyaml through spec.c);
# fall back to libtscore for older trees.
lib="$build/.libs/libtsrun.a"
[ -f "$lib" ] || lib="$build/.libs/libtscore.a"
if [ ! -f "$lib" ]; then
    echo "status-100k.sh: $lib not found: configure and make in $build first" >&2
    exit 2
fi
if [[ -n $ts ]]; then
    [[ -x $ts ]] || { echo "status-100k.sh: --tasksuite $ts is not executable" >&2; exit 2; }
    command -v sqlite3 >/dev/null || { echo "status-100k.sh: --tasksuite needs the sqlite3 shell" >&2; exit 2; }
fi
if [[ -n $before ]]; then
    [[ -n $ts && -x $before ]] || { echo "status-100k.sh: --before needs --tasksuite and an executable" >&2; exit 2; }
fi
if [[ -n $slurm_port ]]; then
    [[ -n $ts ]] || { echo "status-100k.sh: --slurm-port needs --tasksuite" >&2; exit 2; }
    [[ $(id -u) == 0 ]] || { echo "status-100k.sh: --slurm-port needs root" >&2; exit 2; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ts-bench-XXXXXX")
cluster_dir=$work/cluster
cleanup() {
    [[ -z $slurm_port ]] || "$src/tests/cluster/cluster.sh" stop --dir "$cluster_dir" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
home=${BENCH_HOME:-$work/home}

# shellcheck disable=SC2046
${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror \
    -I"$src/src" $(for d in "$src"/src/*/; do printf -- '-I%s ' "${d%/}"; done) \
    -I"$build" -include "$build/config.h" \
    -o "$work/status-100k" "$here/status-100k.c" "$lib" \
    $(pkg-config --cflags --libs sqlite3 libcjson yaml-0.1)

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/status-100k" "$home" "$n" | tee "$work/helper.out"
[[ -n $ts ]] || exit 0

us() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
# median of the numbers on stdin (microseconds) and the raw runs, as
# "median_ms [raw ...]"
med_raw() {
    sort -n | awk '{a[NR] = $1; raw = raw sep sprintf("%.1f", $1 / 1000); sep = " "}
        END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
             printf "%.1f [%s]", m / 1000, raw}'
}
# timed_runs LABEL CMD...: R runs, "label  median  [raw]" in ms; the command's
# exit status must be 0. With BEFORE_HOME set (and $before), each run of CMD
# is followed by one of the same command with $before on that journal, and
# both medians and their ratio are printed.
timed_runs() {
    local label=$1 i t0 v=() b=() bcmd; shift
    for (( i = 0; i < runs; i++ )); do
        t0=$(us)
        "$@" >/dev/null 2>"$work/cmd.err" || { echo "status-100k.sh: failed: $*" >&2; cat "$work/cmd.err" >&2; exit 1; }
        v+=($(( $(us) - t0 )))
        if [[ -n ${BEFORE_HOME:-} ]]; then
            bcmd=("$before" "${@:2}")
            t0=$(us)
            TASKSUITE_HOME=$BEFORE_HOME "${bcmd[@]}" >/dev/null 2>"$work/cmd.err" \
                || { echo "status-100k.sh: failed: ${bcmd[*]}" >&2; cat "$work/cmd.err" >&2; exit 1; }
            b+=($(( $(us) - t0 )))
        fi
    done
    local a; a=$(printf '%s\n' "${v[@]}" | med_raw)
    printf '  %-52s %9s ms  %s\n' "$label" "${a%% *}" "${a#* }"
    if [[ -n ${BEFORE_HOME:-} ]]; then
        local bb; bb=$(printf '%s\n' "${b[@]}" | med_raw)
        printf '  %-52s %9s ms  %s\n' "  before ($(basename "$before"))" "${bb%% *}" "${bb#* }"
        printf '  %-52s %9sx\n' "  before / now" "$(awk -v a="${bb%% *}" -v b="${a%% *}" 'BEGIN {printf "%.1f", a / b}')"
    fi
}
# same_output ARGS...: does the before binary print the same (with --before)?
same_output() {
    [[ -n ${BEFORE_HOME:-} ]] || return 0
    if cmp -s <("$ts" "$@" 2>/dev/null) <(TASKSUITE_HOME=$BEFORE_HOME "$before" "$@" 2>/dev/null); then
        echo "  output of $*: byte-identical to the before binary's"
    else
        echo "  output of $*: DIFFERS from the before binary's"
    fi
}

# The journal floor of a status: the helper's counters + per-task walk medians.
floor=$(awk 'function m() {match($0, /[0-9.]+ \/ [0-9.]+ ms/); split(substr($0, RSTART, RLENGTH), p, " "); return p[3] + 0}
             /counters \(GROUP BY state\)/ {c = m()}
             /per-task walk/ {w = m()}
             END {printf "%.1f", c + w}' "$work/helper.out")
ratio_line() {  # ratio_line LABEL MS BASE BASE_LABEL
    printf '  %-52s %9sx  (%s ms / %s ms%s)\n' "$1" "$(awk -v a="$2" -v b="$3" 'BEGIN {printf "%.1f", a / b}')" "$2" "$3" "$4"
}
med_of() { awk -v l="$1" 'index($0, l) {sub(/ ms.*/, ""); print $NF; exit}' "$2"; }
id=$(sed -n 's/^tasksuite bench: one suite (\([a-z0-9]*\)).*/\1/p' "$work/helper.out")
db=$home/journal.db
sqlite3 "$db" "UPDATE submissions SET state = 'done'; UPDATE suites SET max_retries = 0, close_after_s = 1000000000;"
if [[ -n $before ]]; then
    # The same journal for the other binary, before either command upgrades
    # or settles it; the event files are shared (commands only read them).
    BEFORE_HOME=$work/home-before
    mkdir -p "$BEFORE_HOME"
    sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    cp "$db" "$BEFORE_HOME/journal.db"
    ln -s "$home/suites" "$BEFORE_HOME/suites"
fi
export TASKSUITE_HOME=$home SLURM_CONF=$work/no-slurm.conf
echo
echo "real commands on that journal (every task finished, $n event files on disk); median of $runs, raw runs in brackets"
echo " a. suite still open (finished less than close_after_s ago, close_after_s set)"
timed_runs "tasksuite status $id" "$ts" status "$id" | tee "$work/a.out"
timed_runs "tasksuite status $id --json" "$ts" status "$id" --json
timed_runs "tasksuite list" "$ts" list
same_output status "$id"
same_output status "$id" --json
# completes it (on_complete cannot load the helper's suite file: said on stderr)
sqlite3 "$db" "UPDATE suites SET close_after_s = 0;"
"$ts" status "$id" >/dev/null 2>&1
if [[ -n ${BEFORE_HOME:-} ]]; then
    sqlite3 "$BEFORE_HOME/journal.db" "UPDATE suites SET close_after_s = 0;"
    TASKSUITE_HOME=$BEFORE_HOME "$before" status "$id" >/dev/null 2>&1
fi
echo " b. suite complete ($(sqlite3 "$db" "SELECT state FROM suites WHERE id = '$id'"))"
timed_runs "tasksuite status $id" "$ts" status "$id" | tee "$work/b.out"
timed_runs "tasksuite status $id --json" "$ts" status "$id" --json
timed_runs "tasksuite list" "$ts" list
same_output status "$id"
# SELECT what FROM the task counts per state (WHERE where): a journal of
# schema 4 keeps tasks nothing has changed yet packed in task_chunks (no row
# in tasks); schema 3 (--before) has no such table.
task_states() {
    local db=$1 where=$2 what=$3
    sqlite3 "$db" "SELECT $what FROM (SELECT state, SUM(n) n FROM (SELECT state, COUNT(*) n
                   FROM tasks GROUP BY state UNION ALL SELECT state, untouched FROM task_chunks)
                   GROUP BY state) $where" 2>/dev/null \
        || sqlite3 "$db" "SELECT $what FROM (SELECT state, COUNT(*) n FROM tasks GROUP BY state) $where"
}
echo "  ratios against the journal floor (helper above: counters + per-task walk = $floor ms)"
ratio_line "status, suite open / floor" "$(med_of "tasksuite status $id" "$work/a.out")" "$floor" ""
ratio_line "status, suite complete / floor" "$(med_of "tasksuite status $id" "$work/b.out")" "$floor" ""
echo "  (status prints the $(task_states "$db" "WHERE state != 'completed'" "SUM(n)") tasks that are not completed; --json is $("$ts" status "$id" --json | wc -c) bytes)"

# c. A suite still running: the same N tasks, half finished, 1% running (a
# started record), the rest not started yet (no event directory).
mid=$work/home-mid
pend=$(( n - n / 2 - n / 100 ))
"$work/status-100k" "$mid" "$n" "$pend" $(( n / 100 )) > "$work/helper-mid.out"
mid_id=$(sed -n 's/^tasksuite bench: one suite (\([a-z0-9]*\)).*/\1/p' "$work/helper-mid.out")
sqlite3 "$mid/journal.db" "UPDATE submissions SET state = 'done'; UPDATE suites SET max_retries = 0, close_after_s = 1000000000;
                           PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
saved_before=${BEFORE_HOME:-}
if [[ -n $before ]]; then
    BEFORE_HOME=$work/home-mid-before
    mkdir -p "$BEFORE_HOME"
    cp "$mid/journal.db" "$BEFORE_HOME/journal.db"
    ln -s "$mid/suites" "$BEFORE_HOME/suites"
fi
echo " c. suite still running ($(task_states "$mid/journal.db" "" "group_concat(state || ' ' || n, ', ')"))"
TASKSUITE_HOME=$mid timed_runs "tasksuite status $mid_id" "$ts" status "$mid_id"
TASKSUITE_HOME=$mid timed_runs "tasksuite status $mid_id --json" "$ts" status "$mid_id" --json
TASKSUITE_HOME=$mid timed_runs "tasksuite list" "$ts" list
TASKSUITE_HOME=$mid same_output status "$mid_id"
TASKSUITE_HOME=$mid same_output status "$mid_id" --json
BEFORE_HOME=$saved_before

# Memory of status --json: the same suite at N/10 tasks, built the same way.
if [[ -x /usr/bin/time ]] && (( n >= 10 )); then
    small=$work/home-small
    "$work/status-100k" "$small" $(( n / 10 )) > "$work/helper-small.out"
    sid=$(sed -n 's/^tasksuite bench: one suite (\([a-z0-9]*\)).*/\1/p' "$work/helper-small.out")
    sqlite3 "$small/journal.db" "UPDATE submissions SET state = 'done'; UPDATE suites SET max_retries = 0, close_after_s = 0;
                                 PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    if [[ -n $before ]]; then
        mkdir -p "$work/home-small-before"
        cp "$small/journal.db" "$work/home-small-before/journal.db"
        ln -s "$small/suites" "$work/home-small-before/suites"
    fi
    peak() {  # peak RSS in MiB of: HOME BINARY ID
        TASKSUITE_HOME=$1 /usr/bin/time -f %M -o "$work/rss" "$2" status "$3" --json >/dev/null 2>&1 \
            || { echo "status-100k.sh: failed: $2 status $3 --json" >&2; exit 1; }
        awk '{printf "%.1f", $1 / 1024}' "$work/rss"
    }
    for b in "$ts" $before; do
        if [[ $b == "$ts" ]]; then h=$home hs=$small; else h=$BEFORE_HOME hs=$work/home-small-before; fi
        peak "$hs" "$b" "$sid" >/dev/null      # completes it (reads every event file once)
        p1=$(peak "$hs" "$b" "$sid"); p2=$(peak "$h" "$b" "$id")
        printf '  %-52s %6s MiB at %d tasks, %s MiB at %d (%sx)\n' "status --json peak RSS ($(basename "$b"))" \
            "$p1" $(( n / 10 )) "$p2" "$n" "$(awk -v a="$p2" -v b="$p1" 'BEGIN {printf "%.2f", a / b}')"
    done
fi
unset TASKSUITE_HOME SLURM_CONF
[[ -n $slurm_port ]] || exit 0

# 3. A suite of N pending tasks that Slurm knows about.
conf=$("$src/tests/cluster/cluster.sh" start --dir "$cluster_dir" --port-base "$slurm_port" \
       --nodes 2 --max-job-count $(( 2 * n + 10000 )) 2>"$work/cluster.err" | tail -1) \
    || { cat "$work/cluster.err" >&2; exit 1; }
udir=$work/user
mkdir -p "$udir"
chmod 755 "$work"; chown tsuser "$udir"
if (( n % 100 == 0 )); then a=100 b=$(( n / 100 )); else a=$n b=1; fi
{
    echo "name: bench-status"
    echo "slurm: {begin: now+1hour}"
    echo "run: echo %(a) %(b)"
    echo "matrix:"
    echo "  a: [$(seq -s, 0 $(( a - 1 )))]"
    echo "  b: [$(seq -s, 0 $(( b - 1 )))]"
} > "$udir/suite.yaml"
chmod 644 "$udir/suite.yaml"
declare -f us med_raw timed_runs > "$udir/fns.sh"
runuser -u tsuser -- env "$conf" TASKSUITE_HOME="$udir/home" work="$udir" runs="$runs" \
    ts="$ts" n="$n" bash -c '
    set -euo pipefail
    source "$work/fns.sh"
    cd "$work"
    t0=$(us)
    id=$("$ts" submit --detach suite.yaml 2>"$work/submit.err") || { cat "$work/submit.err" >&2; exit 1; }
    t1=$(us)
    echo
    echo "real commands as tsuser on a just-submitted suite of $n pending tasks ($(squeue -h -u tsuser | wc -l) jobs in squeue: its arrays + the safety-net reconcile job)"
    printf "  %-52s %9.1f ms  [1 run]\n" "tasksuite submit --detach (held)" "$(awk -v a=$(( t1 - t0 )) "BEGIN {print a / 1000}")"
    timed_runs "tasksuite status $id" "$ts" status "$id" | tee "$work/c.out"
    timed_runs "tasksuite status $id --json" "$ts" status "$id" --json
    timed_runs "tasksuite list" "$ts" list
    timed_runs "squeue -u tsuser (one line per array)" squeue -u tsuser | tee "$work/d.out"
    timed_runs "squeue -r -u tsuser (one line per element)" squeue -r -u tsuser | tee "$work/e.out"
    st=$(awk "/tasksuite status $id/ {sub(/ ms.*/, \"\"); print \$NF; exit}" "$work/c.out")
    sq=$(awk "/squeue -r/ {sub(/ ms.*/, \"\"); print \$NF; exit}" "$work/e.out")
    printf "  %-52s %9sx\n" "ratio status / squeue -r" "$(awk -v a="$st" -v b="$sq" "BEGIN {printf \"%.1f\", a / b}")"
    scancel -u tsuser
'

#!/bin/sh
# tests/fuzz/run.sh [SECONDS [LIBFUZZER-FLAGS...]]: fuzz every parser that
# reads user data, for SECONDS in all (default 60), split evenly between the
# targets (at least 5 s each); extra flags go to every libFuzzer run (e.g.
# -len_control=0 to try large inputs from the start).
#
#   spec       suite files (spec.c): sbatch, as the user
#   hookspec   the hook spec (spec_json.c) and the environment root builds
#              from its envs (taskenv.c): slurmstepd, prolog/epilog, as root
#   envexpand  $NAME expansion and the environment caps (taskenv.c), against
#              a reference expansion
#   prepstate  the preparation record reader (prepstate.c), as root
#
# TS_FUZZ_TARGETS="hookspec envexpand" runs only some. Each target is built
# with clang's libFuzzer, ASan and UBSan (UB aborts) straight from the source
# files it needs (no configure; a minimal config.h written here), seeded from
# tests/fuzz/seeds/TARGET (spec: tests/unit/data/*.yaml), run with
# -rss_limit_mb=512 and a -malloc_limit_mb (a single allocation above it is a
# finding: the root-side caps keep every allocation far below). Prints one
# PASS/FAIL line per target, then a summary line; exits non-zero if any
# target found a crash, leak, UB, OOM or hang, keeping the input and the
# log in $TS_FUZZ_OUT (default ./fuzz-out).
set -u

secs=${1:-60}
if [ $# -gt 0 ]; then
    shift
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${TS_FUZZ_OUT:-$PWD/fuzz-out}
targets=${TS_FUZZ_TARGETS:-spec hookspec envexpand prepstate}

if [ -z "${CC:-}" ]; then
    CC=clang-14
    command -v "$CC" >/dev/null 2>&1 || CC=clang
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ts-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/include" "$out"

cat > "$work/include/config.h" <<'CONFIG'
/* Minimal config.h for the fuzz build (run.sh). */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1
#endif
#define PACKAGE "tasksuite"
#define PACKAGE_NAME "tasksuite"
#define PACKAGE_VERSION "fuzz"
#define VERSION "fuzz"
CONFIG

# Per target: the sources besides fuzz_TARGET.c, pkg-config packages,
# -max_len, -malloc_limit_mb, dictionary.
# spec.c asks optnames.c which sbatch options exist; slurmopt.c uses units.c;
# spec_json.c serialises suites (spec.c, slurmopt.c) and checks env names
# (taskenv.c).
# The suite-file reader is split by concern (src/core/spec.c lists the files).
spec_c="spec.c spec_prescan.c spec_schema.c spec_values.c spec_top.c spec_resources.c
        spec_hooks.c spec_tasks.c spec_placeholders.c spec_resume.c spec_workers.c
        spec_slurm.c spec_shellquote.c spec_skypilot.c spec_launchenv.c
        spec_stages.c spec_oncheckpoint.c dag.c"
sources() {
    case $1 in
    spec)      echo "$spec_c units.c err.c slurmopt.c optnames.c taskenv.c" ;;
    hookspec)  echo "spec_json.c taskenv.c $spec_c units.c err.c slurmopt.c optnames.c" ;;
    envexpand) echo "taskenv.c err.c" ;;
    prepstate) echo "prepstate.c err.c" ;;
    esac
}
packages() {
    case $1 in
    spec)      echo "yaml-0.1" ;;
    hookspec)  echo "yaml-0.1 libcjson" ;;
    envexpand) echo "" ;;
    prepstate) echo "libcjson" ;;
    esac
}
max_len() {
    case $1 in
    spec)      echo 65536 ;;
    hookspec)  echo 70000 ;;    # past TS_HOOKSPEC_MAX, to probe the limit
    envexpand) echo 8192 ;;
    prepstate) echo 20000 ;;    # records are small; the 512 KiB bound is a unit test
    esac
}
malloc_mb() {
    case $1 in
    spec)      echo 256 ;;
    *)         echo 16 ;;       # 1 MiB env, 64 KiB values: 16 MiB is a leak of a cap
    esac
}

build() {
    name=$1
    srcs=""
    for s in $(sources "$name"); do
        # the layer folder a file lives in (src/<layer>/) or src/ itself
        f=$(find "$top/src" -name "$s" -print -quit)
        srcs="$srcs ${f:-$top/src/$s}"
    done
    # headers are included by name from every layer folder (as in Makefile.am)
    incs="-I$top/src"
    for d in "$top"/src/*/; do
        incs="$incs -I${d%/}"
    done
    pkgs=$(packages "$name")
    cflags="" libs=""
    if [ -n "$pkgs" ]; then
        # shellcheck disable=SC2086 # a list of package names
        cflags=$(pkg-config --cflags $pkgs) && libs=$(pkg-config --libs $pkgs) || return 1
    fi
    # shellcheck disable=SC2086 # flag and file lists are meant to split
    "$CC" -std=gnu11 -g -O1 -fno-omit-frame-pointer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -I"$work/include" $incs $cflags \
        "$here/fuzz_$name.c" $srcs $libs -o "$work/fuzz_$name" >"$work/build-$name.log" 2>&1
}

# Build all targets at once (they are independent).
n=0
for t in $targets; do
    case $t in
    spec|hookspec|envexpand|prepstate) ;;
    *) echo "run.sh: unknown target \"$t\" (spec, hookspec, envexpand, prepstate)" >&2; exit 2 ;;
    esac
    (build "$t"; echo $? > "$work/build-$t.rc") &
    n=$((n + 1))
done
wait
each=$((secs / n))
if [ "$each" -lt 5 ]; then
    each=5
fi

echo "fuzzing $n targets for ${each}s each; findings go to $out/"
failed=0 summary=""
for t in $targets; do
    if [ "$(cat "$work/build-$t.rc")" != 0 ]; then
        cat "$work/build-$t.log" >&2
        echo "FAIL fuzz_$t: does not build"
        failed=$((failed + 1)) summary="$summary $t:build-failed"
        continue
    fi
    mkdir -p "$work/corpus-$t"
    if [ "$t" = spec ]; then
        cp "$top"/tests/unit/data/*.yaml "$work/corpus-$t/"
    else
        cp "$here/seeds/$t/"* "$work/corpus-$t/"
    fi
    dict="$here/$t.dict"
    if [ "$t" = spec ]; then
        dict="$here/spec.dict"
    fi
    log="$work/$t.log"
    "$work/fuzz_$t" -max_total_time="$each" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=512 -malloc_limit_mb="$(malloc_mb "$t")" -dict="$dict" \
        -artifact_prefix="$out/$t-" -print_final_stats=1 "$@" "$work/corpus-$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$rc" = 0 ]; then
        echo "PASS fuzz_$t: ${execs:-?} execs in ${each}s"
        summary="$summary $t:${execs:-?}"
    else
        what=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+|runtime error: .*|detected memory leaks|out-of-memory[^)]*\)?|malloc\(.*\) exceeds limit|ALARM: working on the last Unit for [0-9]+ seconds|deadly signal' "$log" | head -1)
        cp "$log" "$out/$t.log"
        tail -40 "$log" >&2
        echo "FAIL fuzz_$t: ${what:-exit $rc} (input and log in $out/)"
        failed=$((failed + 1)) summary="$summary $t:FAILED"
    fi
done
if [ "$failed" -gt 0 ]; then
    echo "fuzz: $failed of $n targets failed:$summary"
    exit 1
fi
echo "fuzz: all $n targets passed (execs:$summary)"

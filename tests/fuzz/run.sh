#!/bin/sh
# tests/fuzz/run.sh [SECONDS [LIBFUZZER-FLAGS...]]: fuzz the suite parser for
# SECONDS (default 60); extra flags go to libFuzzer (e.g. -len_control=0 to
# try large inputs from the start, -jobs=N).
#
# Builds tests/fuzz/fuzz_spec.c with clang's libFuzzer, ASan and UBSan (UB
# aborts), straight from the source files it needs: no configure, a minimal
# config.h written here. Seeds the corpus with tests/unit/data/*.yaml, runs
# with inputs up to 64 KiB, and exits non-zero on a crash, leak, UB or hang,
# keeping the input that caused it in $TS_FUZZ_OUT (default ./fuzz-out).
set -eu

secs=${1:-60}
if [ $# -gt 0 ]; then
    shift
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${TS_FUZZ_OUT:-$PWD/fuzz-out}

if [ -z "${CC:-}" ]; then
    CC=clang-14
    command -v "$CC" >/dev/null 2>&1 || CC=clang
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ts-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/include" "$work/corpus" "$out"

cat > "$work/include/config.h" <<'CONFIG'
/* Minimal config.h for the fuzz build (run.sh). */
#define PACKAGE "tasksuite"
#define PACKAGE_NAME "tasksuite"
#define PACKAGE_VERSION "fuzz"
#define VERSION "fuzz"
CONFIG

# spec.c asks slurmopt.c which sbatch options exist; slurmopt.c uses units.c.
# shellcheck disable=SC2046 # pkg-config's flags are meant to split into words
"$CC" -std=gnu11 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$work/include" -I"$top/src" $(pkg-config --cflags yaml-0.1) \
    "$here/fuzz_spec.c" "$top/src/spec.c" "$top/src/units.c" \
    "$top/src/err.c" "$top/src/slurmopt.c" \
    $(pkg-config --libs yaml-0.1) -o "$work/fuzz_spec"

cp "$top"/tests/unit/data/*.yaml "$work/corpus/"

echo "fuzzing the suite parser for ${secs}s; findings go to $out/"
if ! "$work/fuzz_spec" -max_total_time="$secs" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -dict="$here/spec.dict" \
        -artifact_prefix="$out/" -print_final_stats=1 "$@" "$work/corpus"; then
    echo "fuzz_spec found a problem; the input is in $out/" >&2
    exit 1
fi

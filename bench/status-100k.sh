#!/bin/sh
# status-100k.sh: time `tasksuite status` work on a journal of one suite with
# 100,000 tasks (counters, per-task walk), plus journal open and ingestion.
#
#   bench/status-100k.sh [BUILD_DIR] [N]
#
# BUILD_DIR is a configured and built tree (default: $BUILD or
# /tmp/build-journal); the bench program is compiled against its
# libtsrun. The journal goes to a fresh directory under ${TMPDIR:-/tmp}
# (set BENCH_HOME to put it elsewhere, e.g. on NFS to see the rollback mode).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-${BUILD:-/tmp/build-journal}}
n=${2:-100000}

# The journal lives in libtsrun (a convenience archive that also holds
# libtscore's objects); fall back to libtscore for older trees.
lib="$build/.libs/libtsrun.a"
[ -f "$lib" ] || lib="$build/.libs/libtscore.a"
if [ ! -f "$lib" ]; then
    echo "status-100k.sh: $lib not found: configure and make in $build first" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ts-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
home=${BENCH_HOME:-$work/home}

# shellcheck disable=SC2046
${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror \
    -I"$src/src" -I"$build" -include "$build/config.h" \
    -o "$work/status-100k" "$here/status-100k.c" "$lib" \
    $(pkg-config --cflags --libs sqlite3 libcjson)

"$work/status-100k" "$home" "$n"

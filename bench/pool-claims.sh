#!/bin/sh
# pool-claims.sh: claims/s of the pool claim protocol for 1 and 8 agents
# over 10k and 100k tasks, on local disk and on tmpfs (doc/PERFORMANCE.md,
# "Pool claims"). Each claim includes marking it started.
#
#   bench/pool-claims.sh BUILD_DIR [LOCAL_DIR] [TMPFS_DIR]
#
# BUILD_DIR holds bench/pool-claims (make check builds it). LOCAL_DIR
# defaults to /var/tmp, TMPFS_DIR to /dev/shm.
set -eu
case "${1:-}" in
-h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
build=${1:?usage: pool-claims.sh BUILD_DIR [LOCAL_DIR] [TMPFS_DIR]}
local_dir=${2:-/var/tmp}
tmpfs_dir=${3:-/dev/shm}
bin="$build/bench/pool-claims"
[ -x "$bin" ] || { echo "pool-claims.sh: $bin missing: run make check in $build" >&2; exit 2; }

for where in "$local_dir" "$tmpfs_dir"; do
    fs=$(stat -f -c %T "$where")
    for tasks in 10000 100000; do
        for agents in 1 8; do
            d="$where/ts-pool-bench.$$"
            printf '%-8s %-10s ' "$fs" "$where"
            "$bin" "$d" "$tasks" "$agents" 4
            rm -rf "$d"
        done
    done
done

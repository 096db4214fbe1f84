#!/usr/bin/env bash
# t0620-skypilot: SkyPilot task files run unchanged on the cluster. A 2-node
# file whose run script checks every SKYPILOT_* variable on each node
# (rank, node count, GPUs, task id, the node addresses head first in
# NODE_RANK order), resources alternatives that take the first the cluster
# can hold and say so, and a few more files of the corpus
# (tests/slurm/data/skypilot, README.md there), each run to completion.
# SC2154: the EXIT trap's own loop sets s.
# shellcheck disable=SC2154
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
ids=""
trap 'for s in $ids; do scancel -n "ts-$s" 2>/dev/null; done; rm -rf "$W"' EXIT
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cp "$SRC"/tests/slurm/data/skypilot/*.yaml "$W/" && chown -R "$TS_USER" "$W"

# submit FILE [ARGS]: follow it to its end (bounded), output in $W/FILE.out/.err
submit() {
    local f=$1; shift
    as_user "$W" timeout 120 env TASKSUITE_HOME="$W/.tshome" "$TS_BIN" submit "$f" "$@" \
        >"$W/$f.out" 2>"$W/$f.err"
    local rc=$?
    id=$(tail -n1 "$W/$f.out")
    ids="$ids $id"
    return $rc
}

# ------------------------------------------------------------ two nodes
submit 03-multinode.yaml
is "$?" 0 "a 2-node SkyPilot file runs; its checks of every SKYPILOT_* variable pass on both nodes" \
    || diag "$(cat "$W/03-multinode.yaml.err")"
d="$W/.tshome/suites/$id/tasks/sky-multinode/attempt-1"
like "$(cat "$d/node-0.stdout" 2>/dev/null)" '^rank 0 of 2, head [0-9a-f.:]+$' "rank 0 saw itself as rank 0 of 2"
like "$(cat "$d/node-1.stdout" 2>/dev/null)" '^rank 1 of 2, head [0-9a-f.:]+$' "rank 1 saw itself as rank 1 of 2"
h0=$(sed -n 's/.*head //p' "$d/node-0.stdout" 2>/dev/null)
h1=$(sed -n 's/.*head //p' "$d/node-1.stdout" 2>/dev/null)
is "$h1" "$h0" "both ranks name the same head address (MASTER_ADDR)"
addr=$(scontrol show node n1 2>/dev/null | sed -n 's/.*NodeAddr=\([^ ]*\).*/\1/p')
is "$h0" "${addr:-127.0.0.1}" "the head is the node's real address (NodeAddr)"

# ------------------------------------------------------------ alternatives
submit 04-any-of.yaml
is "$?" 0 "resources.any_of: the suite runs"
like "$(cat "$W/04-any-of.yaml.err")" 'resources\.any_of: using alternative 2 of 2 \(cpus 1\): the first this cluster.s nodes can hold' \
    "no node has 8 A100s: the second alternative is taken, said in one line"
submit 06-candidates.yaml
is "$?" 0 "resources.candidates: the suite runs"
like "$(cat "$W/06-candidates.yaml.err")" 'resources\.candidates: using alternative 2 of 2' \
    "1000 CPUs fit no node: the second candidate is taken"

# ---------------------------------------------------- more of the corpus
# every other file marked "# corpus: cluster"
for f in $(cd "$W" && grep -lx '# corpus: cluster' ./*.yaml | sed 's|^\./||'); do
    case $f in 03-*|04-*|06-*) continue ;; esac
    submit "$f"
    is "$?" 0 "$f runs on the cluster, its checks pass" || diag "$(tail -3 "$W/$f.err")"
done

done_testing

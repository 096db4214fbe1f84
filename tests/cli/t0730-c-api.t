#!/usr/bin/env bash
# t0730-c-api: tasksuite.h as a user of the installed library sees it: the
# example examples/c-api/remaining.c compiles with nothing but
# `pkg-config --cflags --libs tasksuite` (against TS_PREFIX), runs outside a
# task (walltime "unlimited", checkpoint refused with EINVAL), and inside a
# --local task records a checkpoint the journal then shows; the man pages
# of the API are installed.
. "$(dirname "$0")/lib.sh"

src=$(cd "$(dirname "$0")/../.." && pwd)
w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
pcpath=$(printf '%s:' "$TS_PREFIX"/lib/pkgconfig "$TS_PREFIX"/lib/*/pkgconfig)
flags=$(PKG_CONFIG_PATH=$pcpath pkg-config --cflags --libs tasksuite 2>&1)
ok $? "pkg-config --cflags --libs tasksuite: $flags"
libdir=$(PKG_CONFIG_PATH=$pcpath pkg-config --variable=libdir tasksuite)
cp "$src/examples/c-api/remaining.c" "$w/"
# shellcheck disable=SC2086  # the flags are words
out=$(cc -std=c11 -Wall -Wextra -Werror "$w/remaining.c" $flags -o "$w/remaining" 2>&1)
ok $? "the example compiles with -Wall -Wextra -Werror${out:+: $out}"
chmod a+rx "$w/remaining"

out=$(as_user "$w" env LD_LIBRARY_PATH="$libdir" ./remaining 2>&1)
ok $? "runs outside a task"
like "$out" '^remaining: unlimited' "outside a job: unlimited"
like "$out" 'not recorded \(Invalid argument\)' "outside a task: the checkpoint is refused with EINVAL"
like "$out" '^libtasksuite [0-9]+\.[0-9]+\.[0-9]+$' "tasksuite_version()"

put "$w" capi.yaml <<YAML
name: capi
run: LD_LIBRARY_PATH="$libdir" $w/remaining ck.bin
YAML
id=$(ts "$w" submit --local capi.yaml 2>/dev/null | head -1)
like "$(ts "$w" status "$id" 2>&1)" '1/1 done' "the example runs as a --local task"
out=$(ts "$w" logs "$id" 2>&1)
like "$out" 'checkpoint ck.bin: recorded' "inside a task the checkpoint is recorded"
like "$(ts "$w" status "$id" --json 2>/dev/null)" '"checkpoint":[[:space:]]*"[^"]*/ck.bin"' "status --json shows the checkpoint"

for p in tasksuite_remaining tasksuite_checkpoint; do
    f=$(ls "$TS_PREFIX"/share/man/man3/$p.3* 2>/dev/null | head -1)
    ok "$([ -n "$f" ]; echo $?)" "$p(3) is installed"
done
done_testing

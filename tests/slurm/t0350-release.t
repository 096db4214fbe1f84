#!/usr/bin/env bash
# The Slurm release tasksuite was built for: `tasksuite --version` names it
# (this cluster's own), and a libslurm of another release loaded in place
# of the one it was built for (a Slurm upgrade without a rebuild) is one
# clear line and exit 5, from --version and from the first Slurm call, never
# a crash. The other release's libslurm: $TS_ALT_LIBSLURM, else any found on
# this machine (Debian's, or one tests/slurm-build made) with another soname.
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
TS_PROBE=${TS_PROBE:-${TS_BUILD_DIR:-$SRC/build}/tests/slurm/slurmprobe}
W=$(mk_workdir)
trap 'rm -rf "$W"' EXIT

release=$(slurmctld -V 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
so=$(ldd "$TS_BIN" 2>/dev/null | awk '$1 ~ /^libslurm\.so\./ {print $1; exit}')
out=$("$TS_BIN" --version 2>&1); rc=$?
is "$rc" 0 "tasksuite --version with the libslurm it was built for: exit 0"
like "$out" "^tasksuite [0-9]+\.[0-9]+\.[0-9]+, built for Slurm ${release//./\\.} \\(${so//./\\.}\\)\$" \
    "--version names the Slurm release it was built for, this cluster's ($release), and the libslurm it links ($so)"
like "$(as_user "$W" "$TS_BIN" --version 2>&1)" "built for Slurm ${release//./\\.} " "the same for the test user"

# ------------------------------------------------------------ another release's libslurm
alt=${TS_ALT_LIBSLURM:-}
if [ -z "$alt" ]; then
    for f in /usr/lib/*/libslurm.so.[0-9]* /usr/lib64/libslurm.so.[0-9]* /var/cache/tasksuite-slurm/*/lib/libslurm.so.[0-9]*; do
        [ -f "$f" ] || continue
        n=$(objdump -p "$f" 2>/dev/null | awk '$1 == "SONAME" {print $2}')
        [ -n "$n" ] && [ "$n" != "$so" ] && { alt=$f; break; }
    done
fi
if [ -z "$alt" ] || [ -z "$so" ]; then
    for d in "--version: one line, exit 5" "the first Slurm call: one line, exit 5" "remaining: says so, uses the environment's copy"; do
        ok 0 "# SKIP no libslurm of another release on this machine ($d)"
    done
    done_testing
    exit
fi
altso=$(objdump -p "$alt" | awk '$1 == "SONAME" {print $2}')
diag "built against $so; pretending $alt ($altso) is it"
mkdir -p "$W/lib"
ln -s "$(readlink -f "$alt")" "$W/lib/$so"
chmod -R a+rX "$W/lib"
want="built for Slurm ${release%.*} \\($so\\), but $altso( \\(Slurm [0-9.]+\\))? is loaded: rebuild tasksuite against the installed Slurm \\(configure --with-slurm=PREFIX\\)"

# A libslurm that lacks a function tasksuite calls (26.05's slurm_free_conf
# in 22.05's) stops the dynamic loader before main (tasksuite binds every
# symbol at start, -z now): its one line, exit 127, is all there can be.
missing=$(LD_LIBRARY_PATH=$W/lib ldd -r "$TS_BIN" 2>&1 | sed -n 's/^undefined symbol: \([a-z_0-9]*\).*/\1/p' | head -1)
if [ -n "$missing" ]; then
    out=$(LD_LIBRARY_PATH=$W/lib "$TS_BIN" --version 2>&1); rc=$?
    is "$rc" 127 "--version with $altso, which lacks $missing: the loader refuses it (exit 127)"
    like "$out" "^$TS_BIN: symbol lookup error: .*undefined symbol: $missing\$" "... in one line, no crash"
    done_testing
    exit
fi

out=$(LD_LIBRARY_PATH=$W/lib "$TS_BIN" --version 2>&1); rc=$?
is "$rc" 5 "--version with another release's libslurm: exit 5"
like "$(printf '%s\n' "$out" | tail -1)" "^tasksuite: $want\$" "... and one line saying what is wrong and what to do"
is "$(printf '%s\n' "$out" | wc -l)" 2 "... after the version line, nothing else (no crash, no libslurm noise)"

out=$(LD_LIBRARY_PATH=$W/lib "$TS_PROBE" maxarray 2>&1); rc=$?
is "$rc" 5 "the first Slurm call of the library with it: exit 5"
like "$out" "^$want\$" "... one line, before libslurm is used at all"

out=$(as_user "$W" env LD_LIBRARY_PATH="$W/lib" SLURM_JOB_ID=1 SLURM_JOB_END_TIME=$(( $(date +%s) + 600 )) \
      "$TS_BIN" remaining 2>"$W/err"); rc=$?
is "$rc" 0 "tasksuite remaining in a job with it: exit 0 (a task script keeps working)"
like "$out" '^(59[0-9]|600)$' "... with the environment's copy of the end time ($out s)"
like "$(cat "$W/err")" "^tasksuite remaining: $want; answering from the environment's end time$" "... and one line on stderr saying why, and what it answers from"

done_testing

#!/usr/bin/env bash
# t0310-no-slurm-conf: with no Slurm configuration at all, the commands that
# would ask Slurm say so in one line instead of dying in libslurm's
# "fatal: Could not establish a configuration source" (issue 12, item 7):
# submit exits 5 naming SLURM_CONF and --local, --dry-run assumes a
# MaxArraySize, remaining answers from the environment or says it cannot.
# "No configuration" is made two ways: SLURM_CONF naming a missing file
# (always), and SLURM_CONF unset when this machine has no default file.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
put "$w" sweep.yaml <<'YAML'
name: noconf
run: echo %(n)
matrix:
  n: [1, 2]
YAML

# ts_conf CONF ARGS...: tasksuite with SLURM_CONF=CONF ("" = unset) and the
# variables in the array extra (VAR=value ...).
extra=()
ts_conf() {
    local conf=$1; shift
    as_user "$w" env TASKSUITE_HOME="$w/.tshome" ${conf:+SLURM_CONF="$conf"} \
        "${extra[@]}" "$TS_BIN" "$@"
}

ways=("$w/no-such-slurm.conf")
if [ -e /etc/slurm/slurm.conf ] || [ -e /run/slurm/conf/slurm.conf ]; then
    diag "this machine has a default slurm.conf: only SLURM_CONF=<missing file> is tried"
else
    ways+=("")
fi

for conf in "${ways[@]}"; do
    how=${conf:+SLURM_CONF=<missing file>}; how=${how:-SLURM_CONF unset}
    out=$(ts_conf "$conf" submit sweep.yaml 2>&1); rc=$?
    is "$rc" 5 "$how: submit exits 5 (Slurm)"
    unlike "$out" "fatal|Could not establish" "$how: not libslurm's fatal()"
    is "$(printf '%s\n' "$out" | wc -l)" 1 "$how: one line"
    like "$out" "SLURM_CONF.*or use --local" "$how: names SLURM_CONF and --local"
    is "$(jsql "$w" "select count(*) from suites" 2>/dev/null || echo 0)" 0 "$how: nothing written"

    out=$(ts_conf "$conf" submit --dry-run sweep.yaml 2>&1); rc=$?
    is "$rc" 0 "$how: submit --dry-run exits 0"
    like "$out" "MaxArraySize 1001, assumed" "$how: --dry-run assumes MaxArraySize 1001 and says so"
    like "$out" "sbatch --array=0-1 " "$how: and prints the array"

    extra=(SLURM_JOB_ID=123 TASK_SUITE_END_TIME=$(( $(date +%s) + 7200 )))
    out=$(ts_conf "$conf" remaining 2>/dev/null); rc=$?
    [[ $out =~ ^[0-9]+$ ]] || out=0
    ok $(( rc != 0 || out < 7000 || out > 7200 )) "$how: remaining answers from TASK_SUITE_END_TIME ($out)"
    extra=(SLURM_JOB_ID=123)
    out=$(ts_conf "$conf" remaining 2>&1); rc=$?
    extra=()
    is "$rc" 0 "$how: remaining without any end time exits 0"
    like "$out" "walltime left is unknown" "$how: and says the walltime is unknown"
    unlike "$out" "fatal" "$how: remaining: not libslurm's fatal()"
done

out=$(ts "$w" submit --local sweep.yaml 2>&1); rc=$?
is "$rc" 0 "--local still needs no configuration"

done_testing

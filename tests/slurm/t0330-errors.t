#!/usr/bin/env bash
# What bad input and faults get (SPEC.md section 7): a one-line error that
# says what and where, a distinct exit code (tasksuite(1)), and nothing
# half-written: no journal row, no run directory, no Slurm job.
. "$(dirname "$0")/lib.sh"

W=$(mk_workdir)
trap 'rm -rf "$W"' EXIT
put "$W" ok.yaml <<'YAML'
name: fine
run: "true"
YAML
put "$W" bad.yaml <<'YAML'
name: broken
resume: {max_retries: lots}
run: "true"
YAML

lines() { printf '%s\n' "$1" | grep -c .; }

# Invalid suite file: exit 1, one line with file:line:col, nothing written.
before=$(user_job_count)
err=$(ts "$W" submit bad.yaml 2>&1 >/dev/null); rc=$?
is "$rc" 1 "invalid suite file: exit 1"
like "$err" '^bad\.yaml:2:23: resume\.max_retries: ' "the message says file:line:col and the field"
is "$(lines "$err")" 1 "one line"
ok "$([ ! -e "$W/.tshome/journal.db" ]; echo $?)" "no journal was written"
is "$(user_job_count)" "$before" "no job was queued"

# Usage errors: exit 2.
ts "$W" submit >/dev/null 2>&1; is $? 2 "submit without FILE: exit 2"
ts "$W" submit --throttle 0 ok.yaml >/dev/null 2>&1; is $? 2 "--throttle 0: exit 2"
ts "$W" frobnicate >/dev/null 2>&1; is $? 2 "unknown command: exit 2"

# Unknown suite ID: exit 3, distinct from failure.
id=$(ts "$W" submit --local ok.yaml 2>/dev/null | tail -1)
err=$(ts "$W" status zzzzzzzz 2>&1); rc=$?
is "$rc" 3 "unknown suite ID: exit 3"
like "$err" 'no suite "zzzzzzzz"' "the message names the ID"
is "$(lines "$err")" 1 "one line"
ts "$W" logs "$id" nosuchtask >/dev/null 2>&1; is $? 3 "unknown task: exit 3"

# Modes (issue 8): the journal is 0600, the run directory and manifests/
# are writable by nobody else.
is "$(stat -c %a "$W/.tshome/journal.db")" 600 "journal.db is created 0600"
is "$(find "$W/.tshome/suites/$id" "$W/.tshome/suites/$id/manifests" -maxdepth 0 -perm /022 | wc -l)" 0 \
    "the run directory and manifests/ are not group- or world-writable"

# An output_dir others could change: refused, one line, exit 1, nothing written.
mkdir -p "$W/groupw" "$W/rootdir" "$W/real"
chown "$TS_USER:" "$W/groupw" "$W/real"; chmod 775 "$W/groupw"; chmod 755 "$W/rootdir"
ln -sfn "$W/real" "$W/link"; chown -h "$TS_USER:" "$W/link"
for c in "groupw|is writable by its group \(mode 0775\)" "rootdir|is owned by uid 0, not by you" \
         "link|is a symbolic link, not a directory"; do
    d=${c%%|*} want=${c#*|}
    printf 'name: od\noutput_dir: %s\nrun: "true"\n' "$W/$d" | put "$W" "od-$d.yaml"
    rows=$(jsql "$W" "select count(*) from suites")
    before=$(user_job_count)
    err=$(ts "$W" submit --detach "od-$d.yaml" 2>&1); rc=$?
    is "$rc" 1 "output_dir $d: exit 1"
    like "$err" "^tasksuite submit: output_dir $W/$d $want" "output_dir $d: the message names it and says why"
    is "$(lines "$err")" 1 "output_dir $d: one line"
    is "$(jsql "$W" "select count(*) from suites")" "$rows" "output_dir $d: no suite in the journal"
    is "$(user_job_count)" "$before" "output_dir $d: no job queued"
done
is "$(find "$W/groupw" "$W/real" -mindepth 1 | wc -l)" 0 "nothing was written into the refused directories"

# A journal from a newer tasksuite: refused, untouched, exit 4.
cp "$W/.tshome/journal.db" "$W/newer.db"
sqlite3 "$W/.tshome/journal.db" 'PRAGMA user_version = 999'
sum=$(md5sum < "$W/.tshome/journal.db")
err=$(ts "$W" list 2>&1); rc=$?
is "$rc" 4 "journal with a newer schema: exit 4"
like "$err" 'schema version 999, newer than this tasksuite understands' "the message says why"
is "$(md5sum < "$W/.tshome/journal.db")" "$sum" "the newer journal was not modified"
cp "$W/newer.db" "$W/.tshome/journal.db"

# An unwritable journal directory: exit 4, nothing queued.
mkdir -p "$W/locked"; chmod 755 "$W/locked"   # owned by root, the test user cannot write
before=$(user_job_count)
err=$(as_user "$W" env TASKSUITE_HOME="$W/locked/home" "$TS_BIN" submit --detach ok.yaml 2>&1); rc=$?
is "$rc" 4 "unwritable journal directory: exit 4"
like "$err" "$W/locked/home.*Permission denied" "the message names the directory and the reason"
is "$(user_job_count)" "$before" "no job was queued"

# Slurm unreachable: exit 5, fast with a short MessageTimeout, nothing written.
sed -e 's/^SlurmctldPort=.*/SlurmctldPort=1/' -e 's/^MessageTimeout=.*/MessageTimeout=1/' \
    "$SLURM_CONF" > "$W/down.conf"
grep -q '^SlurmctldPort=1' "$W/down.conf" || sed -i 's/^SlurmctldHost=\(.*\)$/SlurmctldHost=\1\nSlurmctldPort=1/' "$W/down.conf"
chmod 644 "$W/down.conf"
rows=$(jsql "$W" "select count(*) from suites")
err=$(cd "$W" && runuser -u "$TS_USER" -- env SLURM_CONF="$W/down.conf" TASKSUITE_HOME="$W/.tshome" \
      "$TS_BIN" submit --detach ok.yaml 2>&1); rc=$?
is "$rc" 5 "Slurm unreachable: exit 5"
like "$err" 'cannot reach the Slurm controller' "the message says so"
is "$(lines "$err")" 1 "one line"
is "$(jsql "$W" "select count(*) from suites")" "$rows" "no suite was written to the journal"

# Slurm refuses the submission (a partition that does not exist): the
# controller's reason, and the suite is undone (journal and run directory).
put "$W" nopart.yaml <<'YAML'
name: nopart
slurm: {partition: nosuch}
run: "true"
YAML
rows=$(jsql "$W" "select count(*) from suites")
err=$(ts "$W" submit --detach nopart.yaml 2>&1); rc=$?
is "$rc" 5 "Slurm refuses the array: exit 5"
like "$err" 'submit array 0-0 of ts-[a-z0-9]{8}: Invalid partition name specified' "the controller's reason, and what was refused"
is "$(jsql "$W" "select count(*) from suites")" "$rows" "the refused suite is not left in the journal"
is "$(ls "$W/.tshome/suites" | wc -l)" "$(jsql "$W" "select count(*) from suites where output_dir like '%/.tshome/suites/%'")" \
    "no run directory is left behind"

done_testing

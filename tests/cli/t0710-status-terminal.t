#!/usr/bin/env bash
# t0710-status-terminal: `tasksuite status` for people, on a real
# pseudo-terminal (tests/cli/ptyrun.py): colours only on a terminal,
# NO_COLOR and --color=auto|always|never; lines fitted to the terminal's
# width (the progress bar counted with its brackets); --watch [SECONDS] redraws in place until the suite ends, Ctrl-C
# ends it with 0; a long suite grouped by state, failing tasks first.
# Issue 15.
. "$(dirname "$0")/local.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
pty() {   # pty ROWS COLS TIMEOUT CTRLC_AFTER [VAR=VALUE...] -- tasksuite ARGS...
    local rows=$1 cols=$2 t=$3 c=$4; shift 4
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    python3 "$(dirname "$0")/ptyrun.py" "$rows" "$cols" "$t" "$c" -- \
        runuser -u "$TS_USER" -- env -u NO_COLOR TERM=xterm HOME="/home/$TS_USER" \
        TASKSUITE_HOME="$w/.tshome" PATH="$TS_PREFIX/bin:/usr/bin:/bin" "${envs[@]}" "$TS_BIN" "$@"
}
plain() { sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e 's/\r$//'; }
widest() { LC_ALL=C.UTF-8; local m=0 l; while IFS= read -r l; do [ "${#l}" -gt "$m" ] && m=${#l}; done; echo "$m"; }

# --- a long suite: 60 tasks, some fail, one gracefully times out (no retry)
put "$w" long.yaml <<'YAML'
name: long-suite-with-a-rather-long-name
resume:
  max_retries: 0
run: 'case %(n) in 7|23|41) exit 1 ;; 30) exit 75 ;; esac'
matrix:
  n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60]
YAML
out=$(ts "$w" submit --local long.yaml 2>&1)
id=$(printf '%s\n' "$out" | head -1)
is "$(count_state "$w" "$id" failed)/$(count_state "$w" "$id" timeout)" "3/1" "the long suite ran: 3 failed, 1 timeout" || diag "$out"

out=$(pty 40 100 30 0 -- status "$id"); rc=$?
is "$rc" 0 "status on a terminal exits 0"
like "$out" $'\033\\[31mfailed' "failed tasks are red on a terminal"
like "$out" $'\033\\[33mtimeout' "a timed-out task is yellow"
rows=$(plain <<<"$out" | sed -n '/^TASK /,/^\xe2\x80\xa6/p' | sed '1d;$d' | awk '{print $2}' | tr '\n' ' ')
is "$rows" "failed failed failed timeout " "a long suite lists the failing tasks first, grouped by state"
like "$(plain <<<"$out")" "56 completed tasks not shown" "and counts the completed ones"
like "$(plain <<<"$out")" "counts: +pending 0, running 0, completed 56, failed 3," "the counters summarise every state"

out=$(pty 40 100 30 0 NO_COLOR=1 -- status "$id")
unlike "$out" $'\033\\[3[0-9]m' "NO_COLOR: no colour on a terminal"
out=$(pty 40 100 30 0 NO_COLOR=1 -- status "$id" --color=always)
like "$out" $'\033\\[31mfailed' "--color=always wins over NO_COLOR"
out=$(pty 40 100 30 0 -- status "$id" --color=never)
unlike "$out" $'\033\\[3[0-9]m' "--color=never: no colour on a terminal"
out=$(ts "$w" status "$id" --color=always 2>&1)
like "$out" $'\033\\[31mfailed' "--color=always colours into a pipe"
out=$(ts "$w" status "$id" 2>&1)
unlike "$out" $'\033\\[' "no colour codes into a pipe by default"
out=$(ts "$w" status "$id" --color=blue 2>&1); rc=$?
is "$rc" 2 "--color=blue is a usage error"
like "$out" "^tasksuite status: --color: \"blue\" is not auto, always or never$" "... saying what is allowed"

for cols in 60 100; do
    out=$(pty 40 "$cols" 30 0 -- status "$id" --all)
    wid=$(plain <<<"$out" | widest)
    ok "$([ "$wid" -le "$cols" ]; echo $?)" "on a $cols-column terminal no line is wider than $cols ($wid)" ||
        diag "$(plain <<<"$out" | head -12)"
done

# --- --watch SECONDS: redrawn in place until the suite ends
put "$w" slow.yaml <<'YAML'
name: slow
run: sleep 1.%(n)
matrix:
  n: [1, 2, 3]
YAML
out=$(ts "$w" submit --local --detach slow.yaml 2>&1)
sid=$(printf '%s\n' "$out" | head -1)
out=$(pty 30 100 60 0 -- status "$sid" --watch 0.5); rc=$?
is "$rc" 0 "--watch 0.5 ends by itself when the suite completes (exit 0)"
frames=$(grep -o $'\033\\[H' <<<"$out" | wc -l)
ok "$([ "$frames" -ge 2 ]; echo $?)" "it drew several frames ($frames)"
is "$(grep -o $'\033\\[2J' <<<"$out" | wc -l)" 1 "the screen is cleared once, later frames overwrite in place"
like "$out" $'\033\\[K' "each line erases what the last frame left on it"
like "$(plain <<<"$out" | tail -15)" "state: +complete" "the last frame shows the suite complete"
like "$(plain <<<"$out")" "refreshing every 0.5 s" "the frames say how often they refresh"

# --- Ctrl-C ends --watch with 0; the interval as --watch=SECONDS
put "$w" long-run.yaml <<'YAML'
name: longrun
run: sleep 60
YAML
out=$(ts "$w" submit --local --detach long-run.yaml 2>&1)
lid=$(printf '%s\n' "$out" | head -1)
out=$(pty 30 100 30 1.5 -- status "$lid" --watch=1); rc=$?
is "$rc" 0 "Ctrl-C ends --watch=1 with exit 0"
like "$(plain <<<"$out")" "refreshing every 1 s" "--watch=1 refreshes every second"
ts "$w" cancel "$lid" >/dev/null 2>&1
out=$(ts "$w" status "$lid" --watch=x 2>&1); rc=$?
is "$rc" 2 "--watch=x is a usage error"
out=$(ts "$w" status --watch 2 "$lid" 2>&1 | tail -1); rc=$?
like "$out" "^[0-9-]+ [0-9:]+ $lid cancelled" "--watch 2 ID: the number is the interval, the ID the suite (not a terminal: a line)"

done_testing

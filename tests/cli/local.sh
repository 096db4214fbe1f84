# local.sh: helpers for the --local executor tests (t0200-local-*.t), on
# top of lib.sh: where a suite's runner is recorded, what is still open.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A suite's run directory (the default place under the test's journal).
suite_dir() {   # suite_dir DIR ID
    echo "$1/.tshome/suites/$2"
}

# The pid its local runner recorded ("" when none).
runner_pid() {   # runner_pid DIR ID
    local f
    f="$(suite_dir "$1" "$2")/local-runner"
    [ -f "$f" ] && cut -d' ' -f1 "$f"
}

# How many of the suite's tasks are in STATE (from status --json).
count_state() {   # count_state DIR ID STATE
    ts "$1" status "$2" --json 2>/dev/null | grep -E "^[[:space:]]*\"$3\":" | head -1 | tr -dc '0-9'
}

# True when no task is pending or running.
nothing_open() {   # nothing_open DIR ID
    [ "$(count_state "$1" "$2" pending)" = 0 ] && [ "$(count_state "$1" "$2" running)" = 0 ]
}

# The pid of the test user's process whose command line is exactly CMDLINE
# (arguments joined by spaces), "" when none.
pid_of() {   # pid_of CMDLINE
    local p
    for p in $(pgrep -u "$TS_USER" -x tasksuite); do
        [ "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" = "$1 " ] && { echo "$p"; return; }
    done
}

# True while process PID exists (and is no zombie).
alive() {   # alive PID
    [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

# Predicates for wait_for (evaluated at each poll, unlike a $(...) argument).
has_runner() {   # has_runner DIR ID
    [ -n "$(runner_pid "$1" "$2")" ]
}
state_at_least() {   # state_at_least DIR ID STATE N
    local n
    n=$(count_state "$1" "$2" "$3")
    [ -n "$n" ] && [ "$n" -ge "$4" ]
}
has_pid_of() {   # has_pid_of CMDLINE
    [ -n "$(pid_of "$1")" ]
}
gone() {   # gone PID
    ! alive "$1"
}

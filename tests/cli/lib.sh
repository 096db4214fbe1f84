# lib.sh: helpers for the command-line tests that need no Slurm at all
# (the --local executor, validate, messages, help): what a user on a laptop
# or a login node without a slurm.conf has. tests/run-all runs every
# tests/cli/*.t after the build, before any cluster is started, with
# SLURM_CONF unset; the commands run as the unprivileged user $TS_USER.

: "${TS_PREFIX:?TS_PREFIX must be the install prefix of the build under test}"
unset SLURM_CONF
TS_USER=${TS_USER:-tsuser}
TS_BIN=$TS_PREFIX/bin/tasksuite

. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

# Run a command as the test user in DIR, with no Slurm configuration around.
as_user() {   # as_user DIR CMD...
    local dir=$1; shift
    (cd "$dir" && runuser -u "$TS_USER" -- env -u TASKSUITE_HOME -u SLURM_CONF HOME="/home/$TS_USER" \
        PATH="$TS_PREFIX/bin:/usr/bin:/bin" "$@")
}

# tasksuite as the test user, with a journal private to the test's dir.
ts() {   # ts DIR ARGS...
    local dir=$1; shift
    as_user "$dir" env TASKSUITE_HOME="$dir/.tshome" "$TS_BIN" "$@"
}

# SQL against a test's journal (read-only use).
jsql() {   # jsql DIR SQL
    sqlite3 -readonly -cmd ".timeout 10000" "$1/.tshome/journal.db" "$2"
}

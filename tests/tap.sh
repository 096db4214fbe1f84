# tap.sh: the TAP helpers every shell test sources (tests/slurm/lib.sh for
# the tests against a cluster, tests/cli/lib.sh for those without Slurm).
# Needs TS_USER (the unprivileged user tests run commands as).

_tap_n=0
_tap_failed=0

ok() {   # ok COND-STATUS NAME
    local status=$1; shift
    _tap_n=$((_tap_n + 1))
    if [ "$status" -eq 0 ]; then
        echo "ok $_tap_n - $*"
    else
        echo "not ok $_tap_n - $*"
        _tap_failed=$((_tap_failed + 1))
    fi
}

is() {   # is GOT WANT NAME
    local got=$1 want=$2; shift 2
    if [ "$got" == "$want" ]; then
        ok 0 "$*"
    else
        ok 1 "$*"
        printf '#      got: %s\n# expected: %s\n' "$got" "$want"
    fi
}

like() {   # like TEXT REGEX NAME  (grep -E)
    local text=$1 re=$2; shift 2
    if printf '%s\n' "$text" | grep -Eq -- "$re"; then
        ok 0 "$*"
    else
        ok 1 "$*"
        printf '# text: %s\n# does not match: %s\n' "$(printf '%s' "$text" | head -c 600)" "$re"
    fi
}

unlike() {   # unlike TEXT REGEX NAME
    local text=$1 re=$2; shift 2
    if printf '%s\n' "$text" | grep -Eq -- "$re"; then
        ok 1 "$*"
        printf '# text: %s\n# unexpectedly matches: %s\n' "$(printf '%s' "$text" | head -c 600)" "$re"
    else
        ok 0 "$*"
    fi
}

# A check of a known, documented open finding (TAP TODO): it runs and says
# how it went; a failure is reported as "not ok ... # TODO", not counted.
todo() {   # todo COND-STATUS REASON NAME
    local status=$1 reason=$2; shift 2
    _tap_n=$((_tap_n + 1))
    if [ "$status" -eq 0 ]; then
        echo "ok $_tap_n - $* # TODO $reason (passed this time)"
    else
        echo "not ok $_tap_n - $* # TODO $reason"
    fi
}

diag() { printf '# %s\n' "$*"; }

done_testing() {
    echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
}

# A fresh scratch dir owned by the test user, removed at exit.
mk_workdir() {
    local d
    d=$(mktemp -d "/tmp/ts-test.XXXXXX")
    chmod 755 "$d"
    chown "$TS_USER:" "$d"
    echo "$d"
}

# Write a file owned by the test user (stdin -> DIR/NAME).
put() {   # put DIR NAME < content
    cat > "$1/$2"
    chown "$TS_USER:" "$1/$2"
}

# Poll until CMD succeeds (every 0.5 s) or TIMEOUT seconds pass.
wait_for() {   # wait_for TIMEOUT CMD...
    local limit=$1 i; shift
    for ((i = 0; i < limit * 2; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# need_built VAR RELPATH: VAR = the path of a helper program `make check`
# builds (under TS_BUILD_DIR, else the source tree's build/). Missing, it is
# one failed check and the test ends: a broken build, never a skip.
need_built() {
    local p
    p=${TS_BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}/$2
    if [ ! -x "$p" ]; then
        echo "not ok 1 - $p is missing (make check builds it; TS_BUILD_DIR names the build tree)"
        echo "1..1"
        exit 1
    fi
    printf -v "$1" '%s' "$p"
}

# report-check.sh: browser_checks, the checks of a `tasksuite report` page
# in a real headless Chromium (tests/report-check.py), as TAP points of the
# calling test (source it after tap.sh). No chromium: one point, skipped,
# that says so (tests/deps installs Debian's chromium: CI never skips).

browser_checks() {   # browser_checks PAGE STATUS_JSON WORKDIR [COLOURS]
    local out rc line
    out=$(python3 "$(dirname "${BASH_SOURCE[0]}")/report-check.py" "$1" "$2" "$3" \
          ${4:+--colours "$4"} 2>&1); rc=$?
    if [ "$rc" -eq 77 ]; then
        ok 0 "the page in a headless Chromium # SKIP no chromium on this machine (tests/deps installs it)"
        return 0
    fi
    [ "$rc" -eq 0 ] || { ok 1 "report-check.py ran (exit $rc)"; diag "$out"; return 0; }
    while IFS= read -r line; do
        case "$line" in
        "ok - "*) ok 0 "${line#ok - }" ;;
        "not ok - "*) ok 1 "${line#not ok - }" ;;
        *) printf '%s\n' "$line" ;;
        esac
    done <<<"$out"
}

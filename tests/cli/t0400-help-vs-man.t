#!/usr/bin/env bash
# t0400-help-vs-man: the help and the docs say what the program does.
#  - every option tasksuite(1) gives a command (its SYNOPSIS line, its .SS
#    header, its .B/.BI option paragraphs) appears in `tasksuite CMD --help`,
#    and every command appears in the top-level --help with its options;
#  - each --help lists its options one per line;
#  - every suite-file example (```yaml blocks of README.md and doc/*.md, the
#    EXAMPLE of tasksuite-suite(5)) passes `tasksuite validate`. Markers, as
#    a YAML comment line inside the block: `# invalid: WHY` (must be refused),
#    `# runs-locally` (also run with `submit --local`, which must exit 0).
#    A block without a marker needs Slurm or files we do not have
#    (partitions, GPUs, train.py): it is only validated.
. "$(dirname "$0")/lib.sh"

src=$(cd "$(dirname "$0")/../.." && pwd)
w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
man1=$src/doc/tasksuite.1.in

# roff to text: \- is -, \e is \, font escapes dropped.
unroff() { sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g'; }

top=$(ts "$w" --help 2>&1)
ok $? "tasksuite --help exits 0"
cmds=$(unroff < "$man1" | sed -n 's/^\.SS "tasksuite \([a-z]*\) .*/\1/p' | sort -u)
ok "$([ -n "$cmds" ]; echo $?)" "the man page names commands (${cmds//$'\n'/ })"

for cmd in $cmds; do
    # the options the man page gives this command
    opts=$( { unroff < "$man1" | grep -E "^tasksuite $cmd( |$)"          # SYNOPSIS
              unroff < "$man1" | grep -E "^\.SS \"tasksuite $cmd( |\")"  # header
              unroff < "$man1" | awk -v c="$cmd" '
                  /^\.SS "tasksuite / { on = ($0 ~ "^\\.SS \"tasksuite " c "( |\")") ; next }
                  /^\.S[HS]/ { on = 0 }
                  on && /^\.BI? --/ { print }'
            } | grep -oE -- '--[a-z][a-z-]*' | sort -u)
    help=$(ts "$w" "$cmd" --help 2>&1)
    missing=""
    for o in $opts; do
        grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" <<<"$help" || missing="$missing $o"
    done
    is "$missing" "" "$cmd --help has every option tasksuite(1) gives it (${opts//$'\n'/ })"
    topmissing=""
    line=$(grep -E "^  $cmd( |$)" <<<"$top")
    for o in $opts; do
        grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" <<<"$line" || topmissing="$topmissing $o"
    done
    is "$topmissing" "" "tasksuite --help lists $cmd with its options"
    if [ "$cmd" != exec ]; then
        # one line per option: "  --opt ...  description"
        nopt=$(grep -cE -- '^  --[a-z]' <<<"$help")
        nlong=$(grep -oE -- '^  --[a-z][a-z-]*' <<<"$help" | sort -u | wc -l)
        is "$nopt" "$nlong" "$cmd --help: one line per option"
    fi
done

# ---------------------------------------------------------------- examples
n=0
extract_md() {   # extract_md FILE: every ```yaml block into $w/ex-N.yaml
    awk -v dir="$w" -v base="$(basename "$1")" '
        /^```yaml[ \t]*$/ { on = 1; k++; f = sprintf("%s/ex-%s-%d.yaml", dir, base, k); next }
        on && /^```/ { on = 0; close(f); next }
        on { print > f }' "$1"
}
for f in "$src"/README.md "$src"/doc/*.md; do extract_md "$f"; done
unroff < "$src/doc/tasksuite-suite.5.in" |
    awk -v f="$w/ex-tasksuite-suite.5-1.yaml" '
        /^\.SH EXAMPLE/ { want = 1; next }
        want && /^\.nf/ { on = 1; next }
        on && /^\.fi/ { exit }
        on { print > f }'
chown "$TS_USER:" "$w"/ex-*.yaml
ran=0
for f in "$w"/ex-*.yaml; do
    n=$((n + 1))
    name=${f#"$w"/ex-}
    out=$(ts "$w" validate "$f" 2>&1); rc=$?
    if grep -q '^ *# invalid:' "$f"; then
        is "$rc" 1 "example $name is refused as marked (# invalid)"
        continue
    fi
    is "$rc" 0 "example $name validates" || diag "$out"
    unlike "$out" "^warning:" "example $name validates without a warning (users copy it)"
    if grep -q '^ *# runs-locally' "$f"; then
        ran=$((ran + 1))
        out=$(ts "$w" submit --local "$f" 2>&1); rc=$?
        is "$rc" 0 "example $name runs with submit --local" || diag "$out"
    fi
done
ok "$([ "$n" -ge 4 ]; echo $?)" "found the examples ($n)"
ok "$([ "$ran" -ge 1 ]; echo $?)" "at least one example runs locally ($ran)"

done_testing

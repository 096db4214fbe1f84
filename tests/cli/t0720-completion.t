#!/usr/bin/env bash
# t0720-completion: the installed bash completion, driven the way bash
# drives it (COMP_WORDS/COMP_CWORD, then COMPREPLY), as the test user:
# commands (internal ones hidden), each command's options (read from its
# --help), the user's suite IDs, a suite's task names (logs ID TASK,
# --task NAME), option values, files for submit.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
comp=$TS_PREFIX/share/bash-completion/completions/tasksuite
ok "$([ -r "$comp" ]; echo $?)" "make install / the package put the completion at $comp"
bash -n "$comp"
ok $? "the completion file is valid bash"

put "$w" sweep.yaml <<'YAML'
name: comp
run: "true"
matrix: {n: [1, 2]}
tasks:
  - {name: baseline, args: {n: 0}}
YAML
id=$(ts "$w" submit --local sweep.yaml 2>/dev/null | head -1)
like "$id" '^[a-z0-9]{8}$' "a --local suite to complete against ($id)"

# complete WORD...: the words typed, the last one being completed, set up
# as bash does (COMP_LINE, COMP_POINT at its end, COMP_WORDS, COMP_CWORD;
# NO_LINE=1: only the last two, as an older caller might); prints COMPREPLY
# sorted on one line.
complete_words() {
    as_user "$w" env TASKSUITE_HOME="$w/.tshome" COMP_FILE="$comp" NO_LINE="${NO_LINE:-}" bash -c '
        . "$COMP_FILE"
        COMP_WORDBREAKS=${COMP_WORDBREAKS:-$'"'"' \t\n"\x27><=;|&(:'"'"'}
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        if [ -z "$NO_LINE" ]; then COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; fi
        _tasksuite tasksuite
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' _ "$@"
}

out=$(complete_words tasksuite "")
like "$out" '(^| )submit( |$)' "commands: submit is offered"
like "$out" '(^| )status .*validate' "commands: status ... validate"
unlike "$out" '(^| )(exec|reconcile|local-runner|pool-agent)( |$)' "internal commands are not offered"
is "$(complete_words tasksuite s)" "status submit sync" "a prefix narrows the commands"
is "$(complete_words tasksuite --v)" "--version" "top-level options"

is "$(complete_words tasksuite status --)" "--all --color --help --json --watch" "status options, from status --help"
out=$(complete_words tasksuite submit --)
like "$out" '--detach.*--dry-run.*--local' "submit options"
is "$(complete_words tasksuite status "")" "$id" "status: the user's suite ID"
is "$(complete_words tasksuite cancel "${id:0:3}")" "$id" "cancel: an ID prefix completes"
is "$(complete_words tasksuite logs "$id" "")" "baseline n=1 n=2" "logs ID: the suite's task names"
is "$(complete_words tasksuite retry "$id" --task b)" "baseline" "retry ID --task: a task name"
# bash splits "n=" at "=" (COMP_WORDBREAKS): readline replaces only what
# follows it, so the replies are the rest of the names.
is "$(complete_words tasksuite logs "$id" n=)" "1 2" "logs ID n=: the rest of the matrix task names"
is "$(NO_LINE=1 complete_words tasksuite logs "$id" "")" "baseline n=1 n=2" "without COMP_LINE: COMP_WORDS alone"
is "$(complete_words tasksuite list --state c)" "cancelled closed complete" "list --state: the states"
is "$(complete_words tasksuite remaining --format "")" "hms s" "remaining --format: s and hms"
is "$(complete_words tasksuite submit swe)" "sweep.yaml" "submit: file names"
is "$(complete_words tasksuite status "$id" "")" "" "status takes one ID: nothing after it"

done_testing

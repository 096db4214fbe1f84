#!/usr/bin/env bash
# t0496-skypilot-corpus: the SkyPilot task files of tests/slurm/data/skypilot
# (its README.md says what the markers mean) validate, or are refused by
# name; the ones marked run-local run with `submit --local` and their own
# checks of the environment pass. Then what SkyPilot users rely on around
# envs and secrets: a null value given at submit (--env, --env-file, the
# environment) or one clear error and nothing submitted; a secret's value
# never in validate's output, the journal, `status --json` or tasksuite's
# own logs.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cp -r "$SRC/tests/slurm/data/skypilot" "$w/corpus" && chown -R "$TS_USER" "$w"
c=$w/corpus

n=$(ls "$c"/*.yaml | wc -l)
[ "$n" -ge 15 ]; ok $? "the corpus has at least 15 task files ($n)"

markers() { sed -n "s/^# $2: *//p" "$1"; }   # markers FILE NAME

for f in "$c"/*.yaml; do
    b=$(basename "$f")
    out=$(ts "$w" validate "corpus/$b" 2>&1 >/dev/null); rc=$?
    refused=$(markers "$f" corpus | sed -n 's/^refused //p')
    if [ -n "$refused" ]; then
        is "$rc" 1 "$b is refused"
        is "$(wc -l <<<"$out")" 1 "$b: in one line"
        like "$out" "^corpus/$b:[0-9]+:[0-9]+: $refused: " "$b: the error names $refused"
        continue
    fi
    is "$rc" 0 "$b validates" || diag "$out"
    for k in $(markers "$f" warns); do
        like "$out" "warning: corpus/$b:[0-9]+:[0-9]+: $k: " "$b: warns about $k"
    done
    if markers "$f" corpus | grep -qx run-local; then
        envs=()
        for e in $(markers "$f" env); do envs+=(--env "$e"); done
        out=$(ts "$c" submit --local "${envs[@]}" "$b" 2>&1); rc=$?
        is "$rc" 0 "$b runs with submit --local, its checks pass" || diag "$out"
    fi
done

# ------------------------------------------------------- null values, --env
before=$(jsql "$c" "select count(*) from suites")
out=$(ts "$c" submit --local --detach 08-null-env.yaml 2>&1); rc=$?
is "$rc" 1 "a null env not given at submit: refused"
is "$(wc -l <<<"$out")" 1 "in one line"
like "$out" '^08-null-env\.yaml:[0-9]+:[0-9]+: envs\.HF_TOKEN: has no value' \
    "it names the key with file:line:col"
like "$out" '--env HF_TOKEN=VALUE' "and says how to give it"
is "$(jsql "$c" "select count(*) from suites")" "$before" "nothing was submitted"

out=$(as_user "$c" env TASKSUITE_HOME="$c/.tshome" HF_TOKEN=hf_given_at_submit \
      "$TS_BIN" submit --local --new 08-null-env.yaml 2>&1)
is "$?" 0 "the caller's environment gives it" || diag "$out"

printf '# a comment\n\nexport HF_TOKEN="hf_given_at_submit"\n' >"$c/tok.env"
chown "$TS_USER" "$c/tok.env"
out=$(ts "$c" submit --local --new --env-file tok.env 08-null-env.yaml 2>&1)
is "$?" 0 "--env-file gives it" || diag "$out"

printf 'HF_TOKEN\n' >"$c/bad.env"; chown "$TS_USER" "$c/bad.env"
out=$(ts "$c" submit --local --new --env-file bad.env 08-null-env.yaml 2>&1)
is "$?" 2 "--env-file with a line that is not KEY=VALUE: a usage error"
like "$out" 'bad\.env:1: expected KEY=VALUE' "naming file:line"

out=$(ts "$c" submit --local --new --env 1BAD=x 08-null-env.yaml 2>&1)
is "$?" 2 "--env with a bad name: a usage error"

# --------------------------------------------------------------- secrets
out=$(ts "$c" validate 09-secrets.yaml 2>&1; ts "$c" validate --json 09-secrets.yaml 2>&1)
unlike "$out" 'pw-in-file-7d1e' "validate (text and --json) never shows a secret's value"
like "$out" 'DB_PASSWORD' "but names the secret"
out=$(ts "$c" submit --local --new --env WANDB_API_KEY=wandb-from-submit 09-secrets.yaml 2>&1)
is "$?" 0 "a suite with secrets runs" || diag "$out"
id=$(ts "$c" status --json 2>/dev/null | sed -n 's/^[[:space:]]*"id":[[:space:]]*"\([a-z0-9]*\)".*/\1/p' | head -n1)
out=$(ts "$c" status --json "$id" 2>&1)
unlike "$out" 'pw-in-file-7d1e|wandb-from-submit' "status --json shows no secret"
# (wandb-from-submit is in the file too, in its "# env:" marker comment)
leak=$(grep -rlaE 'pw-in-file-7d1e' "$c/.tshome" 2>/dev/null \
       | grep -vE '/secrets\.json$|/stdout$|/stderr$')
is "$leak" "" "the journal and tasksuite's own files hold no secret (only secrets.json, 0400)"
mode=$(find "$c/.tshome" -name secrets.json -printf '%m\n' | sort -u)
is "$mode" 400 "secrets.json is readable by its owner only"

# ------------------------------------------------------------ alternatives
out=$(ts "$c" submit --local --new 04-any-of.yaml 2>&1)
like "$out" 'resources\.any_of: using alternative 1 of 2' "--local names the alternative it took"

done_testing

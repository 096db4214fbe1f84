#!/usr/bin/env bash
# t0510-dag-validate: depends_on inside a suite (issue 14), with no Slurm:
# validate refuses unknown names, self-dependencies and cycles at their
# file:line:col, prints the order of a diamond, of stages (per-element edges
# marked) and of a 2-document chain file, with the edges in --json; submit
# --local refuses a graph it does not follow, writing nothing.
. "$(dirname "$0")/lib.sh"

w=$(mk_workdir); trap 'rm -rf "$w"' EXIT

put "$w" unknown.yaml <<'YAML'
run: echo hi
tasks:
  - name: a
    depends_on: [nope]
YAML
out=$(ts "$w" validate unknown.yaml 2>&1); rc=$?
is "$rc" 1 "an unknown name: invalid (exit 1)"
is "$out" 'unknown.yaml:4:18: tasks[0].depends_on[0]: "nope" is not a task of this suite (a suite-level depends_on names other suites)' \
    "an unknown name: one line at its file:line:col"

put "$w" self.yaml <<'YAML'
run: echo hi
tasks:
  - {name: a}
  - {name: b, depends_on: [a, b]}
YAML
out=$(ts "$w" validate self.yaml 2>&1); rc=$?
is "$rc" 1 "a self-dependency: invalid"
is "$out" 'self.yaml:4:31: tasks[1].depends_on[1]: "b" cannot depend on itself' \
    "a self-dependency: at the item"

put "$w" cycle.yaml <<'YAML'
run: echo hi
stages:
  - name: a
    depends_on: [c]
  - name: b
    depends_on: [a]
  - name: c
    depends_on: [b]
YAML
out=$(ts "$w" validate cycle.yaml 2>&1); rc=$?
is "$rc" 1 "a cycle: invalid"
is "$out" 'cycle.yaml:4:18: stages[0].depends_on[0]: "c" makes a cycle: b -> c -> a -> b' \
    "a cycle: at the item, the loop named"

put "$w" diamond.yaml <<'YAML'
name: diamond
run: echo %(x)
tasks:
  - {name: a, args: {x: 1}}
  - {name: b, args: {x: 2}, depends_on: [a]}
  - {name: c, args: {x: 3}, depends_on: [a]}
  - {name: d, args: {x: 4}, depends_on: [b, c]}
YAML
out=$(ts "$w" validate diamond.yaml 2>&1); rc=$?
is "$rc" 0 "a diamond is valid"
like "$out" $'\norder: a -> b -> c -> d\n' "validate prints the order"
like "$out" $'\nnode d: 1 task, after b, c' "and what each waits for"
out=$(ts "$w" validate --json diamond.yaml 2>&1)
is "$(printf '%s' "$out" | jq -c '.graph.edges | length')" 4 "--json: 4 edges"
is "$(printf '%s' "$out" | jq -r '.graph.edges[3] | "\(.from)>\(.to):\(.type)"')" "c>d:afterok" \
    "--json: each edge with its Slurm dependency type"

put "$w" pipe.yaml <<'YAML'
name: pipe
stages:
  - name: align
    matrix: {sample: [1, 2, 3]}
    run: echo align %(sample)
  - name: call
    matrix: {sample: [1, 2, 3]}
    resources: {cpus: 2}
    run: echo call %(sample)
    depends_on: [align]
  - name: report
    run: echo report
    depends_on: [call]
YAML
out=$(ts "$w" validate pipe.yaml 2>&1); rc=$?
is "$rc" 0 "stages are valid"
like "$out" $'order: align -> call -> report\nstage align: 3 tasks\nstage call: 3 tasks, after align \\(per element\\)\nstage report: 1 task, after call' \
    "stages: the order, per-element edges marked"
like "$out" $'== stage call\n.*--cpus-per-task=2' "a stage keeps its own resources"

put "$w" chain.yaml <<'YAML'
name: pipeline
---
name: train
resources: {cpus: 2}
run: echo train
---
name: eval
run: echo eval
YAML
out=$(ts "$w" validate chain.yaml 2>&1); rc=$?
is "$rc" 0 "a 2-document chain file is valid"
like "$out" $'^suite pipeline \\(chain.yaml\\): 2 stages \\(chain file\\)\norder: train -> eval' \
    "a chain: one stage per document, in order"

out=$(ts "$w" submit --local diamond.yaml 2>&1); rc=$?
is "$rc" 1 "submit --local refuses a graph it does not follow yet"
is "$out" 'diamond.yaml: depends_on between tasks is not followed by --local yet (see doc/dags.md); submit it to Slurm without it' \
    "and says why, in one line"
[ ! -e "$w/.tshome/journal.db" ] || [ "$(jsql "$w" 'select count(*) from suites')" = 0 ]
ok $? "nothing was written to the journal"

done_testing

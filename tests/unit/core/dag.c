/* Unit tests for dag.c and the graph parts of the loader (spec_stages.c):
 * depends_on on tasks and stages, chain files, the errors with their
 * file:line:col, the order, and the Slurm dependency of each chunk. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "spec.h"
#include "tap.h"

static ts_suite *parse(const char *text, ts_err *err)
{
    ts_suite *s = NULL;

    memset(err, 0, sizeof *err);
    if (ts_spec_parse("t.yaml", text, strlen(text), &s, err) < 0)
        return NULL;
    return s;
}

static const struct {
    const char *yaml, *want;
} bad[] = {
    { "run: x\ntasks:\n  - name: a\n    depends_on: [nope]\n",
      "t.yaml:4:18: tasks[0].depends_on[0]: \"nope\" is not a task of this "
      "suite (a suite-level depends_on names other suites)" },
    { "run: x\ntasks:\n  - {name: a, depends_on: [a]}\n",
      "t.yaml:3:28: tasks[0].depends_on[0]: \"a\" cannot depend on itself" },
    { "run: x\nstages:\n  - {name: a, depends_on: [b]}\n"
      "  - {name: b, depends_on: [a]}\n",
      "t.yaml:3:28: stages[0].depends_on[0]: \"b\" makes a cycle: b -> a -> b" },
    { "run: x\nstages:\n  - {name: a}\n  - {name: b, depends_on: [c]}\n"
      "  - {name: c, depends_on: [d]}\n  - {name: d, depends_on: [b]}\n",
      "t.yaml:4:28: stages[1].depends_on[0]: \"c\" makes a cycle: "
      "d -> c -> b -> d" },
    { "run: x\nstages:\n  - {name: a}\n  - {name: a}\n",
      "t.yaml:4:5: stages[1].name: \"a\" is already the name of stages[0]" },
    { "run: x\nstages:\n  - {run: y}\n",
      "t.yaml:3:5: stages[0]: name: is required (other stages' depends_on "
      "use it)" },
    { "run: x\nstages:\n  - {name: a, workdir: /tmp}\n",
      "t.yaml:3:15: stages[0].workdir: unknown key (use an \"x-\" prefix for "
      "extensions)" },
    { "stages:\n  - {name: a}\n",
      "t.yaml:2:5: stages[0]: run: is required (in the stage or at the top "
      "level)" },
    { "run: x\nmatrix: {i: [1]}\nstages:\n  - {name: a}\n",
      "t.yaml:1:1: stages: cannot be used with a top-level matrix: or tasks: "
      "(put them in a stage)" },
    { "run: x\nstages:\n  - name: a\n    run: echo %(i)\n",
      "t.yaml:4:10: run: %(i) has no value: there is no matrix: or tasks: to "
      "give it one" },
    { "run: x\nstages:\n  - name: a\n    tasks: [{name: t, depends_on: [u]}]\n",
      "t.yaml:4:36: stages[0]: depends_on inside a stage's tasks: give it to "
      "the stage" },
    { "run: x\n---\nrun: y\nstages: [{name: a}]\n",
      "t.yaml:3:1: stages: not in a chain file: each document is a stage "
      "that runs after the one before it" },
    { "name: a\nrun: x\n---\nname: a\nrun: y\n",
      "t.yaml:4:1: name: \"a\" is already the name of an earlier document" },
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_err err;
        ts_suite *s = parse(bad[i].yaml, &err);

        ok(s == NULL, "refused: %s", bad[i].want);
        is_str(err.msg, bad[i].want, "message");
        ts_spec_free(s);
    }
}

static void test_diamond(void)
{
    ts_err err;
    ts_suite *s = parse("run: echo %(x)\ntasks:\n"
                        "  - {name: d, args: {x: 4}, depends_on: [b, c]}\n"
                        "  - {name: c, args: {x: 3}, depends_on: [a]}\n"
                        "  - {name: b, args: {x: 2}, depends_on: [a]}\n"
                        "  - {name: a, args: {x: 1}}\n", &err);
    ts_dag g;

    ok(s != NULL, "diamond parses: %s", err.msg);
    if (!s)
        return;
    ok(ts_dag_build(s, &g, &err) == 0 && g.n == 4, "diamond: 4 nodes");
    is_str(g.v[g.order[0]].name, "a", "a first");
    is_str(g.v[g.order[1]].name, "c", "then c (file order among equals)");
    is_str(g.v[g.order[2]].name, "b", "then b");
    is_str(g.v[g.order[3]].name, "d", "d last");
    is_int((long long)g.level[ts_dag_find(&g, "d")], 2, "d is at level 2");
    ok(!g.v[0].ups[0].corr, "task edges wait for the whole task");
    ts_dag_free(&g);
    ts_spec_free(s);
}

static void test_no_graph(void)
{
    ts_err err;
    ts_suite *s = parse("run: x\ndepends_on: [other-suite]\n"
                        "tasks: [{name: a}, {name: b}]\n", &err);
    ts_dag g;

    ok(s && ts_dag_build(s, &g, &err) == 0 && g.n == 0,
       "no task depends_on: no graph (the suite-level one names suites)");
    ts_spec_free(s);
}

static const char stages_yaml[] =
    "run: echo default\n"
    "stages:\n"
    "  - name: align\n"
    "    matrix: {sample: [1, 2, 3, 4, 5]}\n"
    "    run: echo %(sample)\n"
    "  - name: call\n"
    "    matrix: {sample: [1, 2, 3, 4, 5]}\n"
    "    run: echo %(sample)\n"
    "    resources: {cpus: 2}\n"
    "    depends_on: [align]\n"
    "  - name: other\n"
    "    matrix: {sample: [1, 2, 3, 4, 6]}\n"
    "    depends_on: [align]\n"
    "  - name: report\n"
    "    depends_on: [call, other]\n";

static void test_stages(void)
{
    ts_err err;
    ts_suite *s = parse(stages_yaml, &err);
    ts_dag g;

    ok(s != NULL, "stages parse: %s", err.msg);
    if (!s)
        return;
    ok(ts_dag_build(s, &g, &err) == 0 && g.n == 4, "4 stages");
    long call = ts_dag_find(&g, "call"), other = ts_dag_find(&g, "other"),
         report = ts_dag_find(&g, "report");
    ok(g.v[call].nups == 1 && g.v[call].ups[0].corr,
       "same axes and values: per element (aftercorr)");
    ok(g.v[other].nups == 1 && !g.v[other].ups[0].corr,
       "other values: the whole stage (afterok)");
    ok(g.v[report].nups == 2 && !g.v[report].ups[0].corr, "report waits for all");
    is_int((long long)g.v[call].count, 5, "call has 5 elements");
    is_int((long long)g.v[report].count, 1, "report has 1");
    is_str(s->stages[3].body->run, "echo default", "report inherits run");
    is_int(s->stages[1].body->resources.cpus, 2, "call keeps its resources");
    is_str(s->stages[3].body->name, "report", "a stage's tasks are named after it");

    /* Planning: chunks of at most 2 elements (MaxArraySize 2). */
    ts_dag_chunk align_ch[] = { { 100, 0, 2 }, { 101, 2, 2 }, { 102, 4, 1 } };
    ts_dag_chunk call_ch[] = { { 200, 0, 2 }, { 201, 2, 2 }, { 202, 4, 1 } };
    ts_dag_chunk other_ch[] = { { 300, 0, 5 } };
    ts_dag_jobs jobs[4] = { 0 };
    char dep[256];

    jobs[ts_dag_find(&g, "align")] = (ts_dag_jobs){ align_ch, 3 };
    jobs[call] = (ts_dag_jobs){ call_ch, 3 };
    jobs[other] = (ts_dag_jobs){ other_ch, 1 };
    ok(ts_dag_dependency(&g, (size_t)call, 2, 2, jobs, dep, sizeof dep, &err) == 0,
       "call chunk 1");
    is_str(dep, "aftercorr:101", "chunk i waits for the same chunk, per element");
    ok(ts_dag_dependency(&g, (size_t)other, 0, 5, jobs, dep, sizeof dep, &err) == 0,
       "other");
    is_str(dep, "afterok:100,afterok:101,afterok:102", "a whole stage: every chunk");
    ok(ts_dag_dependency(&g, (size_t)report, 0, 1, jobs, dep, sizeof dep, &err) == 0,
       "report");
    is_str(dep, "afterok:200,afterok:201,afterok:202,afterok:300", "report: both");
    ok(ts_dag_dependency(&g, (size_t)ts_dag_find(&g, "align"), 0, 2, jobs, dep,
                         sizeof dep, &err) == 0 && dep[0] == '\0', "align: none");

    /* A corr edge whose chunks are split differently (a resubmission's
     * chunks of another size): afterok on the overlapping chunks. */
    ts_dag_chunk call_one[] = { { 400, 0, 5 } };
    jobs[ts_dag_find(&g, "align")] = (ts_dag_jobs){ call_one, 1 };
    jobs[call] = (ts_dag_jobs){ align_ch, 3 };
    ok(ts_dag_dependency(&g, (size_t)call, 2, 2, jobs, dep, sizeof dep, &err) == 0,
       "call, upstream in one chunk");
    is_str(dep, "afterok:400", "covers it: still per element? no: first differs");
    ts_dag_chunk up_split[] = { { 500, 0, 3 }, { 501, 3, 2 } };
    jobs[ts_dag_find(&g, "align")] = (ts_dag_jobs){ up_split, 2 };
    ok(ts_dag_dependency(&g, (size_t)call, 2, 2, jobs, dep, sizeof dep, &err) == 0,
       "call, upstream split at 3");
    is_str(dep, "afterok:500,afterok:501", "the overlapping chunks, whole");
    ok(ts_dag_dependency(&g, (size_t)call, 0, 2, jobs, dep, sizeof dep, &err) == 0,
       "call chunk 0");
    is_str(dep, "aftercorr:500", "same first element and covers it: per element");
    ok(ts_dag_dependency(&g, (size_t)call, 0, 2, jobs, dep, 8, &err) < 0,
       "too small a buffer is an error, not a cut list");
    jobs[ts_dag_find(&g, "align")] = (ts_dag_jobs){ NULL, 0 };
    ok(ts_dag_dependency(&g, (size_t)call, 0, 2, jobs, dep, sizeof dep, &err) == 0
       && dep[0] == '\0', "an upstream with no queued job is done: not waited for");
    ts_dag_free(&g);
    ts_spec_free(s);
}

static void test_chain(void)
{
    ts_err err;
    ts_suite *s = parse("name: pipeline\n---\nname: train\nnum_nodes: 2\n"
                        "resources: {cpus: 4}\nrun: echo train\n---\n"
                        "run: echo eval\n", &err);
    ts_dag g;

    ok(s != NULL, "a 2-document chain parses: %s", err.msg);
    if (!s)
        return;
    ok(s->chain && s->nstages == 2, "two stages");
    is_str(s->name, "pipeline", "the header document names the suite");
    is_str(s->stages[0].name, "train", "a document's name names its stage");
    is_str(s->stages[1].name, "stage-2", "an unnamed document: stage-<k>");
    is_int(s->stages[0].body->num_nodes, 2, "train keeps its nodes");
    is_int(s->stages[0].body->resources.cpus, 4, "and its resources");
    is_int(s->stages[1].body->resources.cpus, 0, "eval does not inherit them");
    ok(ts_dag_build(s, &g, &err) == 0 && g.n == 2
       && g.v[1].nups == 1 && g.v[1].ups[0].up == 0, "eval after train");
    ts_dag_free(&g);
    ts_spec_free(s);

    s = parse("workdir: ~/src\nenv_preparation: {run: make}\nrun: a\n---\n"
              "workdir: ~/other\nrun: b\n", &err);
    ok(s && s->workdir && !strcmp(s->workdir, "~/src"), "a chain runs in the first "
       "document's workdir");
    ok(s && s->env_preparation.present && !strcmp(s->env_preparation.run, "make"),
       "and has its hooks");
    ok(s && s->warnings.n == 1 && strstr(s->warnings.v[0], "t.yaml:5:1: workdir: stage "
                                         "stage-2: workdir: a chain runs in one workdir"),
       "a differing workdir is warned about: %s", s && s->warnings.n ? s->warnings.v[0] : "");
    ts_spec_free(s);

    s = parse("run: a\n---\nrun: b\n---\nrun: c\n", &err);
    ok(s && s->nstages == 3 && !strcmp(s->name, "t"), "no header: 3 stages, file name");
    ts_spec_free(s);
}

int main(void)
{
    plan_no_plan();
    test_errors();
    test_diamond();
    test_no_graph();
    test_stages();
    test_chain();
    return done_testing();
}

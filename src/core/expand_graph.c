/* expand_graph.c: the tasks of a suite with a graph, in graph order (see
 * expand.h, ts_expand_graph). Submission relies on the order: each node's
 * tasks are one contiguous run of indices, after its upstream nodes'. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "expand.h"

static int oom(ts_err *err)
{
    return ts_errf(err, "out of memory");
}

/* "STAGE.TASK", or "STAGE.K" when that is longer than a task name may be. */
static int stage_task_name(const ts_stage *st, ts_task *t, size_t k, ts_err *err)
{
    char buf[2 * TS_TASK_NAME_MAX + 8];

    if (snprintf(buf, sizeof buf, "%s.%s", st->name, t->name) > TS_TASK_NAME_MAX
        && snprintf(buf, sizeof buf, "%s.%zu", st->name, k) > TS_TASK_NAME_MAX)
        return ts_spec_errat(err, st->body, st->pos, "stage %s: its name is too "
                             "long to name its tasks (\"%s.<task>\" must fit in "
                             "%d characters)", st->name, st->name, TS_TASK_NAME_MAX);
    free(t->name);
    return (t->name = strdup(buf)) ? 0 : oom(err);
}

static int append_stage(const ts_suite *s, const ts_dag *g, size_t k, ts_tasklist *all,
                        size_t *cap, ts_err *err)
{
    const ts_stage *st = &s->stages[g->v[k].ref];
    ts_tasklist part = { 0 };
    bool single = !st->body->nmatrix && !st->body->ntasks;

    if (ts_expand_flat(st->body, &part, err) < 0)
        return -1;
    if (all->n + part.n > *cap) {
        size_t ncap = (all->n + part.n) * 2;
        ts_task *v = realloc(all->v, ncap * sizeof *v);

        if (!v) {
            ts_tasklist_free(&part);
            return oom(err);
        }
        all->v = v;
        *cap = ncap;
    }
    for (size_t i = 0; i < part.n; i++) {
        ts_task *t = &part.v[i];

        /* a stage of one default task is named after the stage already */
        if ((!single && stage_task_name(st, t, i, err) < 0))
            goto fail;
        for (size_t e = 0; e < st->body->envs.n; e++)
            if (ts_kvlist_add(&t->env, st->body->envs.v[e].key, st->body->envs.v[e].value,
                          st->body->envs.v[e].pos) < 0) {
                oom(err);
                goto fail;
            }
        t->node = k + 1;
    }
    if (part.n)
        memcpy(all->v + all->n, part.v, part.n * sizeof *part.v);
    all->n += part.n;
    free(part.v);
    return 0;
fail:
    ts_tasklist_free(&part);
    return -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "a.b" of a stage "a" and a stage "a.b" of one task would share a task
 * directory. */
static int check_unique(const ts_suite *s, const ts_tasklist *l, ts_err *err)
{
    const char **names = malloc((l->n ? l->n : 1) * sizeof *names);
    int rc = 0;

    if (!names)
        return oom(err);
    for (size_t i = 0; i < l->n; i++)
        names[i] = l->v[i].name;
    qsort(names, l->n, sizeof *names, by_name);
    for (size_t i = 1; i < l->n && rc == 0; i++)
        if (strcmp(names[i], names[i - 1]) == 0)
            rc = ts_spec_errat(err, s, (ts_pos){ 0, 0 }, "stages: two tasks "
                               "would both be named \"%s\" (rename a stage)",
                               names[i]);
    free(names);
    return rc;
}

static int expand_stages(const ts_suite *s, const ts_dag *g, ts_tasklist *out,
                         ts_err *err)
{
    ts_tasklist all = { 0 };
    size_t cap = 0;

    for (size_t i = 0; i < g->n; i++)
        if (append_stage(s, g, g->order[i], &all, &cap, err) < 0) {
            ts_tasklist_free(&all);
            return -1;
        }
    if (check_unique(s, &all, err) < 0) {
        ts_tasklist_free(&all);
        return -1;
    }
    *out = all;
    return 0;
}

/* Explicit tasks with depends_on: the plain expansion, reordered. Tasks
 * that are no node (the matrix's) come first: nothing waits for them. */
static int expand_tasks(const ts_suite *s, const ts_dag *g, ts_tasklist *out,
                        ts_err *err)
{
    ts_tasklist l = { 0 };
    ts_task *v;
    size_t n = 0;

    if (ts_expand_flat(s, &l, err) < 0)
        return -1;
    if (!(v = calloc(l.n ? l.n : 1, sizeof *v))) {
        ts_tasklist_free(&l);
        return oom(err);
    }
    for (size_t i = 0; i < l.n; i++) {
        long k = ts_dag_find(g, l.v[i].name);

        l.v[i].node = k < 0 ? 0 : (size_t)k + 1;
        if (k < 0)
            v[n++] = l.v[i];
    }
    for (size_t o = 0; o < g->n; o++)
        for (size_t i = 0; i < l.n; i++)
            if (l.v[i].node == g->order[o] + 1)
                v[n++] = l.v[i];
    free(l.v);
    out->v = v;
    out->n = n;
    out->lazy = NULL;
    return 0;
}

int ts_expand_graph(const ts_suite *s, ts_tasklist *out, ts_err *err)
{
    ts_dag g;
    int rc;

    out->v = NULL;
    out->n = 0;
    out->lazy = NULL;
    if (ts_dag_build(s, &g, err) < 0)
        return -1;
    if (g.n == 0)
        rc = ts_expand_flat(s, out, err);
    else
        rc = s->nstages ? expand_stages(s, &g, out, err) : expand_tasks(s, &g, out, err);
    for (size_t i = 0; rc == 0 && i < out->n; i++)
        out->v[i].index = i;
    ts_dag_free(&g);
    return rc;
}

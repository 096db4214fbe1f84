/* submit_graph.c: chunks, options and dependencies of the arrays of a
 * suite with a graph (see submit_graph.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "grow.h"
#include "submit_graph.h"

typedef struct chunks {
    ts_dag_chunk *v;
    size_t n, cap;
} chunks;

struct ts_graph_sub {
    const ts_submit_ctx *c;
    ts_dag g;
    long *task;          /* per position: the task index */
    long npos;
    size_t *first;       /* per node: the index of its first task */
    chunks *queued;      /* per node: the chunks of this intent */
    ts_kvlist *opts;     /* per node: its stage's sbatch options */
    bool *has_opts;
};

static int note_pos(long position, long task_idx, int attempt, void *arg)
{
    ts_graph_sub *g = arg;
    (void)attempt;
    if (position != g->npos)
        return -1;       /* rows come in position order */
    long *v = realloc(g->task, (size_t)(g->npos + 1) * sizeof *v);
    if (!v)
        return -1;
    g->task = v;
    v[g->npos++] = task_idx;
    return 0;
}

/* The node of the task at a position: 0 none, else 1 + node. */
static size_t node_at(const ts_graph_sub *g, long pos)
{
    long t = g->task[pos];
    const ts_tasklist *tl = g->c->tl;

    return t >= 0 && (size_t)t < tl->n && tl->v ? tl->v[t].node : 0;
}

/* A stage's own options: the suite's, with the stage's nodes, resources
 * and slurm: instead (a chain document: all of its own). */
static int stage_options(ts_graph_sub *g, size_t k, ts_err *err)
{
    const ts_suite *s = g->c->s;
    const ts_stage *st = &s->stages[g->g.v[k].ref];
    ts_suite view = *s;

    if (s->chain) {
        view = *st->body;
    } else {
        view.num_nodes = st->body->num_nodes;
        view.resources = st->body->resources;
        if (st->body->slurm.n)
            view.slurm = st->body->slurm;
    }
    view.name = s->name;
    if (ts_slurm_options(&view, &g->opts[k], err) < 0)
        return -1;
    /* every array of a suite is requeue-able (submission.c) */
    if (!ts_kv_get(&g->opts[k], "requeue") && !ts_kv_get(&g->opts[k], "no-requeue")) {
        ts_kv *v = realloc(g->opts[k].v, (g->opts[k].n + 1) * sizeof *v);
        if (!v)
            return ts_errf(err, "out of memory");
        g->opts[k].v = v;
        v[g->opts[k].n] = (ts_kv){ .key = strdup("requeue"), .value = strdup("") };
        if (!v[g->opts[k].n].key || !v[g->opts[k].n].value)
            return ts_errf(err, "out of memory");
        g->opts[k].n++;
    }
    g->has_opts[k] = true;
    return 0;
}

int ts_graph_sub_open(const ts_submit_ctx *c, int64_t sub_id, ts_graph_sub **out,
                      ts_err *err)
{
    ts_graph_sub *g;

    *out = NULL;
    if (!c->s || !c->tl || c->tl->lazy)
        return 0;
    if (!(g = calloc(1, sizeof *g)))
        return ts_errf(err, "out of memory");
    g->c = c;
    if (ts_dag_build(c->s, &g->g, err) < 0) {
        free(g);
        return -1;
    }
    if (g->g.n == 0) {
        ts_graph_sub_free(g);
        return 0;
    }
    size_t n = g->g.n;
    g->first = calloc(n, sizeof *g->first);
    g->queued = calloc(n, sizeof *g->queued);
    g->opts = calloc(n, sizeof *g->opts);
    g->has_opts = calloc(n, sizeof *g->has_opts);
    if (!g->first || !g->queued || !g->opts || !g->has_opts) {
        ts_graph_sub_free(g);
        return ts_errf(err, "out of memory");
    }
    for (size_t i = c->tl->n; i-- > 0;)
        if (c->tl->v[i].node)
            g->first[c->tl->v[i].node - 1] = i;
    if (ts_journal_intent_tasks_foreach(c->j, sub_id, note_pos, g, err) < 0) {
        ts_graph_sub_free(g);
        return err->msg[0] ? -1 : ts_errf(err, "out of memory");
    }
    for (size_t k = 0; k < n; k++)
        if (c->s->nstages && stage_options(g, k, err) < 0) {
            ts_graph_sub_free(g);
            return -1;
        }
    *out = g;
    return 0;
}

int ts_graph_sub_chunk(ts_graph_sub *g, long offset, long *count,
                       const ts_kvlist **opts, char *dep, size_t len, ts_err *err)
{
    size_t node;
    long n = 1;

    dep[0] = '\0';
    *opts = NULL;
    if (offset < 0 || offset >= g->npos)
        return ts_errf(err, "position %ld is not in the submission", offset);
    node = node_at(g, offset);
    while (n < *count && offset + n < g->npos && node_at(g, offset + n) == node
           && g->task[offset + n] == g->task[offset + n - 1] + 1)
        n++;
    *count = n;
    if (!node)
        return 0;
    if (g->has_opts[node - 1])
        *opts = &g->opts[node - 1];
    ts_dag_jobs *jobs = calloc(g->g.n, sizeof *jobs);
    if (!jobs)
        return ts_errf(err, "out of memory");
    for (size_t k = 0; k < g->g.n; k++)
        jobs[k] = (ts_dag_jobs){ g->queued[k].v, g->queued[k].n };
    size_t first = (size_t)g->task[offset] - g->first[node - 1];
    int rc = ts_dag_dependency(&g->g, node - 1, first, (size_t)n, jobs, dep, len, err);
    free(jobs);
    return rc;
}

int ts_graph_sub_note(ts_graph_sub *g, long offset, long count, uint32_t job, ts_err *err)
{
    if (offset < 0 || offset >= g->npos)
        return 0;
    size_t node = node_at(g, offset);
    if (!node)
        return 0;
    chunks *ch = &g->queued[node - 1];
    if (ts_grow((void **)&ch->v, &ch->cap, ch->n, sizeof *ch->v) < 0)
        return ts_errf(err, "out of memory");
    ch->v[ch->n++] = (ts_dag_chunk){ job, (size_t)g->task[offset] - g->first[node - 1],
                                     (size_t)count };
    return 0;
}

void ts_graph_sub_free(ts_graph_sub *g)
{
    if (!g)
        return;
    for (size_t k = 0; k < g->g.n; k++) {
        if (g->queued)
            free(g->queued[k].v);
        if (g->opts)
            ts_kvlist_free(&g->opts[k]);
    }
    free(g->queued);
    free(g->opts);
    free(g->has_opts);
    free(g->first);
    free(g->task);
    ts_dag_free(&g->g);
    free(g);
}

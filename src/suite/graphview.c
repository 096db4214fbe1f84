/* graphview.c: a suite's graph with its counts, for status (graphview.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "graphview.h"
#include "record.h"
#include "submission.h"

typedef struct per_task {
    enum ts_task_state *st;
    size_t n;
} per_task;

static int note(const ts_task_info *t, void *arg)
{
    per_task *p = arg;
    if (t->idx >= 0 && (size_t)t->idx < p->n)
        p->st[t->idx] = t->state;
    return 0;
}

static cJSON *build(const ts_dag *g, const ts_tasklist *tl, const per_task *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *order = cJSON_AddArrayToObject(o, "order");
    cJSON *edges = cJSON_AddArrayToObject(o, "edges");
    cJSON *nodes = cJSON_AddArrayToObject(o, "nodes");
    long *n = calloc(g->n * TS_TASK_NSTATES, sizeof *n);

    if (!o || !order || !edges || !nodes || !n) {
        free(n);
        cJSON_Delete(o);
        return NULL;
    }
    for (size_t i = 0; i < tl->n && i < p->n; i++)
        if (tl->v[i].node)
            n[(tl->v[i].node - 1) * TS_TASK_NSTATES + p->st[i]]++;
    for (size_t i = 0; i < g->n; i++) {
        const ts_dag_node *nd = &g->v[g->order[i]];
        cJSON *node = cJSON_CreateObject(), *counts;

        cJSON_AddItemToArray(order, cJSON_CreateString(nd->name));
        cJSON_AddStringToObject(node, "name", nd->name);
        cJSON_AddStringToObject(node, "kind", nd->kind == TS_DAG_STAGE ? "stage" : "task");
        cJSON_AddNumberToObject(node, "tasks", (double)nd->count);
        counts = cJSON_AddObjectToObject(node, "counts");
        for (int s = 0; s < TS_TASK_NSTATES; s++)
            cJSON_AddNumberToObject(counts, ts_task_state_name((enum ts_task_state)s),
                                    (double)n[g->order[i] * TS_TASK_NSTATES + (size_t)s]);
        cJSON_AddItemToArray(nodes, node);
        for (size_t e = 0; e < nd->nups; e++) {
            cJSON *ed = cJSON_CreateObject();
            cJSON_AddStringToObject(ed, "from", g->v[nd->ups[e].up].name);
            cJSON_AddStringToObject(ed, "to", nd->name);
            cJSON_AddStringToObject(ed, "type", nd->ups[e].corr ? "aftercorr" : "afterok");
            cJSON_AddItemToArray(edges, ed);
        }
    }
    free(n);
    return o;
}

/* Only the suite file, not its expansion: most suites have no graph, and
 * a status of a 100,000-task sweep must not expand it. */
bool ts_graph_in_suite(const ts_suite_info *si)
{
    ts_submit_record rec;
    ts_err e = { 0 };
    ts_suite *s = NULL;
    bool yes = false;

    if (!si->submit_record || ts_submit_record_from_json(si->submit_record, &rec, &e) < 0)
        return false;
    if (rec.yaml && ts_spec_parse(si->name, rec.yaml, strlen(rec.yaml), &s, &e) == 0) {
        yes = s->nstages > 0;
        for (size_t i = 0; !yes && i < s->ntasks; i++)
            yes = s->tasks[i].depends_on.n > 0;
    }
    ts_spec_free(s);
    ts_submit_record_free(&rec);
    return yes;
}

int ts_graph_view(ts_journal *j, const ts_suite_info *si, cJSON **out, ts_err *err)
{
    ts_submit_store st;
    ts_submit_ctx ctx;
    ts_dag g = { 0 };
    per_task p = { 0 };
    int rc = -1;

    *out = NULL;
    if (!ts_graph_in_suite(si))
        return 0;
    if (ts_submission_load(j, si, &st, &ctx, err) < 0)
        return -1;
    if (ts_dag_build(st.s, &g, err) < 0)
        goto out;
    rc = 0;
    if (g.n == 0 || !st.tl.v)
        goto out;
    rc = -1;
    p.n = st.tl.n;
    if (!(p.st = calloc(p.n ? p.n : 1, sizeof *p.st))) {
        ts_errf(err, "out of memory");
        goto out;
    }
    if (ts_journal_tasks_foreach(j, si->id, 0, note, &p, err) < 0)
        goto out;
    if (!(*out = build(&g, &st.tl, &p))) {
        ts_errf(err, "out of memory");
        goto out;
    }
    rc = 0;
out:
    free(p.st);
    ts_dag_free(&g);
    ts_submission_store_free(&st);
    return rc;
}

void ts_graph_view_text(FILE *f, const cJSON *graph)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(graph, "nodes");
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(graph, "edges");
    const cJSON *nd;
    bool first = true;

    if (!graph)
        return;
    cJSON_ArrayForEach(nd, nodes) {
        const char *name = cJSON_GetObjectItemCaseSensitive(nd, "name")->valuestring;
        int tasks = cJSON_GetObjectItemCaseSensitive(nd, "tasks")->valueint;
        const cJSON *c, *e;
        bool any = false;

        fprintf(f, "%s%s", first ? "graph:    " : "          ", name);
        first = false;
        cJSON_ArrayForEach(e, edges) {
            if (strcmp(cJSON_GetObjectItemCaseSensitive(e, "to")->valuestring, name) != 0)
                continue;
            fprintf(f, "%s%s%s", any ? ", " : " (after ",
                    cJSON_GetObjectItemCaseSensitive(e, "from")->valuestring,
                    strcmp(cJSON_GetObjectItemCaseSensitive(e, "type")->valuestring,
                           "aftercorr") != 0 ? "" : " per element");
            any = true;
        }
        fprintf(f, "%s: %d task%s", any ? ")" : "", tasks, tasks == 1 ? "" : "s");
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(nd, "counts"))
            if (c->valueint)
                fprintf(f, ", %s %d", c->string, c->valueint);
        fprintf(f, "\n");
    }
}

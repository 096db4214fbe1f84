/* dag.c: depends_on inside a suite -> a checked, ordered graph, and the
 * Slurm dependency of each array chunk (see dag.h for the rules). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"

static int oom(ts_err *err)
{
    return ts_errf(err, "out of memory");
}

/* Where a node's depends_on lives, for messages: "stages[2]" / "tasks[0]". */
static void node_path(const ts_dag_node *nd, char *buf, size_t len)
{
    snprintf(buf, len, "%s[%zu]", nd->kind == TS_DAG_STAGE ? "stages" : "tasks",
             nd->ref);
}

static const ts_namelist *node_deps(const ts_suite *s, const ts_dag_node *nd)
{
    return nd->kind == TS_DAG_STAGE ? &s->stages[nd->ref].depends_on
                                    : &s->tasks[nd->ref].depends_on;
}

static size_t stage_count(const ts_suite *b)
{
    size_t n = b->nmatrix ? 1 : 0;

    for (size_t i = 0; i < b->nmatrix; i++)
        n *= b->matrix[i].values.n;
    n += b->ntasks;
    return n ? n : 1;
}

/* Same axes, same values, in the same order, and nothing else: then the
 * two stages' element i are the same matrix point. */
static bool same_index_set(const ts_suite *a, const ts_suite *b)
{
    if (!a->nmatrix || a->nmatrix != b->nmatrix || a->ntasks || b->ntasks)
        return false;
    for (size_t i = 0; i < a->nmatrix; i++) {
        const ts_matrix_axis *x = &a->matrix[i], *y = &b->matrix[i];

        if (strcmp(x->name, y->name) != 0 || x->values.n != y->values.n)
            return false;
        for (size_t k = 0; k < x->values.n; k++)
            if (strcmp(x->values.v[k], y->values.v[k]) != 0)
                return false;
    }
    return true;
}

long ts_dag_find(const ts_dag *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->v[i].name, name) == 0)
            return (long)i;
    return -1;
}

void ts_dag_free(ts_dag *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->v[i].name);
        free(g->v[i].ups);
    }
    free(g->v);
    free(g->order);
    free(g->level);
    memset(g, 0, sizeof *g);
}

static bool tasks_have_deps(const ts_suite *s)
{
    for (size_t i = 0; i < s->ntasks; i++)
        if (s->tasks[i].depends_on.n)
            return true;
    return false;
}

static int add_nodes(const ts_suite *s, ts_dag *g, ts_err *err)
{
    bool stages = s->nstages > 0;
    size_t n = stages ? s->nstages : s->ntasks;

    g->v = calloc(n, sizeof *g->v);
    if (!g->v)
        return oom(err);
    for (size_t i = 0; i < n; i++) {
        ts_dag_node *nd = &g->v[g->n++];
        char gen[32];
        const char *name;

        nd->kind = stages ? TS_DAG_STAGE : TS_DAG_TASK;
        nd->ref = i;
        if (stages) {
            name = s->stages[i].name;
            nd->count = stage_count(s->stages[i].body);
        } else {
            /* expand.c names an unnamed tasks[i] "task-<i>" */
            snprintf(gen, sizeof gen, "task-%zu", i);
            name = s->tasks[i].name ? s->tasks[i].name : gen;
            nd->count = 1;
        }
        if (!(nd->name = strdup(name)))
            return oom(err);
    }
    return 0;
}

static int add_edges(const ts_suite *s, ts_dag *g, ts_err *err)
{
    for (size_t i = 0; i < g->n; i++) {
        ts_dag_node *nd = &g->v[i];
        const ts_namelist *deps = node_deps(s, nd);
        char np[64];

        node_path(nd, np, sizeof np);
        if (!deps->n)
            continue;
        nd->ups = calloc(deps->n, sizeof *nd->ups);
        if (!nd->ups)
            return oom(err);
        for (size_t k = 0; k < deps->n; k++) {
            long up = ts_dag_find(g, deps->v[k]);

            if (up < 0)
                return ts_spec_errat(err, s, deps->pos[k], "%s.depends_on[%zu]: "
                                     "\"%s\" is not a %s of this suite (a "
                                     "suite-level depends_on names other suites)",
                                     np, k, deps->v[k],
                                     nd->kind == TS_DAG_STAGE ? "stage" : "task");
            if ((size_t)up == i)
                return ts_spec_errat(err, s, deps->pos[k], "%s.depends_on[%zu]: "
                                     "\"%s\" cannot depend on itself", np, k,
                                     deps->v[k]);
            nd->ups[nd->nups].up = (size_t)up;
            nd->ups[nd->nups].corr = nd->kind == TS_DAG_STAGE
                && same_index_set(s->stages[up].body, s->stages[i].body);
            nd->nups++;
        }
    }
    return 0;
}

/* A cycle among the nodes Kahn's pass could not order: walk upstream from
 * the first of them until a node repeats, and name the loop. */
static int report_cycle(const ts_suite *s, const ts_dag *g, const size_t *left,
                        ts_err *err)
{
    size_t *seen = calloc(g->n, sizeof *seen), *path = calloc(g->n + 1, sizeof *path);
    size_t cur = 0, len = 0, start;
    char text[512] = "", np[64];
    size_t k = 0;

    if (!seen || !path) {
        free(seen);
        free(path);
        return oom(err);
    }
    while (!left[cur])
        cur++;
    while (!seen[cur]) {
        seen[cur] = ++len;
        path[len - 1] = cur;
        for (size_t e = 0; e < g->v[cur].nups; e++)
            if (left[g->v[cur].ups[e].up]) {
                cur = g->v[cur].ups[e].up;
                break;
            }
    }
    start = seen[cur] - 1;          /* path[start..len-1] is the loop */
    for (size_t i = len; i > start; i--) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "%s -> ", g->v[path[i - 1]].name);
    }
    {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "%s", g->v[path[len - 1]].name);
    }
    /* The item to point at: the loop's node whose depends_on names the
     * next node upstream, i.e. path[start] naming path[start + 1]. */
    const ts_dag_node *at = &g->v[path[start]];
    const char *upname = g->v[path[start + 1 < len ? start + 1 : start]].name;
    const ts_namelist *deps = node_deps(s, at);

    while (k < deps->n && strcmp(deps->v[k], upname) != 0)
        k++;
    if (k == deps->n)
        k = 0;
    node_path(at, np, sizeof np);
    free(seen);
    free(path);
    return ts_spec_errat(err, s, deps->pos[k], "%s.depends_on[%zu]: \"%s\" "
                         "makes a cycle: %s", np, k, deps->v[k], text);
}

static int order_nodes(const ts_suite *s, ts_dag *g, ts_err *err)
{
    size_t n = g->n ? g->n : 1;
    size_t *left = calloc(n, sizeof *left), done = 0;

    g->order = calloc(n, sizeof *g->order);
    g->level = calloc(n, sizeof *g->level);
    if (!left || !g->order || !g->level) {
        free(left);
        return oom(err);
    }
    for (size_t i = 0; i < g->n; i++)
        left[i] = 1;
    /* Repeated passes in file order: quadratic, and a suite has at most a
     * few hundred nodes; it keeps ties in the order the file gives. */
    for (bool moved = true; moved && done < g->n;) {
        moved = false;
        for (size_t i = 0; i < g->n; i++) {
            bool ready = left[i];
            size_t lvl = 0;

            for (size_t e = 0; ready && e < g->v[i].nups; e++) {
                size_t up = g->v[i].ups[e].up;

                if (left[up])
                    ready = false;
                else if (g->level[up] + 1 > lvl)
                    lvl = g->level[up] + 1;
            }
            if (!ready)
                continue;
            left[i] = 0;
            g->level[i] = lvl;
            g->order[done++] = i;
            moved = true;
        }
    }
    int rc = done < g->n ? report_cycle(s, g, left, err) : 0;

    free(left);
    return rc;
}

int ts_dag_build(const ts_suite *s, ts_dag *g, ts_err *err)
{
    memset(g, 0, sizeof *g);
    if (!s->nstages && !tasks_have_deps(s))
        return 0;
    if (add_nodes(s, g, err) < 0 || add_edges(s, g, err) < 0
        || order_nodes(s, g, err) < 0) {
        ts_dag_free(g);
        return -1;
    }
    return 0;
}

static int append(char *buf, size_t len, size_t *used, const char *kind,
                  uint32_t job, ts_err *err)
{
    int n = snprintf(buf + *used, len - *used, "%s%s:%u", *used ? "," : "",
                     kind, (unsigned)job);

    if (n < 0 || (size_t)n >= len - *used)
        return ts_errf(err, "dependency list longer than %zu bytes", len);
    *used += (size_t)n;
    return 0;
}

int ts_dag_dependency(const ts_dag *g, size_t down, size_t first, size_t count,
                      const ts_dag_jobs *jobs, char *buf, size_t len, ts_err *err)
{
    const ts_dag_node *nd = &g->v[down];
    size_t used = 0;

    if (len)
        buf[0] = '\0';
    for (size_t e = 0; e < nd->nups; e++) {
        const ts_dag_jobs *up = &jobs[nd->ups[e].up];
        bool done = false;

        if (!up->n)       /* not in this submission: done already */
            continue;
        if (nd->ups[e].corr)
            for (size_t k = 0; k < up->n && !done; k++)
                if (up->v[k].first == first && up->v[k].count >= count) {
                    if (append(buf, len, &used, "aftercorr", up->v[k].job, err) < 0)
                        return -1;
                    done = true;
                }
        for (size_t k = 0; k < up->n && !done; k++) {
            const ts_dag_chunk *ch = &up->v[k];

            /* a whole-stage edge needs every chunk; a corr edge split
             * differently only those holding elements first..first+count-1 */
            if (nd->ups[e].corr
                && (ch->first >= first + count || ch->first + ch->count <= first))
                continue;
            if (append(buf, len, &used, "afterok", ch->job, err) < 0)
                return -1;
        }
    }
    return 0;
}

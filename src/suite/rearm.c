/* rearm.c: downstream tasks a retry of their upstream re-arms (rearm.h). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "dag.h"
#include "grow.h"
#include "rearm.h"
#include "submission.h"

typedef struct never_ran {
    bool *v;        /* per task index: skipped */
    size_t n;
} never_ran;

static int note_task(const ts_task_info *t, void *arg)
{
    never_ran *nr = arg;
    if (t->idx >= 0 && (size_t)t->idx < nr->n)
        nr->v[t->idx] = true;
    return 0;
}

static int by_idx(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static bool has(const long *idx, size_t n, long v)
{
    for (size_t i = 0; i < n; i++)
        if (idx[i] == v)
            return true;
    return false;
}

int ts_rearm_downstream(ts_journal *j, const ts_suite_info *si, long **idx, size_t *n,
                        size_t *cap, ts_err *err)
{
    ts_submit_store st;
    ts_submit_ctx ctx;
    ts_dag g = { 0 };
    never_ran nr = { 0 };
    size_t *first = NULL;
    int rc = -1;

    if (ts_submission_load(j, si, &st, &ctx, err) < 0)
        return -1;
    if (ts_dag_build(st.s, &g, err) < 0)
        goto out;
    if (g.n == 0 || !st.tl.v) {
        rc = 0;
        goto out;
    }
    nr.n = st.tl.n;
    if (!(nr.v = calloc(nr.n ? nr.n : 1, sizeof *nr.v))
        || !(first = calloc(g.n, sizeof *first))) {
        ts_errf(err, "out of memory");
        goto out;
    }
    for (size_t i = st.tl.n; i-- > 0;)
        if (st.tl.v[i].node)
            first[st.tl.v[i].node - 1] = i;
    if (ts_journal_tasks_foreach(j, si->id, TS_BIT(TS_TASK_SKIPPED), note_task, &nr,
                                 err) < 0)
        goto out;
    /* idx grows as we go: each added task is visited in turn */
    for (size_t p = 0; p < *n; p++) {
        long t = (*idx)[p];
        if (t < 0 || (size_t)t >= st.tl.n || !st.tl.v[t].node)
            continue;
        size_t up = st.tl.v[t].node - 1, elem = (size_t)t - first[up];
        for (size_t m = 0; m < g.n; m++)
            for (size_t e = 0; e < g.v[m].nups; e++) {
                if (g.v[m].ups[e].up != up)
                    continue;
                size_t lo = first[m], hi = first[m] + g.v[m].count;
                if (g.v[m].ups[e].corr) {
                    lo = first[m] + elem;
                    hi = lo + 1;
                }
                for (size_t d = lo; d < hi && d < st.tl.n; d++)
                    if (nr.v[d] && !has(*idx, *n, (long)d)) {
                        if (ts_grow((void **)idx, cap, *n, sizeof **idx) < 0) {
                            ts_errf(err, "out of memory");
                            goto out;
                        }
                        (*idx)[(*n)++] = (long)d;
                    }
            }
    }
    rc = 0;
out:
    if (rc == 0)
        qsort(*idx, *n, sizeof **idx, by_idx);
    free(nr.v);
    free(first);
    ts_dag_free(&g);
    ts_submission_store_free(&st);
    return rc;
}

/* rearm.c: downstream tasks a retry of their upstream re-arms (rearm.h). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "dag.h"
#include "graphview.h"
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

/* ------------------------------------------------------------ sync step */

typedef struct unrun {
    long *task;         /* tasks whose latest attempt Slurm ended unrun */
    int *attempt;
    size_t n, cap, acap;
} unrun;

static int note_cancelled(const ts_attempt_info *a, void *arg)
{
    unrun *u = arg;
    if (u->n && u->task[u->n - 1] == a->task_idx) {   /* a later attempt */
        u->attempt[u->n - 1] = a->attempt;
        return 0;
    }
    if (ts_grow((void **)&u->task, &u->cap, u->n, sizeof *u->task) < 0
        || ts_grow((void **)&u->attempt, &u->acap, u->n, sizeof *u->attempt) < 0)
        return -1;
    u->task[u->n] = a->task_idx;
    u->attempt[u->n++] = a->attempt;
    return 0;
}

typedef struct states {
    enum ts_task_state *st;
    int *attempts;
    size_t n;
} states;

static int note_state(const ts_task_info *t, void *arg)
{
    states *s = arg;
    if (t->idx >= 0 && (size_t)t->idx < s->n) {
        s->st[t->idx] = t->state;
        s->attempts[t->idx] = t->attempts;
    }
    return 0;
}

enum verdict { V_READY, V_WAIT, V_SKIP };

static enum verdict judge(const ts_dag *g, const ts_tasklist *tl, const size_t *first,
                          const states *s, size_t t, unsigned retry_mask, int max_attempts)
{
    size_t node = tl->v[t].node - 1, elem = t - first[node];
    enum verdict v = V_READY;

    for (size_t e = 0; e < g->v[node].nups; e++) {
        size_t up = g->v[node].ups[e].up;
        size_t lo = first[up], hi = first[up] + g->v[up].count;
        if (g->v[node].ups[e].corr) {
            lo = first[up] + elem;
            hi = lo + 1;
        }
        for (size_t u = lo; u < hi && u < s->n; u++) {
            enum ts_task_state st = s->st[u];
            if (st == TS_TASK_COMPLETED)
                continue;
            if (st == TS_TASK_PENDING || st == TS_TASK_RUNNING
                || ((retry_mask & TS_BIT(st)) && s->attempts[u] < max_attempts))
                v = V_WAIT;
            else
                return V_SKIP;
        }
    }
    return v;
}

int ts_rearm_sync(ts_journal *j, const ts_suite_info *si, unsigned retry_mask,
                  long *queued, ts_err *err)
{
    unrun u = { 0 };
    states s = { 0 };
    ts_submit_store st;
    ts_submit_ctx ctx;
    bool loaded = false;
    ts_dag g = { 0 };
    size_t *first = NULL;
    long *ready = NULL;
    size_t nready = 0;
    int rc = -1;

    *queued = 0;
    /* Cheap first: most suites have no graph, and no cancelled attempt. */
    if (!ts_graph_in_suite(si))
        return 0;
    if (ts_journal_attempts_foreach(j, si->id, -1, TS_BIT(TS_ATT_CANCELLED), note_cancelled,
                                    &u, err) < 0)
        goto out;
    if (!u.n) {
        rc = 0;
        goto out;
    }
    if (ts_submission_load(j, si, &st, &ctx, err) < 0)
        goto out;
    loaded = true;
    if (ts_dag_build(st.s, &g, err) < 0)
        goto out;
    if (g.n == 0 || !st.tl.v) {
        rc = 0;
        goto out;
    }
    s.n = st.tl.n;
    if (!(s.st = calloc(s.n, sizeof *s.st)) || !(s.attempts = calloc(s.n, sizeof *s.attempts))
        || !(first = calloc(g.n, sizeof *first)) || !(ready = calloc(u.n, sizeof *ready))) {
        ts_errf(err, "out of memory");
        goto out;
    }
    for (size_t i = st.tl.n; i-- > 0;)
        if (st.tl.v[i].node)
            first[st.tl.v[i].node - 1] = i;
    if (ts_journal_tasks_foreach(j, si->id, 0, note_state, &s, err) < 0)
        goto out;
    for (size_t i = 0; i < u.n; i++) {
        long t = u.task[i];
        if (t < 0 || (size_t)t >= s.n || !st.tl.v[t].node || s.attempts[t] != u.attempt[i])
            continue;
        bool waiting = s.st[t] == TS_TASK_PENDING, skipped = s.st[t] == TS_TASK_SKIPPED;
        if (!waiting && !skipped)
            continue;     /* a user's cancel, or it went on already */
        enum verdict v = judge(&g, &st.tl, first, &s, (size_t)t, retry_mask,
                               1 + si->max_retries);
        if (v == V_READY) {
            ready[nready++] = t;
            continue;
        }
        /* waiting while an upstream goes on, skipped once none can */
        enum ts_task_state want = v == V_WAIT ? TS_TASK_PENDING : TS_TASK_SKIPPED;
        if (s.st[t] != want && ts_journal_task_set_state(j, si->id, t, want, err) < 0)
            goto out;
    }
    if (nready) {
        int64_t sub = 0;
        if (ts_journal_intent_create(j, si->id, ready, nready, &sub, err) < 0)
            goto out;
        *queued = (long)nready;
    }
    rc = 0;
out:
    free(u.task);
    free(u.attempt);
    free(s.st);
    free(s.attempts);
    free(first);
    free(ready);
    ts_dag_free(&g);
    if (loaded)
        ts_submission_store_free(&st);
    return rc;
}

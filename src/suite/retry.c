/* retry.c: a manual next attempt (see retry.h). */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "carry.h"
#include "events.h"
#include "grow.h"
#include "record.h"
#include "retry.h"
#include "submission.h"
#include "sync.h"

typedef struct picked {
    long *idx;
    int *attempts;
    size_t n, cap;
} picked;

static int pick(picked *p, long idx)
{
    if (ts_grow((void **)&p->idx, &p->cap, p->n, sizeof *p->idx) < 0)
        return -1;
    p->idx[p->n++] = idx;
    return 0;
}

static int pick_task(const ts_task_info *t, void *arg)
{
    return pick(arg, t->idx);
}

/* Each picked task's latest attempt (tasks come in index order). */
static int note_attempts(const ts_task_info *t, void *arg)
{
    picked *p = arg;
    for (size_t i = 0; i < p->n; i++)
        if (p->idx[i] == t->idx)
            p->attempts[i] = t->attempts;
    return 0;
}

static int pick_tasks(ts_journal *j, const char *id, const char *const *names, size_t nnames,
                      picked *p, ts_err *err)
{
    for (size_t i = 0; i < nnames; i++) {
        long idx;
        if (ts_journal_task_find(j, id, names[i], &idx, err) < 0 || pick(p, idx) < 0)
            return -1;
    }
    if (!nnames
        && ts_journal_tasks_foreach(j, id,
                                    TS_BIT(TS_TASK_FAILED) | TS_BIT(TS_TASK_TIMEOUT)
                                        | TS_BIT(TS_TASK_NODE_FAIL) | TS_BIT(TS_TASK_PREEMPTED)
                                        | TS_BIT(TS_TASK_CANCELLED),
                                    pick_task, p, err) < 0)
        return -1;
    return 0;
}

/* One submission for the picked tasks, carried out. */
static int resubmit(ts_journal *j, const ts_suite_info *si, const picked *p, ts_err *err)
{
    ts_submit_store store;
    ts_submit_ctx ctx;
    int64_t sub = 0;
    if (ts_journal_intent_create(j, si->id, p->idx, p->n, &sub, err) < 0
        || ts_submission_first_intent(j, si->id, &sub, err) < 0
        || ts_submission_load(j, si, &store, &ctx, err) < 0)
        return -1;
    /* A cancelled task gets its next attempt: its elements run again. */
    for (size_t i = 0; i < p->n; i++)
        if (ts_events_cancel_mark(store.dir, p->idx[i], false, err) < 0) {
            ts_submission_store_free(&store);
            return -1;
        }
    ctx.recover = true;
    /* a --local suite reruns here, now */
    ts_carry_opts how = { .local = store.local, .run_now = true, .watch_cmd = "retry",
                          .watch_look = true };
    int r = ts_submission_carry_out(&ctx, sub, &how, NULL, err);
    ts_submission_store_free(&store);
    return r;
}

int ts_suite_retry(ts_journal *j, const ts_suite_info *si, const char *const *names,
                   size_t nnames, ts_retry_result *res, ts_err *err)
{
    picked p = { 0 };
    int rc = -1;

    memset(res, 0, sizeof *res);
    if (pick_tasks(j, si->id, names, nnames, &p, err) < 0)
        goto out;
    res->picked = p.n;
    rc = 0;
    if (p.n == 0)
        goto out;
    rc = -1;
    /* A next attempt its own job queued already (in-job resume) whose
     * record has not reached the journal: adopt it, do not queue another. */
    if (!(p.attempts = calloc(p.n, sizeof *p.attempts))) {
        ts_errf(err, "out of memory");
        goto out;
    }
    bool local = ts_submit_record_is_local(si->submit_record);
    if (!local && (ts_journal_tasks_foreach(j, si->id, 0, note_attempts, &p, err) < 0
                   || ts_sync_adopt_queued(j, si->id, p.idx, p.attempts, &p.n, err) < 0))
        goto out;
    res->resubmitted = p.n;
    rc = p.n ? resubmit(j, si, &p, err) : 0;
out:
    free(p.idx);
    free(p.attempts);
    return rc;
}

/* retry.c: a manual next attempt (see retry.h). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carry.h"
#include "events.h"
#include "exitcodes.h"
#include "grow.h"
#include "rearm.h"
#include "record.h"
#include "report.h"
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

/* The Slurm job of a task's attempt, when its record names one. */
typedef struct job_of {
    int attempt;
    char job[64];
} job_of;

static int job_cb(const ts_attempt_info *a, void *arg)
{
    job_of *w = arg;
    if (a->attempt == w->attempt && a->slurm_job_id && *a->slurm_job_id)
        snprintf(w->job, sizeof w->job, "%s", a->slurm_job_id);
    return 0;
}

int ts_retry_refusal(const char *suite_id, const char *name, enum ts_task_state state,
                     int attempt, const char *job, char *buf, size_t len)
{
    if (state != TS_TASK_PENDING && state != TS_TASK_RUNNING)
        return 0;
    char where[96];
    if (job && *job)
        snprintf(where, sizeof where, "attempt %d, job %s", attempt, job);
    else
        snprintf(where, sizeof where, "attempt %d", attempt);
    snprintf(buf, len, "task \"%s\" is %s (%s): cancel it first (tasksuite cancel %s --task %s)",
             name, ts_task_state_name(state), where, suite_id, name);
    return 1;
}

/* A named task: refused while its attempt is open (pending or running, in
 * Slurm or a --local runner), or a second attempt would run beside it. */
static int pick_named(ts_journal *j, const char *id, const char *name, picked *p, ts_err *err)
{
    ts_task_brief tb = { 0 };
    char msg[sizeof err->msg];
    int rc = -1;

    if (ts_report_task_get(j, id, name, &tb, err) < 0)
        return -1;
    job_of w = { .attempt = tb.attempts };
    if ((tb.state == TS_TASK_PENDING || tb.state == TS_TASK_RUNNING)
        && ts_journal_attempts_foreach(j, id, tb.idx, 0, job_cb, &w, err) < 0)
        goto out;
    if (ts_retry_refusal(id, tb.name, tb.state, tb.attempts, w.job, msg, sizeof msg)) {
        ts_errc(err, TS_EXIT_FAIL, "%s", msg);
        goto out;
    }
    for (size_t i = 0; i < p->n; i++)
        if (p->idx[i] == tb.idx) {    /* named twice: one attempt */
            rc = 0;
            goto out;
        }
    rc = pick(p, tb.idx);
out:
    ts_task_brief_clear(&tb);
    return rc;
}

/* Every name is checked before anything is queued: one refused task
 * refuses the whole command. */
static int pick_tasks(ts_journal *j, const char *id, const char *const *names, size_t nnames,
                      picked *p, ts_err *err)
{
    for (size_t i = 0; i < nnames; i++)
        if (pick_named(j, id, names[i], p, err) < 0)
            return -1;
    /* Open tasks are not in the mask: they are left alone. */
    if (!nnames
        && ts_journal_tasks_foreach(j, id,
                                    TS_BIT(TS_TASK_FAILED) | TS_BIT(TS_TASK_TIMEOUT)
                                        | TS_BIT(TS_TASK_NODE_FAIL) | TS_BIT(TS_TASK_PREEMPTED)
                                        | TS_BIT(TS_TASK_CANCELLED) | TS_BIT(TS_TASK_SKIPPED),
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
    if (pick_tasks(j, si->id, names, nnames, &p, err) < 0
        || (p.n && ts_rearm_downstream(j, si, &p.idx, &p.n, &p.cap, err) < 0))
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

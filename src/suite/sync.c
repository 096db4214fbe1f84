#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unistd.h>

#include "carry.h"
#include "events.h"
#include "grow.h"
#include "layout.h"
#include "localrun.h"
#include "slurm.h"
#include "oncomplete.h"
#include "oncheckpoint.h"   /* issue 16 */
#include "opentasks.h"
#include "poolsubmit.h"
#include "poolsync.h"
#include "record.h"
#include "submission.h"
#include "sync.h"
#include "rearm.h"
#include "after.h"
#include "record.h"

/* What a submission's positions hold: task and attempt per element. */
typedef struct slot {
    long task_idx;
    int attempt;
} slot;

typedef struct slots {
    slot *v;
    size_t n, cap;
} slots;

static int add_slot(long position, long task_idx, int attempt, void *arg)
{
    slots *s = arg;
    (void)position;
    if (ts_grow((void **)&s->v, &s->cap, s->n, sizeof *s->v) < 0)
        return -1;
    s->v[s->n++] = (slot){ task_idx, attempt };
    return 0;
}

/* Slurm's end state of an element, as the verdict on its attempt; -1 while
 * it has not ended (or Slurm no longer knows it). */
static int verdict(ts_job_state st)
{
    switch (st) {
    case TS_JOB_COMPLETED: return TS_ATT_COMPLETED;
    case TS_JOB_FAILED:
    case TS_JOB_OOM:       return TS_ATT_FAILED;
    case TS_JOB_TIMEOUT:   return TS_ATT_TIMEOUT;
    case TS_JOB_CANCELLED:
    case TS_JOB_DEADLINE:  return TS_ATT_CANCELLED;
    case TS_JOB_NODE_FAIL:
    case TS_JOB_BOOT_FAIL: return TS_ATT_NODE_FAIL;
    case TS_JOB_PREEMPTED: return TS_ATT_PREEMPTED;
    default:               return -1;
    }
}

/* One array's elements as Slurm sees them right now. */
typedef struct snapshot {
    ts_slurm_job job;
    ts_job_info *el;
    size_t nel;
} snapshot;

typedef struct intent_snap {
    const ts_sync_slurm *slurm;
    int64_t id;
    slots pos;
    snapshot *arrays;
    size_t narrays;
} intent_snap;

typedef struct snap_all {
    intent_snap *v;
    size_t n;
    ts_journal *j;
    ts_err *err;
    ts_sync_slurm slurm;  /* every member set */
} snap_all;

static int snap_job(const ts_slurm_job *job, void *arg)
{
    intent_snap *is = arg;
    snapshot *a = realloc(is->arrays, (is->narrays + 1) * sizeof *a);
    ts_err err = { 0 };
    if (!a)
        return -1;
    is->arrays = a;
    snapshot *s = &a[is->narrays++];
    memset(s, 0, sizeof *s);
    s->job = *job;
    /* An unreachable controller leaves this array without news: fine, the
     * next sync asks again. */
    if (is->slurm->array_elements(job->array_job_id, &s->el, &s->nel, &err) < 0)
        s->nel = 0;
    return 0;
}

static int snap_intent(const ts_intent_info *in, void *arg)
{
    snap_all *sa = arg;
    intent_snap *v = realloc(sa->v, (sa->n + 1) * sizeof *v);
    if (!v)
        return -1;
    sa->v = v;
    intent_snap *is = &v[sa->n++];
    memset(is, 0, sizeof *is);
    is->id = in->id;
    is->slurm = &sa->slurm;
    if (ts_journal_intent_tasks_foreach(sa->j, in->id, add_slot, &is->pos, sa->err) < 0)
        return -1;
    return ts_journal_intent_jobs_foreach(sa->j, in->id, snap_job, is, sa->err);
}

static void snap_free(snap_all *sa)
{
    for (size_t i = 0; i < sa->n; i++) {
        for (size_t k = 0; k < sa->v[i].narrays; k++)
            free(sa->v[i].arrays[k].el);
        free(sa->v[i].arrays);
        free(sa->v[i].pos.v);
    }
    free(sa->v);
}

/* One element of a snapshot with the task and attempt its position holds. */
typedef struct element {
    const intent_snap *is;
    const ts_job_info *el;
    slot sl;
} element;

typedef int (*element_fn)(ts_journal *j, const ts_suite_info *si, const snap_all *sa,
                          const element *e, ts_err *err);

/* fn for every element of every snapshot whose position is in its
 * submission (the others belong to no task); stops at the first -1. */
static int each_element(ts_journal *j, const ts_suite_info *si, const snap_all *sa,
                        element_fn fn, ts_err *err)
{
    for (size_t i = 0; i < sa->n; i++) {
        const intent_snap *is = &sa->v[i];
        for (size_t k = 0; k < is->narrays; k++)
            for (size_t e = 0; e < is->arrays[k].nel; e++) {
                const ts_job_info *el = &is->arrays[k].el[e];
                long pos = is->arrays[k].job.index_offset + (long)el->array_task_id;
                if (pos < 0 || (size_t)pos >= is->pos.n)
                    continue;
                element one = { .is = is, .el = el, .sl = is->pos.v[pos] };
                if (fn(j, si, sa, &one, err) < 0)
                    return -1;
            }
    }
    return 0;
}

/* Elements Slurm runs again (requeued): their task is pending with the
 * next attempt, whatever the previous attempt's events said. */
static int follow_requeue(ts_journal *j, const ts_suite_info *si, const snap_all *sa,
                          const element *e, ts_err *err)
{
    bool moved;
    (void)sa;
    if (e->el->restart_cnt == 0
        || (e->el->state != TS_JOB_PENDING && e->el->state != TS_JOB_RUNNING))
        return 0;
    int attempt = e->sl.attempt + (int)e->el->restart_cnt;
    /* The element's attempt had already queued its successor: Slurm's
     * rerun is not the task's attempt (exec skips it). */
    if (ts_journal_task_moved_on(j, si->id, e->sl.task_idx, e->sl.attempt, attempt,
                                 e->is->id, &moved, err) < 0)
        return -1;
    return moved ? 0 : ts_journal_task_requeued(j, si->id, e->sl.task_idx, attempt, err);
}

/* After the events are read: the attempts an element's requeues consumed
 * (manifest attempt .. attempt - 1) that never ended are closed as
 * node_fail, a number with no row gets one (see ts_journal_attempts_lost). */
static int close_lost(ts_journal *j, const ts_suite_info *si, const snap_all *sa,
                      const element *e, ts_err *err)
{
    bool moved;
    (void)sa;
    if (e->el->restart_cnt == 0)
        return 0;
    int attempt = e->sl.attempt + (int)e->el->restart_cnt;
    if (ts_journal_task_moved_on(j, si->id, e->sl.task_idx, e->sl.attempt, attempt,
                                 e->is->id, &moved, err) < 0)
        return -1;
    return moved ? 0 : ts_journal_attempts_lost(j, si->id, e->sl.task_idx, e->sl.attempt,
                                                attempt, err);
}

/* An element Slurm holds (e.g. "launch failed requeued held" after a node
 * came back with a stale spool) never runs, and the array's afterany
 * reconcile job never either: release it, at most TS_HELD_RELEASES times
 * per task; then cancel it, close its attempt as node_fail and queue the
 * task afresh (when it has attempts left). Both are logged. */
#define TS_HELD_RELEASES 3

static int release_held(ts_journal *j, const ts_suite_info *si, const snap_all *sa,
                        const element *e, ts_err *err)
{
    const ts_job_info *el = e->el;
    char spec[64];
    bool allowed = false;
    ts_err serr = { 0 };

    if (!el->held || el->state != TS_JOB_PENDING)
        return 0;
    int attempt = e->sl.attempt + (int)el->restart_cnt;
    if (el->array_job_id)
        snprintf(spec, sizeof spec, "%u_%u", el->array_job_id, el->array_task_id);
    else
        snprintf(spec, sizeof spec, "%u", el->job_id);
    if (ts_journal_held_release(j, si->id, e->sl.task_idx, attempt, spec, TS_HELD_RELEASES,
                                &allowed, err) < 0)
        return -1;
    if (allowed) {
        if (!el->job_id)    /* still in the range record: never ran */
            snprintf(serr.msg, sizeof serr.msg, "release job %s: no job id", spec);
        if (!el->job_id || sa->slurm.release(el->job_id, &serr) < 0)
            fprintf(stderr, "tasksuite: %s\n", serr.msg);
        else
            fprintf(stderr, "tasksuite: task %ld: job %s was held by Slurm: released\n",
                    e->sl.task_idx, spec);
        return 0;
    }
    if (sa->slurm.cancel(spec, &serr) < 0) {
        fprintf(stderr, "tasksuite: %s\n", serr.msg);
        return 0;
    }
    fprintf(stderr, "tasksuite: task %ld: job %s held by Slurm again after %d releases: "
            "cancelled\n", e->sl.task_idx, spec, TS_HELD_RELEASES);
    if (ts_journal_attempt_classify(j, si->id, e->sl.task_idx, attempt, TS_ATT_NODE_FAIL,
                                    err) < 0)
        return -1;
    long idx = e->sl.task_idx;
    if (attempt < 1 + si->max_retries
        && ts_journal_intent_create(j, si->id, &idx, 1, NULL, err) < 0)
        return -1;
    return 0;
}

/* Classify every ended element whose attempt the events left open; mark a
 * submission done when none of its attempts is open any more. */
/* An element that ran to its time limit for an attempt that never started:
 * Slurm lost its launch (allocated, then slurmctld restarted before the
 * batch job reached its node; Slurm believes it runs until the limit).
 * The task did not time out: its attempt is node_fail, with the job, and
 * the task gets its next attempt even when retry_on leaves node_fail out
 * (retrying it cannot run anything twice: nothing ran). 1 when it was
 * that, 0 when the attempt started, -1 on error. */
static int launch_lost(ts_journal *j, const ts_suite_info *si, const ts_job_info *el,
                       long task_idx, int attempt, ts_err *err)
{
    char job[32];
    bool unstarted = false;

    if (ts_journal_attempt_unstarted(j, si->id, task_idx, attempt, &unstarted, err) < 0)
        return -1;
    if (!unstarted)
        return 0;
    snprintf(job, sizeof job, "%u", el->job_id);
    if (ts_journal_attempt_launch_lost(j, si->id, task_idx, attempt, job, err) < 0)
        return -1;
    fprintf(stderr, "tasksuite: task %ld: attempt %d never started in job %s (its launch was "
            "lost; it ran out its time limit): node_fail\n", task_idx, attempt, job);
    if (!(si->retry_on & TS_RETRY_NODE_FAIL) && attempt < 1 + si->max_retries
        && ts_journal_intent_create(j, si->id, &task_idx, 1, NULL, err) < 0)
        return -1;
    return 1;
}

static int classify(ts_journal *j, const ts_suite_info *si, snap_all *sa,
                    ts_sync_result *res, ts_err *err)
{
    const char *suite_id = si->id;
    ts_open_tasks o = { 0 };
    int rc = -1;
    long ended = 0;

    /* Nothing ended since the last look: nothing to classify or close. */
    for (size_t i = 0; i < sa->n; i++)
        for (size_t k = 0; k < sa->v[i].narrays; k++)
            for (size_t e = 0; e < sa->v[i].arrays[k].nel; e++)
                ended += verdict(sa->v[i].arrays[k].el[e].state) >= 0;
    if (!ended)
        return 0;
    if (ts_open_tasks_load(j, suite_id, TS_BIT(TS_TASK_PENDING) | TS_BIT(TS_TASK_RUNNING), &o,
                           err) < 0)
        goto out;
    for (size_t i = 0; i < sa->n; i++) {
        intent_snap *is = &sa->v[i];
        long still_open = 0;
        for (size_t k = 0; k < is->narrays; k++) {
            snapshot *s = &is->arrays[k];
            for (size_t e = 0; e < s->nel; e++) {
                long pos = s->job.index_offset + (long)s->el[e].array_task_id;
                if (pos < 0 || (size_t)pos >= is->pos.n)
                    continue;
                slot sl = is->pos.v[pos];
                /* A requeued element runs the next attempt (exec counts the
                 * same way: manifest attempt + SLURM_RESTART_COUNT). */
                int attempt = sl.attempt + (int)s->el[e].restart_cnt;
                int v = verdict(s->el[e].state);
                int open = ts_open_tasks_attempt(&o, sl.task_idx);
                bool moved = false;
                if (v < 0)
                    continue;
                /* The task went on without this attempt's end (its job
                 * queued the next attempt, then died before recording its
                 * own end): the element's end is that attempt's, as long as
                 * the element ran it (not a rerun, which runs nothing once
                 * the chain moved on, see exec). */
                if (open != attempt) {
                    bool closed = false;
                    if (s->el[e].restart_cnt == 0 && (open == 0 || open > attempt)
                        && ts_journal_attempt_close_stale(j, suite_id, sl.task_idx, attempt,
                                                          (enum ts_attempt_state)v, &closed,
                                                          err) < 0)
                        goto out;
                    res->classified += closed;
                    continue;
                }
                /* A rerun of an element whose attempt had already queued its
                 * successor ran nothing (exec): its end says nothing about
                 * the successor's attempt of the same number. */
                if (s->el[e].restart_cnt
                    && ts_journal_task_moved_on(j, suite_id, sl.task_idx, sl.attempt,
                                                attempt, is->id, &moved, err) < 0)
                    goto out;
                if (moved)
                    continue;
                int lost = v == TS_ATT_TIMEOUT
                               ? launch_lost(j, si, &s->el[e], sl.task_idx, attempt, err)
                               : 0;
                if (lost < 0
                    || (!lost && ts_journal_attempt_classify(j, suite_id, sl.task_idx, attempt,
                                                             (enum ts_attempt_state)v, err) < 0))
                    goto out;
                /* Slurm ended it unrun: an upstream of the suite's graph
                 * failed for good (KILL_INV_DEP, doc/dags.md) */
                if (v == TS_ATT_CANCELLED && s->el[e].dep_never
                    && ts_journal_task_set_state(j, suite_id, sl.task_idx, TS_TASK_SKIPPED,
                                                 err) < 0)
                    goto out;
                res->classified++;
            }
        }
        /* Re-read: classification just settled some of them. */
        if (ts_open_tasks_load(j, suite_id, TS_BIT(TS_TASK_PENDING) | TS_BIT(TS_TASK_RUNNING),
                               &o, err) < 0)
            goto out;
        for (size_t p = 0; p < is->pos.n; p++)
            if (ts_open_tasks_attempt(&o, is->pos.v[p].task_idx) == is->pos.v[p].attempt)
                still_open++;
        /* An element requeued by its job runs again under the same array:
         * the submission stays open until Slurm is done with it. */
        for (size_t k = 0; k < is->narrays; k++)
            for (size_t e = 0; e < is->arrays[k].nel; e++)
                if ((is->arrays[k].el[e].state == TS_JOB_PENDING
                     || is->arrays[k].el[e].state == TS_JOB_RUNNING)
                    && !is->arrays[k].el[e].completing)
                    still_open++;
        if (!still_open && ts_journal_intent_set_state(j, is->id, TS_SUB_DONE, err) < 0)
            goto out;
    }
    rc = 0;
out:
    ts_open_tasks_free(&o);
    return rc;
}

/* ------------------------------------------------------------ retries */

static unsigned retry_task_mask(unsigned retry_on)
{
    unsigned m = 0;
    if (retry_on & TS_RETRY_TIMEOUT)
        m |= TS_BIT(TS_TASK_TIMEOUT);
    if (retry_on & TS_RETRY_NODE_FAIL)
        m |= TS_BIT(TS_TASK_NODE_FAIL);
    if (retry_on & TS_RETRY_PREEMPTED)
        m |= TS_BIT(TS_TASK_PREEMPTED);
    if (retry_on & TS_RETRY_FAILED)
        m |= TS_BIT(TS_TASK_FAILED);
    return m;
}

/* A task whose Slurm element is alive again (requeued in the job, see
 * exec) must not also be resubmitted. */
static int element_alive(const snap_all *sa, long task_idx)
{
    for (size_t i = 0; i < sa->n; i++) {
        const intent_snap *is = &sa->v[i];
        for (size_t k = 0; k < is->narrays; k++)
            for (size_t e = 0; e < is->arrays[k].nel; e++) {
                const ts_job_info *el = &is->arrays[k].el[e];
                long pos = is->arrays[k].job.index_offset + (long)el->array_task_id;
                if (pos >= 0 && (size_t)pos < is->pos.n && is->pos.v[pos].task_idx == task_idx
                    && (el->state == TS_JOB_PENDING || el->state == TS_JOB_RUNNING)
                    && !el->completing)
                    return 1;
            }
    }
    return 0;
}

typedef struct retry_list {
    long *idx;
    int *attempts;              /* each task's latest attempt */
    size_t n, cap;
    int max_attempts;
    const snap_all *sa;
    long requeued;
    const char *dir;            /* the suite's run directory (cancel markers) */
} retry_list;

static int note_retry(const ts_task_info *t, void *arg)
{
    retry_list *r = arg;
    if (t->attempts >= r->max_attempts)
        return 0;   /* retries exhausted: the task keeps its end state */
    /* issue 16: being cancelled with a grace (its exit 75 is its end) */
    bool cancel_marked = false;
    ts_err cerr = { 0 };
    if (r->dir && ts_events_is_cancelled(r->dir, t->idx, &cancel_marked, &cerr) == 0
        && cancel_marked)
        return 0;
    if (element_alive(r->sa, t->idx)) {
        r->requeued++;
        return 0;
    }
    size_t cap = r->cap;
    if (ts_grow((void **)&r->idx, &cap, r->n, sizeof *r->idx) < 0
        || ts_grow((void **)&r->attempts, &r->cap, r->n, sizeof *r->attempts) < 0)
        return -1;
    r->attempts[r->n] = t->attempts;
    r->idx[r->n++] = t->idx;
    return 0;
}

typedef struct intent_ids {
    int64_t *v;
    size_t n, cap;
} intent_ids;

static int note_intent(const ts_intent_info *in, void *arg)
{
    intent_ids *ids = arg;
    if (ts_grow((void **)&ids->v, &ids->cap, ids->n, sizeof *ids->v) < 0)
        return -1;
    ids->v[ids->n++] = in->id;
    return 0;
}

int ts_sync_adopt_queued(ts_journal *j, const char *suite_id, long *idx, int *attempts,
                         size_t *n, ts_err *err)
{
    char name[64], key[96];
    ts_job_info *jobs = NULL;
    size_t njobs = 0, kept = 0;
    ts_err probe = { 0 };

    if (*n == 0)
        return 0;
    snprintf(name, sizeof name, "ts-%s", suite_id);
    /* Slurm unreachable: nothing can be queued now either. */
    if (ts_slurm_find_jobs(getuid(), name, &jobs, &njobs, &probe) < 0)
        return 0;
    for (size_t i = 0; i < *n; i++) {
        uint32_t found = 0;
        size_t klen = (size_t)snprintf(key, sizeof key, "tasksuite:%s:t%ld:%d", suite_id,
                                       idx[i], attempts[i] + 1);
        for (size_t k = 0; k < njobs && !found; k++)
            if (strncmp(jobs[k].comment, key, klen) == 0
                && (jobs[k].comment[klen] == '\0' || jobs[k].comment[klen] == ' '))
                found = jobs[k].array_job_id ? jobs[k].array_job_id : jobs[k].job_id;
        if (found) {
            if (ts_journal_adopt_job(j, suite_id, idx[i], attempts[i] + 1, found, NULL,
                                     err) < 0) {
                free(jobs);
                return -1;
            }
            continue;
        }
        idx[kept] = idx[i];
        attempts[kept++] = attempts[i];
    }
    *n = kept;
    free(jobs);
    return 0;
}

/* Give every retryable task its next attempt: one new submission for all
 * of them, then finish any submission a crash left as a bare intent. */
static int resubmit(ts_journal *j, const ts_suite_info *si, const snap_all *sa,
                    bool local_runner, bool pool, const char *dir, ts_sync_result *res,
                    ts_err *err)
{
    retry_list r = { .max_attempts = 1 + si->max_retries, .sa = sa, .dir = dir };
    ts_submit_store store;
    ts_submit_ctx ctx;
    int64_t sub = 0;
    int rc = -1;

    /* A --local suite has no Slurm to resubmit to: its runner queues its
     * retries (marked for itself, see localrun.h); nobody else does. */
    bool local = ts_submit_record_is_local(si->submit_record);
    if (local && !local_runner)
        return 0;
    intent_ids ids = { 0 };
    /* Most syncs have nothing to retry: count over the state index first
     * (the walk below reads every task of a big suite). */
    long nretry = 0;
    if (ts_journal_count_states(j, si->id, retry_task_mask(si->retry_on), &nretry, err) < 0
        || (nretry && ts_journal_tasks_foreach(j, si->id, retry_task_mask(si->retry_on),
                                               note_retry, &r, err) < 0))
        goto out;
    /* An attempt queued from inside its predecessor's job (exec, in-job
     * resume) whose record never made it to the event file (a crash right
     * after the submission): Slurm has it under its recovery key. */
    if (r.n && !local && !pool && ts_sync_adopt_queued(j, si->id, r.idx, r.attempts, &r.n, err) < 0)
        goto out;
    if (r.n && ts_journal_intent_create(j, si->id, r.idx, r.n, &sub, err) < 0)
        goto out;
    res->resubmitted += (long)r.n;
    /* Every intent: new retries, adopted in-job resubmissions (their job
     * is recorded: nothing is queued again), a crashed submit's. */
    if (ts_journal_intents_foreach(j, si->id, TS_BIT(TS_SUB_INTENT), note_intent, &ids,
                                   err) < 0)
        goto out;
    rc = 0;
    if (!ids.n)
        goto out;
    rc = -1;
    if (ts_submission_load(j, si, &store, &ctx, err) < 0)
        goto out;
    ctx.recover = true;
    /* a --local suite's are marked for its runner (the caller), not queued */
    rc = 0;
    ts_carry_opts how = { .local = store.local };   /* the suite's watchdog is already there */
    for (size_t i = 0; i < ids.n && rc == 0; i++)
        if (ts_submission_carry_out(&ctx, ids.v[i], &how, NULL, err) < 0)
            rc = -1;
    ts_submission_store_free(&store);
out:
    free(ids.v);
    free(r.idx);
    free(r.attempts);
    return rc;
}

/* ------------------------------------------------------------ after */

static int after_state(ts_journal *j, const ts_suite_info *si, bool *has, bool *waiting,
                       ts_err *err)
{
    ts_submit_record rec;
    ts_err e = { 0 };
    *has = *waiting = false;
    if (!si->submit_record || ts_submit_record_from_json(si->submit_record, &rec, &e) < 0)
        return 0;
    *has = rec.nafter > 0;
    ts_submit_record_free(&rec);
    return *has ? ts_after_waiting(j, si->submit_record, waiting, NULL, err) : 0;
}

static bool any_held(const snap_all *sa)
{
    for (size_t i = 0; i < sa->n; i++)
        for (size_t k = 0; k < sa->v[i].narrays; k++)
            for (size_t e = 0; e < sa->v[i].arrays[k].nel; e++)
                if (sa->v[i].arrays[k].el[e].held)
                    return true;
    return false;
}

/* A suite that became complete: the suites waiting for it look now. */
static void wake_dependents(ts_journal *j, const char *done_id)
{
    char **deps = NULL;
    size_t n = 0;
    ts_err e = { 0 };
    if (ts_after_dependents(j, done_id, getuid(), &deps, &n, &e) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        ts_sync_opts o = { .quiet = true };
        ts_err se = { 0 };
        if (ts_sync(j, deps[i], &o, NULL, &se) < 0)
            fprintf(stderr, "tasksuite: suite %s: %s\n", deps[i], se.msg);
    }
    ts_after_ids_free(deps, n);
}

/* ------------------------------------------------------------ settled */

/* *c is filled when *settled. */
static int is_settled(ts_journal *j, const char *suite_id, bool *settled, ts_counts *c,
                      ts_err *err)
{
    char key[TS_SETTLE_KEY_MAX], mark[TS_SETTLE_KEY_MAX];
    bool quiet;

    *settled = false;
    if (ts_journal_settled_get(j, suite_id, mark, sizeof mark, err) < 0)
        return -1;
    if (!mark[0])
        return 0;
    if (ts_journal_settle_key(j, suite_id, key, sizeof key, &quiet, c, err) < 0)
        return -1;
    *settled = quiet && strcmp(key, mark) == 0;
    return 0;
}

/* Tasks in a state the suite retries (a sync without Slurm does not
 * resubmit them, so it cannot call the suite settled). */
static long retryable_states(const ts_suite_info *si, const ts_counts *c)
{
    unsigned m = retry_task_mask(si->retry_on);
    long n = 0;
    for (int s = 0; s < TS_TASK_NSTATES; s++)
        if (m & TS_BIT(s))
            n += c->n[s];
    return n;
}

/* After a full sync: when it found nothing to do (the fast ingest had no
 * task directory to look in, nothing was classified or resubmitted) and
 * nothing is left for the next one (no task pending or running, no attempt
 * open, no submission in Slurm), store the suite's fingerprint; the next
 * sync that finds the same fingerprint has nothing to do either. Commands
 * that could give it work (add, retry, cancel, a submission) all change
 * the fingerprint; the event files of settled tasks are read in full once
 * more before the suite completes, as without the mark. Otherwise clear it. */
static int settle_mark(ts_journal *j, const ts_suite_info *si, bool idle, ts_err *err)
{
    char key[TS_SETTLE_KEY_MAX];
    bool quiet = false;

    if (idle && ts_journal_settle_key(j, si->id, key, sizeof key, &quiet, NULL, err) < 0)
        return -1;
    return ts_journal_settled_set(j, si->id, idle && quiet ? key : NULL, err);
}

int ts_sync_suite_dir(ts_journal *j, const ts_suite_info *s, char *buf, size_t len,
                      ts_err *err)
{
    return ts_layout_suite_dir(ts_journal_home(j), s->output_dir, s->id, buf, len, err);
}

int ts_sync(ts_journal *j, const char *suite_id, const ts_sync_opts *opts,
            ts_sync_result *res, ts_err *err)
{
    ts_sync_opts none = { 0 };
    ts_sync_result scratch;
    ts_suite_info si = { 0 };
    ts_ingest_stats st;
    snap_all sa = { .j = j, .err = err };
    char dir[4096];
    int rc = -1;
    bool in_slurm = false;

    if (!opts)
        opts = &none;
    if (!res)
        res = &scratch;
    const ts_sync_slurm *fake = opts->slurm;
    sa.slurm = (ts_sync_slurm){
        .array_elements = fake && fake->array_elements ? fake->array_elements
                                                       : ts_slurm_array_elements,
        .release = fake && fake->release ? fake->release : ts_slurm_release,
        .cancel = fake && fake->cancel ? fake->cancel : ts_slurm_cancel,
    };
    memset(res, 0, sizeof *res);
    if (ts_journal_lock(j, err) < 0)
        return -1;
    if (ts_journal_suite_get(j, suite_id, &si, err) < 0
        || ts_sync_suite_dir(j, &si, dir, sizeof dir, err) < 0)
        goto out;
    /* A complete or cancelled suite is settled: its events were read in
     * full before it completed. Only `add`/`retry` re-open it. */
    if (si.state == TS_SUITE_COMPLETE || si.state == TS_SUITE_CANCELLED) {
        res->state = si.state;
        rc = 0;
        in_slurm = !opts->no_slurm && !ts_submit_record_is_local(si.submit_record);
        goto out;
    }
    /* Settled (the same fingerprint as when a sync last found nothing to
     * do, see settle_mark): no event file, Slurm job or retry can change
     * the journal, so a status, list or reconcile costs three index reads,
     * not a scan of every task. */
    bool settled = false;
    long dirs = -1;
    ts_counts c;
    /* A suite waiting for others (after.h) is never settled: what it waits
     * for changes in other suites, not in its own fingerprint. */
    bool after_wait = false, has_after = false;
    if (after_state(j, &si, &has_after, &after_wait, err) < 0)
        goto out;
    if (!has_after && is_settled(j, si.id, &settled, &c, err) < 0)
        goto out;
    if (settled)
        goto tick;
    /* Pool mode (poolsync.h): no arrays to look at; the claims tell what
     * the events cannot. */
    bool pool = !ts_submit_record_is_local(si.submit_record) && ts_pool_dir_exists(dir);
    /* Slurm first, then the events: whatever Slurm saw end had written its
     * events before it ended, so they are ingested before any verdict. */
    if (!pool && !opts->no_slurm && si.state != TS_SUITE_CANCELLED
        && ts_journal_intents_foreach(j, si.id, TS_BIT(TS_SUB_SUBMITTED), snap_intent,
                                      &sa, err) < 0)
        goto out;
    if (sa.n && each_element(j, &si, &sa, follow_requeue, err) < 0)
        goto out;
    if (ts_journal_ingest(j, si.id, dir, &st, err) < 0)
        goto out;
    res->ingested = st.applied;
    dirs = st.dirs;
    if (sa.n && each_element(j, &si, &sa, close_lost, err) < 0)
        goto out;
    /* Waiting for other suites (after.h): its arrays are held on purpose,
     * until they are complete; then released here, as a whole. */
    if (has_after && !after_wait && any_held(&sa)) {
        if (ts_after_release(j, &si, err) < 0)
            goto out;
    } else if (!after_wait && sa.n && each_element(j, &si, &sa, release_held, err) < 0) {
        goto out;
    }
    if (sa.n && classify(j, &si, &sa, res, err) < 0)
        goto out;
    long lost = 0;
    if (pool && si.state != TS_SUITE_CANCELLED
        && (ts_poolsync_claims(j, &si, dir, !opts->no_slurm, &lost, err) < 0
            || ts_poolsync_close_intents(j, si.id, err) < 0))
        goto out;
    res->classified += lost;
    /* A --local suite whose runner is gone (kill -9): its open attempts
     * are lost, as a node's are on a cluster. */
    bool local = ts_submit_record_is_local(si.submit_record);
    if (local && !opts->local_runner && si.state != TS_SUITE_CANCELLED
        && ts_localrun_check_lost(j, si.id, dir, NULL, err) < 0)
        goto out;
    /* issue 16: checkpoints -> on_checkpoint's tasks (their intents are
     * carried out by resubmit, just below). */
    long triggered = 0;
    if (si.state != TS_SUITE_CANCELLED && ts_oncheckpoint_sync(j, &si, false, &triggered, err) < 0)
        goto out;
    if (triggered) {   /* total_tasks grew: resubmit rebuilds the new tasks from it */
        ts_suite_info_clear(&si);
        if (ts_journal_suite_get(j, suite_id, &si, err) < 0)
            goto out;
    }
    /* A graph's tasks Slurm ended unrun: skipped, waiting, or queued
     * again (rearm.h); their new submission is carried out just below. */
    long rearmed = 0;
    if (!opts->no_slurm && !local && !pool && si.state != TS_SUITE_CANCELLED
        && ts_rearm_sync(j, &si, retry_task_mask(si.retry_on), &rearmed, err) < 0)
        goto out;
    res->resubmitted += rearmed;
    if ((!opts->no_slurm || (local && opts->local_runner)) && si.state != TS_SUITE_CANCELLED
        && resubmit(j, &si, &sa, opts->local_runner, pool, dir, res, err) < 0)
        goto out;
    /* Pool mode's safety net: tasks pending, no allocation to run them. */
    if (pool && !opts->no_slurm && si.state != TS_SUITE_CANCELLED
        && ts_poolsync_safety_net(j, &si, NULL, err) < 0)
        goto out;
    /* Waves: tasks waiting for room in Slurm are queued as room appears. */
    if (!opts->no_slurm && si.state != TS_SUITE_CANCELLED
        && ts_submission_fill_waves(j, &si, NULL, err) < 0)
        goto out;
tick:
    /* Before a suite may complete, read every event file once more: the
     * fast ingest skips tasks whose attempt already has an outcome, and a
     * late record (a rank's exit after another rank failed) must not be
     * lost. */
    if (!settled && ts_journal_counts(j, si.id, &c, err) < 0)
        goto out;
    /* Only when the suite is about to complete (idle past close_after):
     * a full re-read of every event file is the expensive part of a sync. */
    double now = (double)time(NULL);
    bool read_all = c.n[TS_TASK_PENDING] + c.n[TS_TASK_RUNNING] == 0
                    && si.state != TS_SUITE_COMPLETE && si.state != TS_SUITE_CANCELLED
                    && (si.state == TS_SUITE_CLOSED
                        || now - si.last_added_at >= (double)si.close_after_s);
    if (read_all && (ts_journal_ingest_all(j, si.id, dir, &st, err) < 0
                     || ts_journal_counts(j, si.id, &c, err) < 0))
        goto out;
    /* issue 16: a checkpoint only the full read found still triggers its
     * task before the suite may complete. */
    triggered = 0;
    if (read_all
        && (ts_oncheckpoint_sync(j, &si, !ts_submit_record_is_local(si.submit_record)
                                             ? !opts->no_slurm : opts->local_runner,
                                 &triggered, err) < 0
            || (triggered && ts_journal_counts(j, si.id, &c, err) < 0)))
        goto out;
    res->counts = c;
    res->counted = true;
    if (ts_journal_suite_tick(j, si.id, (double)time(NULL), &res->state,
                              &res->became_complete, err) < 0)
        goto out;
    if (!settled
        && settle_mark(j, &si, dirs == 0 && !res->classified && !res->resubmitted
                                   && (!opts->no_slurm
                                       || !retryable_states(&si, &c)), err) < 0)
        goto out;
    rc = 0;
    /* Only a suite in Slurm has a watchdog to cancel when it completes. */
    in_slurm = !opts->no_slurm && !ts_submit_record_is_local(si.submit_record);
out:
    snap_free(&sa);
    ts_suite_info_clear(&si);
    ts_journal_unlock(j);
    /* The watchdog is not needed any more, unless this refresh may not run
     * user code and on_complete is due: then the watchdog runs it. */
    if (rc == 0 && res->became_complete && in_slurm && !getenv("TASKSUITE_NO_RECONCILE_JOB")) {
        bool due = false;
        ts_err e = { 0 };   /* harmless if left */
        if (opts->run_on_complete
            || (ts_on_complete_due(j, suite_id, &due, &e) == 0 && !due))
            (void)ts_submission_unwatch(suite_id, &e);
    }
    if (rc == 0 && res->became_complete && in_slurm)
        wake_dependents(j, suite_id);
    /* After the lock is released: the hook may well call tasksuite itself.
     * Not only when this sync completed the suite: a `list` may have. */
    if (rc == 0 && opts->run_on_complete
        && (res->state == TS_SUITE_COMPLETE || res->became_complete)) {
        ts_err hook_err = { 0 };
        bool ran = false;
        if (ts_on_complete_run_if_due(j, suite_id, &ran, &hook_err) < 0)
            fprintf(stderr, "tasksuite: %s\n", hook_err.msg);
        /* A completion a `status` saw kept the watchdog for the hook. */
        if (ran && !res->became_complete && in_slurm && !getenv("TASKSUITE_NO_RECONCILE_JOB")) {
            ts_err e = { 0 };
            (void)ts_submission_unwatch(suite_id, &e);
        }
    }
    return rc;
}

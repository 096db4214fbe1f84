#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "poolsubmit.h"
#include "record.h"
#include "events.h"
#include "exitcodes.h"
#include "layout.h"
#include "report.h"

typedef struct rec_job {
    int64_t sub_id;
    ts_slurm_job job;
} rec_job;

typedef struct elem {             /* task mode: where the task runs */
    uint32_t array;
    long index;
} elem;

typedef struct ctx {
    ts_journal *j;
    const char *id;
    uid_t owner;
    const ts_cancel_opts *o;
    ts_cancel_result *r;
    ts_err *err;
    /* arrays of the submissions not done yet */
    rec_job *jobs;
    size_t njobs, jcap;
    long arrays_ever;             /* in any submission, done ones included */
    long intents;                 /* submissions never marked submitted */
    /* task mode */
    long task_idx;                /* -1: the whole suite */
    int64_t cur_sub;
    long *pos;                    /* positions of the task in cur_sub */
    size_t npos, pcap;
    elem *elems;
    size_t nelems, ecap;
    /* what Slurm runs */
    ts_job_info *live;
    size_t nlive;
    bool oom;
} ctx;

static const ts_cancel_slurm real_slurm = {
    .find_jobs = ts_slurm_find_jobs,
    .array_elements = ts_slurm_array_elements,
    .cancel = ts_slurm_cancel,
};

static int s_find(const ctx *c, uid_t uid, const char *prefix, ts_job_info **out,
                  size_t *n, ts_err *err)
{
    const ts_cancel_slurm *s = c->o->slurm;
    return (s && s->find_jobs ? s->find_jobs : real_slurm.find_jobs)(uid, prefix, out, n, err);
}

static int s_elements(const ctx *c, uint32_t id, ts_job_info **out, size_t *n,
                      ts_err *err)
{
    const ts_cancel_slurm *s = c->o->slurm;
    return (s && s->array_elements ? s->array_elements
                                   : real_slurm.array_elements)(id, out, n, err);
}

static int s_cancel(const ctx *c, const char *spec, ts_err *err)
{
    const ts_cancel_slurm *s = c->o->slurm;
    return (s && s->cancel ? s->cancel : real_slurm.cancel)(spec, err);
}

static void say(const ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const ctx *c, const char *fmt, ...)
{
    va_list ap;
    if (!c->o->out)
        return;
    va_start(ap, fmt);
    vfprintf(c->o->out, fmt, ap);
    va_end(ap);
    fputc('\n', c->o->out);
    fflush(c->o->out);
}

static void warn(const ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const ctx *c, const char *fmt, ...)
{
    va_list ap;
    if (!c->o->warn)
        return;
    va_start(ap, fmt);
    if (c->o->warn_prefix)
        fputs(c->o->warn_prefix, c->o->warn);
    vfprintf(c->o->warn, fmt, ap);
    va_end(ap);
    fputc('\n', c->o->warn);
    fflush(c->o->warn);
}

static bool is_live(const ts_job_info *ji)
{
    return ji->state == TS_JOB_PENDING || ji->state == TS_JOB_RUNNING;
}

/* The array a job record belongs to (a plain job: itself). */
static uint32_t array_of(const ts_job_info *ji)
{
    return ji->array_job_id ? ji->array_job_id : ji->job_id;
}

/* ---------------------------------------------------------------- journal walks */

static int job_cb(const ts_slurm_job *job, void *arg)
{
    ctx *c = arg;

    if (c->njobs == c->jcap) {
        size_t cap = c->jcap ? c->jcap * 2 : 16;
        rec_job *nj = realloc(c->jobs, cap * sizeof *nj);
        if (!nj) {
            c->oom = true;
            return 1;
        }
        c->jobs = nj;
        c->jcap = cap;
    }
    c->jobs[c->njobs].sub_id = c->cur_sub;
    c->jobs[c->njobs].job = *job;
    c->njobs++;
    return 0;
}

static int pos_cb(long position, long task_idx, int attempt, void *arg)
{
    ctx *c = arg;
    (void)attempt;

    if (task_idx != c->task_idx)
        return 0;
    if (c->npos == c->pcap) {
        size_t cap = c->pcap ? c->pcap * 2 : 4;
        long *np = realloc(c->pos, cap * sizeof *np);
        if (!np) {
            c->oom = true;
            return 1;
        }
        c->pos = np;
        c->pcap = cap;
    }
    c->pos[c->npos++] = position;
    return 0;
}

static int add_elem(ctx *c, uint32_t array, long index)
{
    for (size_t i = 0; i < c->nelems; i++)
        if (c->elems[i].array == array && c->elems[i].index == index)
            return 0;
    if (c->nelems == c->ecap) {
        size_t cap = c->ecap ? c->ecap * 2 : 4;
        elem *ne = realloc(c->elems, cap * sizeof *ne);
        if (!ne)
            return -1;
        c->elems = ne;
        c->ecap = cap;
    }
    c->elems[c->nelems].array = array;
    c->elems[c->nelems].index = index;
    c->nelems++;
    return 0;
}

static int intent_cb(const ts_intent_info *in, void *arg)
{
    ctx *c = arg;
    size_t first = c->njobs;

    c->arrays_ever += in->njobs;
    c->intents += in->state == TS_SUB_INTENT;
    if (in->state == TS_SUB_DONE || in->njobs == 0)
        return 0;
    c->cur_sub = in->id;
    if (ts_journal_intent_jobs_foreach(c->j, in->id, job_cb, c, c->err) < 0)
        return -1;
    if (c->oom || c->task_idx < 0)
        return c->oom ? 1 : 0;
    c->npos = 0;
    if (ts_journal_intent_tasks_foreach(c->j, in->id, pos_cb, c, c->err) < 0)
        return -1;
    if (c->oom)
        return 1;
    for (size_t p = 0; p < c->npos; p++)
        for (size_t k = first; k < c->njobs; k++) {
            const ts_slurm_job *jb = &c->jobs[k].job;
            if (c->pos[p] >= jb->index_offset + jb->first_index
                && c->pos[p] <= jb->index_offset + jb->last_index
                && add_elem(c, jb->array_job_id, c->pos[p] - jb->index_offset) < 0) {
                c->oom = true;
                return 1;
            }
        }
    return 0;
}

static int collect(ctx *c)
{
    int rc = ts_journal_intents_foreach(c->j, c->id, 0, intent_cb, c, c->err);
    if (rc < 0)
        return -1;
    if (c->oom)
        return ts_errc(c->err, TS_EXIT_FAIL, "out of memory");
    return 0;
}

/* The suite's live jobs: named "ts-<ID>", pending or running. optional:
 * a failure is a warning and nothing is live. 1 when Slurm answered, 0 when
 * it did not (optional), -1 on error. */
static int find_live(ctx *c, bool optional)
{
    char name[TS_SUITE_ID_LEN + 4];
    ts_job_info *all = NULL;
    size_t n = 0, k = 0;
    ts_err e = { .code = 0 };

    snprintf(name, sizeof name, "ts-%s", c->id);
    if (s_find(c, c->owner, name, &all, &n, &e) < 0) {
        free(all);
        if (!optional) {
            *c->err = e;
            if (!c->err->code)
                c->err->code = TS_EXIT_SLURM;
            return -1;
        }
        warn(c, "could not ask Slurm about jobs of suite %s: %s", c->id, e.msg);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i].name, name) && is_live(&all[i]))
            all[k++] = all[i];
    c->live = all;
    c->nlive = k;
    return 1;
}

static bool recorded(const ctx *c, uint32_t array)
{
    for (size_t i = 0; i < c->njobs; i++)
        if (c->jobs[i].job.array_job_id == array)
            return true;
    return false;
}

static bool is_reconcile(const ctx *c, uint32_t id)
{
    for (size_t i = 0; i < c->njobs; i++)
        if (c->jobs[i].job.reconcile_job_id && c->jobs[i].job.reconcile_job_id == id)
            return true;
    return false;
}

/* A live job that carries this suite's recovery key. */
static bool has_key(const ctx *c, const ts_job_info *ji)
{
    char key[TS_SUITE_ID_LEN + 16];
    int n = snprintf(key, sizeof key, "tasksuite:%s:", c->id);
    return n > 0 && !strncmp(ji->comment, key, (size_t)n);
}

static int cancel_spec(const ctx *c, const char *spec)
{
    ts_err e = { .code = 0 };
    if (s_cancel(c, spec, &e) < 0) {
        ts_errc(c->err, e.code ? e.code : TS_EXIT_SLURM, "%s", e.msg);
        return -1;
    }
    return 0;
}

/* One array of the suite: cancel it whole, or only its pending elements. */
static int cancel_array(ctx *c, uint32_t array)
{
    long pending = 0, running = 0;
    char spec[64];
    bool pool = false;

    for (size_t i = 0; i < c->nlive; i++)
        if (array_of(&c->live[i]) == array) {
            pool = pool || ts_pool_is_allocation(&c->live[i], c->id);
            if (c->live[i].state == TS_JOB_PENDING)
                pending++;
            else
                running++;
        }
    if (!pending && !running)
        return 0;
    if (!c->o->keep_running) {
        snprintf(spec, sizeof spec, "%" PRIu32, array);
        if (cancel_spec(c, spec) < 0)
            return -1;
        c->r->arrays++;
        c->r->pending += pending;
        c->r->running += running;
        if (pool)   /* pool mode: one job, its agents run many tasks */
            say(c, "cancelled pool allocation %" PRIu32 " (%s)%s", array,
                pending ? "pending" : "running",
                recorded(c, array) ? "" : " (not recorded in the journal)");
        else
            say(c, "cancelled Slurm array %" PRIu32 ": %ld pending, %ld running%s", array,
                pending, running, recorded(c, array) ? "" : " (not recorded in the journal)");
        return 0;
    }
    for (size_t i = 0; i < c->nlive; i++) {
        const ts_job_info *ji = &c->live[i];
        if (array_of(ji) != array || ji->state != TS_JOB_PENDING)
            continue;
        if (ji->array_job_id)
            snprintf(spec, sizeof spec, "%" PRIu32 "_%" PRIu32, ji->array_job_id,
                     ji->array_task_id);
        else
            snprintf(spec, sizeof spec, "%" PRIu32, ji->job_id);
        if (cancel_spec(c, spec) < 0)
            return -1;
        c->r->pending++;
    }
    c->r->left_running += running;
    say(c, "cancelled %ld pending element%s of Slurm array %" PRIu32
        "; left %ld running", pending, pending == 1 ? "" : "s", array, running);
    return 0;
}

static int cancel_reconcile(ctx *c, uint32_t id)
{
    ts_job_info *el = NULL;
    size_t n = 0;
    bool live = false;
    char spec[32];
    ts_err e = { .code = 0 };

    if (s_elements(c, id, &el, &n, &e) < 0) {
        free(el);
        return ts_errc(c->err, e.code ? e.code : TS_EXIT_SLURM, "%s", e.msg);
    }
    for (size_t i = 0; i < n; i++)
        live = live || is_live(&el[i]);
    free(el);
    if (!live)
        return 0;
    snprintf(spec, sizeof spec, "%" PRIu32, id);
    if (cancel_spec(c, spec) < 0)
        return -1;
    c->r->reconcile++;
    say(c, "cancelled reconcile job %" PRIu32, id);
    return 0;
}

static void ctx_free(ctx *c)
{
    free(c->jobs);
    free(c->pos);
    free(c->elems);
    free(c->live);
}

/* The suite's watchdog (submission.h) waits with no dependency and has
 * nothing left to watch in a cancelled suite; one left behind would only
 * run and exit. Best effort: a failure is a warning. */
static void cancel_watchdog(const ctx *c)
{
    char name[64], key[64], spec[16];
    ts_job_info *jobs = NULL;
    size_t n = 0;
    ts_err werr = { 0 };

    snprintf(name, sizeof name, "ts-%s-reconcile", c->id);
    snprintf(key, sizeof key, "tasksuite:%s:watch", c->id);
    if (s_find(c, c->owner, name, &jobs, &n, &werr) < 0) {
        warn(c, "could not look for the suite's watchdog job: %s", werr.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].state != TS_JOB_PENDING || strcmp(jobs[i].comment, key) != 0)
            continue;
        snprintf(spec, sizeof spec, "%" PRIu32, jobs[i].job_id ? jobs[i].job_id : jobs[i].array_job_id);
        if (s_cancel(c, spec, &werr) < 0)
            warn(c, "could not cancel the suite's watchdog job %s: %s", spec, werr.msg);
    }
    free(jobs);
}

/* ---------------------------------------------------------------- suite */

static int suite_slurm(ctx *c, bool optional)
{
    int rc = find_live(c, optional);

    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < c->njobs; i++) {
        bool dup = false;
        for (size_t k = 0; k < i; k++)
            dup = dup || c->jobs[k].job.array_job_id == c->jobs[i].job.array_job_id;
        if (!dup && cancel_array(c, c->jobs[i].job.array_job_id) < 0)
            return -1;
    }
    /* live arrays of the suite the journal does not know */
    for (size_t i = 0; i < c->nlive; i++) {
        uint32_t a = array_of(&c->live[i]);
        bool seen = false;
        if (recorded(c, a) || is_reconcile(c, a) || !has_key(c, &c->live[i]))
            continue;
        for (size_t k = 0; k < i; k++)
            seen = seen || array_of(&c->live[k]) == a;
        if (!seen && cancel_array(c, a) < 0)
            return -1;
    }
    if (c->o->keep_running)
        return 0;
    for (size_t i = 0; i < c->njobs; i++) {
        uint32_t id = c->jobs[i].job.reconcile_job_id;
        bool dup = false;
        if (!id)
            continue;
        for (size_t k = 0; k < i; k++)
            dup = dup || c->jobs[k].job.reconcile_job_id == id;
        if (!dup && cancel_reconcile(c, id) < 0)
            return -1;
    }
    return 0;
}

int ts_cancel_suite(ts_journal *j, const char *suite_id, const ts_cancel_opts *o,
                    ts_cancel_result *r, ts_err *err)
{
    ts_suite_info si;
    ts_counts before, after;
    ctx c = { .j = j, .o = o, .r = r, .err = err, .task_idx = -1 };
    int rc = -1;

    memset(r, 0, sizeof *r);
    if (ts_journal_lock(j, err) < 0)
        return -1;
    if (ts_journal_suite_get(j, suite_id, &si, err) < 0) {
        ts_journal_unlock(j);
        return -1;
    }
    c.id = si.id;
    c.owner = si.owner_uid;
    r->already = si.state == TS_SUITE_CANCELLED;
    if (ts_journal_counts(j, si.id, &before, err) < 0 || collect(&c) < 0)
        goto out;
    /* Nothing recorded and no submit left unfinished: never on Slurm
     * (--local, or nothing submitted yet). Nothing recorded but a submission
     * still an intent: a killed submit may have queued arrays, look for them
     * but do not insist. Already cancelled: the journal is right whatever
     * Slurm says. */
    /* A --local suite never was in Slurm: its runner stops the tasks when
     * it sees the suite cancelled (src/suite/localrun.h). */
    bool in_slurm = !ts_submit_record_is_local(si.submit_record)
                    && (c.arrays_ever > 0 || c.intents > 0);
    if (in_slurm && suite_slurm(&c, c.arrays_ever == 0 || r->already) < 0)
        goto out;
    if (in_slurm)
        cancel_watchdog(&c);
    if (!r->already) {
        if (ts_journal_suite_cancel(j, si.id, err) < 0
            || ts_journal_counts(j, si.id, &after, err) < 0)
            goto out;
        r->tasks = after.n[TS_TASK_CANCELLED] - before.n[TS_TASK_CANCELLED];
    }
    rc = 0;
out:
    ts_journal_unlock(j);
    ctx_free(&c);
    ts_suite_info_clear(&si);
    return rc;
}

/* ---------------------------------------------------------------- task */

int ts_cancel_task(ts_journal *j, const char *suite_id, const char *task,
                   const ts_cancel_opts *o, ts_cancel_result *r, ts_err *err)
{
    ts_suite_info si;
    ts_task_brief tb = { 0 };
    ctx c = { .j = j, .o = o, .r = r, .err = err };
    char spec[64];
    int rc = -1;

    memset(r, 0, sizeof *r);
    if (ts_journal_lock(j, err) < 0)
        return -1;
    if (ts_journal_suite_get(j, suite_id, &si, err) < 0) {
        ts_journal_unlock(j);
        return -1;
    }
    c.id = si.id;
    c.owner = si.owner_uid;
    if (ts_report_task_get(j, si.id, task, &tb, err) < 0)
        goto out;
    if (tb.state == TS_TASK_COMPLETED) {
        r->not_cancellable = true;
        rc = 0;
        goto out;
    }
    r->already = tb.state == TS_TASK_CANCELLED;
    c.task_idx = tb.idx;
    /* First the marker: an element Slurm starts from here on (a wave not
     * queued yet, one that starts while we look) runs nothing. */
    char dir[PATH_MAX];
    if (ts_layout_suite_dir(ts_journal_home(j), si.output_dir, si.id, dir, sizeof dir, err) < 0
        || ts_events_cancel_mark(dir, tb.idx, true, err) < 0)
        goto out;
    if (collect(&c) < 0)
        goto out;
    if (c.nelems) {
        int live = find_live(&c, r->already);
        if (live < 0)
            goto out;
        for (size_t e = 0; live > 0 && e < c.nelems; e++) {
            for (size_t i = 0; i < c.nlive; i++) {
                const ts_job_info *ji = &c.live[i];
                bool match = ji->array_job_id
                    ? ji->array_job_id == c.elems[e].array
                      && (long)ji->array_task_id == c.elems[e].index
                    : ji->job_id == c.elems[e].array;
                if (!match)
                    continue;
                if (ji->state == TS_JOB_RUNNING && o->keep_running) {
                    r->left_running++;
                    say(&c, "left Slurm job %" PRIu32 "_%ld of task \"%s\" running",
                        c.elems[e].array, c.elems[e].index, tb.name);
                    break;
                }
                if (ji->array_job_id)
                    snprintf(spec, sizeof spec, "%" PRIu32 "_%ld", c.elems[e].array,
                             c.elems[e].index);
                else
                    snprintf(spec, sizeof spec, "%" PRIu32, ji->job_id);
                if (cancel_spec(&c, spec) < 0)
                    goto out;
                if (ji->state == TS_JOB_PENDING)
                    r->pending++;
                else
                    r->running++;
                say(&c, "cancelled Slurm job %s (%s) of task \"%s\"", spec,
                    ji->state == TS_JOB_PENDING ? "pending" : "running", tb.name);
                break;
            }
        }
    }
    if (!r->already) {
        if (ts_journal_task_set_state(j, si.id, tb.idx, TS_TASK_CANCELLED, err) < 0)
            goto out;
        r->tasks = 1;
    }
    rc = 0;
out:
    ts_journal_unlock(j);
    ts_task_brief_clear(&tb);
    ctx_free(&c);
    ts_suite_info_clear(&si);
    return rc;
}

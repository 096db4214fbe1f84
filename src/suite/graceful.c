/* graceful.c: cancel with a grace period (see graceful.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctrlc.h"
#include "events.h"
#include "graceful.h"
#include "layout.h"
#include "poolsubmit.h"
#include "record.h"
#include "report.h"
#include "slurm.h"
#include "spec.h"
#include "sync.h"
#include "units.h"

/* ------------------------------------------------------------ the grace file */

static int grace_path(const char *suite_dir, long idx, char *dir, size_t dlen, char *path,
                      size_t plen, ts_err *err)
{
    if (snprintf(dir, dlen, "%s/events/%ld", suite_dir, idx) >= (int)dlen
        || snprintf(path, plen, "%s/cancel-grace", dir) >= (int)plen)
        return ts_errf(err, "cancel: path too long under %s", suite_dir);
    return 0;
}

static int grace_file_write(const char *suite_dir, long idx, int sig, double deadline,
                            ts_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], tmp[PATH_MAX + 48], events[PATH_MAX + 8];

    if (grace_path(suite_dir, idx, dir, sizeof dir, path, sizeof path, err) < 0)
        return -1;
    if (snprintf(events, sizeof events, "%s/events", suite_dir) >= (int)sizeof events)
        return ts_errf(err, "cancel: path too long under %s", suite_dir);
    (void)mkdir(events, 0755);
    (void)mkdir(dir, 0755);
    snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return ts_errf(err, "cancel: create %s: %s", tmp, strerror(errno));
    fprintf(f, "%d %.3f\n", sig, deadline);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return ts_errf(err, "cancel: write %s: %s", path, strerror(errno));
    }
    return 0;
}

int ts_grace_file_read(const char *suite_dir, long task_idx, bool *found, int *sig,
                       double *deadline, ts_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];

    *found = false;
    if (grace_path(suite_dir, task_idx, dir, sizeof dir, path, sizeof path, err) < 0)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT || errno == ENOTDIR ? 0
               : ts_errf(err, "cancel: read %s: %s", path, strerror(errno));
    *found = fscanf(f, "%d %lf", sig, deadline) == 2;
    fclose(f);
    return 0;
}

/* ------------------------------------------------------------ running tasks */

typedef struct running {
    long idx;
    int attempt;
    uint32_t job;         /* 0: --local */
    bool ended;
} running;

typedef struct run_list {
    running *v;
    size_t n;
    bool local;
} run_list;

static int note_running(const ts_attempt_info *a, void *arg)
{
    run_list *l = arg;
    uint32_t job = (uint32_t)strtoul(a->slurm_job_id ? a->slurm_job_id : "", NULL, 10);
    if (!job && !l->local)
        return 0;   /* no job known: nothing to signal, the kill follows */
    running *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    v[l->n++] = (running){ .idx = a->task_idx, .attempt = a->attempt, .job = job };
    return 0;
}

/* Whether Slurm still runs job `job` (an element's own id). */
static bool job_alive(uint32_t job)
{
    ts_job_info *el = NULL;
    size_t n = 0;
    ts_err e = { 0 };
    bool alive = false;

    if (ts_slurm_array_elements(job, &el, &n, &e) < 0)
        return true;   /* cannot tell: keep waiting until the grace is over */
    for (size_t i = 0; i < n; i++)
        if (el[i].job_id == job && !el[i].completing
            && (el[i].state == TS_JOB_RUNNING || el[i].state == TS_JOB_PENDING))
            alive = true;
    free(el);
    return alive;
}

/* --local: the attempt has ended (its `exited` record, ingested). */
static bool local_alive(ts_journal *j, const char *suite_id, const running *r)
{
    ts_sync_opts so = { .no_slurm = true, .quiet = true };
    ts_attempt_info a;
    ts_err e = { 0 };

    if (ts_sync(j, suite_id, &so, NULL, &e) < 0)
        return true;
    return ts_report_attempt_get(j, suite_id, r->idx, r->attempt, &a, &e) == 1
           && a.state == TS_ATT_RUNNING;
}

static ts_suite *suite_spec(const ts_suite_info *si)
{
    ts_submit_record rec;
    ts_err e = { 0 };
    ts_suite *s = NULL;

    if (ts_submit_record_from_json(si->submit_record, &rec, &e) < 0)
        return NULL;
    if (rec.yaml && ts_spec_parse(rec.file ? rec.file : si->name, rec.yaml, strlen(rec.yaml),
                                  &s, &e) < 0)
        s = NULL;
    ts_submit_record_free(&rec);
    return s;
}

int ts_cancel_grace(ts_journal *j, const char *suite_id, const char *task, long grace_s,
                    FILE *out, ts_grace_result *res, ts_err *err)
{
    ts_suite_info si = { 0 };
    run_list l = { 0 };
    ts_suite *spec = NULL;
    char dir[PATH_MAX];
    int rc = -1;

    memset(res, 0, sizeof *res);
    if (ts_journal_suite_get(j, suite_id, &si, err) < 0)
        return -1;
    if (si.state == TS_SUITE_CANCELLED || si.state == TS_SUITE_COMPLETE) {
        rc = 0;
        goto out;
    }
    spec = suite_spec(&si);
    if (grace_s < 0)
        grace_s = spec ? spec->resume.cancel_grace_s : 0;
    int sig = spec && spec->resume.signal > 0 ? spec->resume.signal : SIGTERM;
    if (grace_s <= 0) {
        rc = 0;
        goto out;
    }
    l.local = ts_submit_record_is_local(si.submit_record);
    /* The starts recorded so far, so the running attempts have their job. */
    ts_sync_opts so = { .quiet = true, .no_slurm = l.local };
    ts_err serr = { 0 };
    if (ts_sync(j, si.id, &so, NULL, &serr) < 0 && out)   /* the journal as it is, then */
        fprintf(out, "warning: not refreshed: %s\n", serr.msg);
    long task_idx = -1;
    if (task && ts_journal_task_find(j, si.id, task, &task_idx, err) < 0)
        goto out;
    if (ts_sync_suite_dir(j, &si, dir, sizeof dir, err) < 0)
        goto out;
    /* Pool mode: the job is the allocation, whose agent runs many tasks;
     * its signal would warn them all. The agent stops a cancelled task
     * itself (doc/pool.md), without a grace. */
    if (!l.local && ts_pool_dir_exists(dir)) {
        if (out)
            fprintf(out, "pool mode: no grace period (each task's pool agent stops it)\n");
        rc = 0;
        goto out;
    }
    if (ts_journal_attempts_foreach(j, si.id, task_idx, TS_BIT(TS_ATT_RUNNING), note_running,
                                    &l, err) < 0)
        goto out;
    if (!l.n) {
        rc = 0;
        goto out;
    }
    /* Below each job's walltime: Slurm's limit would end it as a timeout. */
    long grace = grace_s;
    for (size_t i = 0; i < l.n; i++) {
        long rem = l.v[i].job ? ts_slurm_remaining(l.v[i].job) : -1;
        if (rem >= 0 && rem - TS_GRACE_MARGIN_S < grace)
            grace = rem > TS_GRACE_MARGIN_S ? rem - TS_GRACE_MARGIN_S : 0;
    }
    if (grace < grace_s && out)
        fprintf(out, "grace period %lds capped to %lds: the walltime ends before\n", grace_s,
                grace);
    res->grace_s = grace;
    double deadline = (double)time(NULL) + (double)grace;
    /* The marker first (see graceful.h): from here the task's exit is its
     * end, neither its job nor a sync queues another attempt. */
    for (size_t i = 0; i < l.n; i++) {
        if ((l.local && grace_file_write(dir, l.v[i].idx, sig, deadline, err) < 0)
            || ts_events_cancel_mark(dir, l.v[i].idx, true, err) < 0)
            goto out;
        res->marked++;
    }
    for (size_t i = 0; i < l.n; i++) {
        ts_err se = { 0 };
        if (l.v[i].job && ts_slurm_signal_batch(l.v[i].job, sig, &se) < 0) {
            if (out)
                fprintf(out, "could not signal job %u: %s\n", l.v[i].job, se.msg);
            continue;
        }
        res->signalled++;
        if (out) {
            const char *sn = ts_signal_name(sig);
            char job[32] = "";
            if (l.v[i].job)
                snprintf(job, sizeof job, ", job %u", l.v[i].job);
            fprintf(out, "sent SIG%s to task %ld (attempt %d%s); waiting up to %lds for it "
                    "to checkpoint and exit\n", sn ? sn : "?", l.v[i].idx, l.v[i].attempt, job,
                    grace);
        }
    }
    if (out)
        fflush(out);
    for (;;) {
        size_t left = 0;
        for (size_t i = 0; i < l.n; i++) {
            if (l.v[i].ended)
                continue;
            bool alive = l.v[i].job ? job_alive(l.v[i].job) : local_alive(j, si.id, &l.v[i]);
            if (!alive) {
                l.v[i].ended = true;
                res->ended++;
                if (out)
                    fprintf(out, "task %ld ended within the grace period\n", l.v[i].idx);
            } else
                left++;
        }
        if (!left || (double)time(NULL) >= deadline)
            break;
        ts_nap_ms(1000);
    }
    /* What they wrote in the grace (a suite cancelled next is not read
     * again). */
    ts_err lerr = { 0 };
    (void)ts_sync(j, si.id, &so, NULL, &lerr);
    /* A suite's cancel marks only pending and running tasks: one that
     * ended within the grace (exit 75: timeout) is cancelled here; a
     * task's cancel (ts_cancel_task) does that itself. */
    if (!task) {
        if (ts_journal_lock(j, err) < 0)
            goto out;
        for (size_t i = 0; i < l.n; i++) {
            ts_task_brief tb = { 0 };
            int trc = ts_report_task_by_idx(j, si.id, l.v[i].idx, &tb, err);
            if (trc == 0 && tb.state != TS_TASK_COMPLETED && tb.state != TS_TASK_CANCELLED
                && tb.state != TS_TASK_PENDING && tb.state != TS_TASK_RUNNING) {
                trc = ts_journal_task_set_state(j, si.id, l.v[i].idx, TS_TASK_CANCELLED, err);
                res->cancelled += trc == 0;
            }
            ts_task_brief_clear(&tb);
            if (trc < 0) {
                ts_journal_unlock(j);
                goto out;
            }
        }
        ts_journal_unlock(j);
    }
    rc = 0;
out:
    free(l.v);
    ts_spec_free(spec);
    ts_suite_info_clear(&si);
    return rc;
}

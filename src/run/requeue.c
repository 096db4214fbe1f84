/* requeue.c: the next attempt of a task that timed out, queued from inside
 * the job that ran this one (the fast in-job resume, doc/resuming.md). What
 * counts as a timeout is outcome.h's; when to retry is the suite's
 * (retry_on, max_retries in the runspec); this file only carries it out.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "attempt_int.h"
#include "claims.h"
#include "slurm.h"
#include "submission.h"

/* The in-job path of a resume, fast: the next attempt is queued from here
 * as a fresh one-element array, eligible at once (a requeued element waits
 * for Slurm's cred_expire, 121 s at Slurm's default), recorded in this
 * attempt's event file before its `exited` record, so no sync, reconcile
 * job or `retry` queues it a second time; its recovery key (the job's
 * comment) lets a sync find it if we die between the two. 0 when queued. */
static int queue_next(const ts_runspec *rs, const ts_manifest_entry *t, const ts_evctx *ev,
                      int attempt)
{
    const char *hooks = getenv("SLURM_SPANK_TASK_SUITE_SPEC");
    char man[PATH_MAX], self[PATH_MAX], cwd[PATH_MAX];
    ts_err err = { 0 };
    uint32_t job = 0;

    if (!rs->has_sbatch || !hooks || !*hooks)
        return -1;      /* a runspec from before: requeue */
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || (!rs->workdir && !getcwd(cwd, sizeof cwd)))
        return -1;
    self[n] = '\0';
    ts_manifest_entry next = *t;
    next.attempt = attempt + 1;
    if (snprintf(man, sizeof man, "%s/manifests/t%ld-a%d.jsonl", rs->dir, t->task_idx,
                 attempt + 1) >= (int)sizeof man
        || ts_manifest_write(man, &next, 1, &err) < 0) {
        fprintf(stderr, TS_ATTEMPT_MSG "%s\n", err.msg[0] ? err.msg : "manifest path too long");
        return -1;
    }
    ts_next_req req = {
        .suite_id = rs->id, .suite_dir = rs->dir, .self = self,
        .workdir = rs->workdir ? rs->workdir : cwd,
        .spec_file = rs->file ? rs->file : rs->name, .hooks = hooks, .manifest = man,
        .options = &rs->sbatch, .task_idx = t->task_idx, .attempt = attempt + 1,
    };
    if (ts_submission_submit_next(&req, &job, &err) < 0) {
        fprintf(stderr, TS_ATTEMPT_MSG "cannot queue attempt %d: %s\n", attempt + 1, err.msg);
        return -1;
    }
    if (ts_events_resubmitted(ev, job, &err) < 0)
        fprintf(stderr, TS_ATTEMPT_MSG "%s (a sync finds job %u by its comment)\n",
                err.msg, job);
    fprintf(stderr, TS_ATTEMPT_MSG "attempt %d timed out; attempt %d queued as job %u\n",
            attempt, attempt + 1, job);
    return 0;
}

/* A task that gave up gracefully (exit 75, EX_TEMPFAIL, typically after the
 * warning signal and a checkpoint) or died of the warning gets its next
 * attempt from inside this job: queue_next, else (a runspec from before, or
 * the submission refused) by requeueing this very element (the same job id
 * and array index run again with SLURM_RESTART_COUNT + 1, the next attempt
 * number, once Slurm's cred_expire has passed). A task killed at the
 * walltime without a warning is caught by the safety-net reconcile job. */
void ts_attempt_maybe_requeue(const ts_runspec *rs, const ts_manifest_entry *t,
                              const ts_evctx *ev, int attempt, enum ts_task_outcome outcome)
{
    const char *job = getenv("SLURM_JOB_ID");
    ts_err err = { 0 };
    if (!ts_task_outcome_is_timeout(outcome) || !job || !(rs->retry_on & TS_RETRY_TIMEOUT)
        || attempt >= 1 + rs->max_retries)
        return;
    /* Cancelled with a grace (issue 16): the exit 75 that followed the
     * signal is the end, not a reason to go on. */
    bool cancelled = false;
    if (ts_events_is_cancelled(rs->dir, t->task_idx, &cancelled, &err) == 0 && cancelled) {
        fprintf(stderr, TS_ATTEMPT_MSG "attempt %d ended after a cancel: no next attempt\n",
                attempt);
        return;
    }
    if (queue_next(rs, t, ev, attempt) == 0)
        return;
    if (ts_slurm_requeue((uint32_t)strtoul(job, NULL, 10), &err) < 0)
        fprintf(stderr, TS_ATTEMPT_MSG "%s (the reconcile job will resubmit the task)\n",
                err.msg);
    else
        fprintf(stderr, TS_ATTEMPT_MSG "attempt %d timed out gracefully; requeued for attempt %d\n",
                attempt, attempt + 1);
}

/* Pool mode: the agent's own queue, no Slurm. The entry first, then the
 * record: an entry without its record only runs the next attempt (the
 * journal's ingest learns of it from that attempt's records); a record
 * without an entry would leave the task pending with nothing queued. */
int ts_attempt_pool_requeue(const ts_runspec *rs, const ts_manifest_entry *t,
                            const ts_evctx *ev, int attempt, enum ts_task_outcome outcome,
                            const ts_attempt_pool *pool)
{
    ts_err err = { 0 };
    if (!ts_task_outcome_is_timeout(outcome) || !(rs->retry_on & TS_RETRY_TIMEOUT)
        || attempt >= 1 + rs->max_retries)
        return -1;
    bool cancelled = false;
    if (ts_events_is_cancelled(rs->dir, t->task_idx, &cancelled, &err) == 0 && cancelled)
        return -1;
    ts_pool_entry e = { .task = t->task_idx, .attempt = attempt + 1, .gen = 0,
                        .priority = pool->priority };
    if (ts_pool_queue_append(pool->pooldir, &e, 1, NULL, &err) < 0) {
        fprintf(stderr, TS_ATTEMPT_MSG "cannot queue attempt %d in the pool: %s\n",
                attempt + 1, err.msg);
        return -1;
    }
    if (ts_events_resubmitted(ev, 0, &err) < 0)
        fprintf(stderr, TS_ATTEMPT_MSG "%s\n", err.msg);
    fprintf(stderr, TS_ATTEMPT_MSG "attempt %d timed out; attempt %d queued in the pool\n",
            attempt, attempt + 1);
    return 0;
}

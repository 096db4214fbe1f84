/* sync.h: bring a suite's journal up to date with what happened.
 *
 * Every command that reads a suite calls ts_sync first: ingest new event
 * records (idempotent), ask Slurm about attempts whose events do not tell
 * the end (killed at walltime, cancelled, node lost, never started),
 * classify them, resubmit what resume.retry_on allows (issue 4), and
 * re-evaluate the suite state (open/closed/complete), and, when asked
 * (run_on_complete), run a due on_complete after the lock is released. Holds the journal's
 * writer lock throughout, so concurrent status calls serialise. A sync that
 * finds nothing to do marks the suite settled (its fingerprint, see
 * ts_journal_settle_key); while the fingerprint stays the same, the next
 * syncs only re-evaluate the state: a finished 100,000-task suite costs a
 * few index reads, not a scan of its tasks and event files.
 */
#ifndef TS_SYNC_H
#define TS_SYNC_H

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "journal.h"
#include "slurm.h"

/* The Slurm calls the classification makes (tests pass fakes, as cancel.h);
 * NULL members: the real ones. Resubmissions and waves always use libslurm. */
typedef struct ts_sync_slurm {
    int (*array_elements)(uint32_t array_job_id, ts_job_info **out, size_t *n, ts_err *err);
    int (*release)(uint32_t job_id, ts_err *err);
    int (*cancel)(const char *job_spec, ts_err *err);
} ts_sync_slurm;

typedef struct ts_sync_opts {
    bool no_slurm;        /* --local suites, or Slurm unreachable is fine */
    bool quiet;           /* no progress lines on stderr */
    bool run_on_complete; /* run a due on_complete (oncomplete.h): only sync,
                           * reconcile, submit's follow and the local runner;
                           * status, list and logs never run user code */
    bool local_runner;    /* the --local suite's runner syncs: queue the next
                           * attempts retry_on gives (it runs them), and do
                           * not look for a lost runner (it is the runner) */
    const ts_sync_slurm *slurm;   /* NULL: libslurm */
} ts_sync_opts;

typedef struct ts_sync_result {
    enum ts_suite_state state;
    bool became_complete;
    long ingested;        /* new event records applied */
    long classified;      /* attempts classified from Slurm's records */
    long resubmitted;     /* tasks given a new attempt */
    bool counted;         /* counts holds the suite's counters at the end */
    ts_counts counts;     /* (not for a suite already complete or cancelled) */
} ts_sync_result;

/* opts and res may be NULL. */
int ts_sync(ts_journal *j, const char *suite_id, const ts_sync_opts *opts,
            ts_sync_result *res, ts_err *err);

/* Of the tasks idx[0..*n) (latest attempts attempts[]), those whose next
 * attempt Slurm already has queued under its recovery key
 * "tasksuite:<suite>:t<idx>:<attempt>" (an in-job resume whose record was
 * lost) are adopted (ts_journal_adopt_job) and dropped from the arrays;
 * *n is what is left to submit. Slurm unreachable: nothing dropped. */
int ts_sync_adopt_queued(ts_journal *j, const char *suite_id, long *idx, int *attempts,
                         size_t *n, ts_err *err);

/* The suite's run directory (from the journal row). */
int ts_sync_suite_dir(ts_journal *j, const ts_suite_info *s, char *buf,
                      size_t len, ts_err *err);

#endif

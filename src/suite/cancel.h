/* cancel.h: `tasksuite cancel`: stop a suite's (or one task's) Slurm jobs,
 * then record the cancellation in the journal.
 *
 * Slurm first, journal second, all under the journal's writer lock (so a
 * concurrent `status` cannot resubmit in between): when Slurm fails midway
 * nothing is marked and re-running the command finishes the job; cancelling
 * twice is harmless.
 *
 * What runs is found in one RPC: every job of the suite's owner named
 * "ts-<ID>" (the name submit gives every array, submission.c) that is
 * pending or running.
 * The arrays recorded for the suite's submissions that are not done yet are
 * cancelled as a whole ("<array>"); a live array with the suite's recovery
 * key in its comment ("tasksuite:<ID>:...") that the journal does not know
 * (queued by a submit that was killed before recording it) too. Recorded
 * reconcile jobs still queued are cancelled as well. Slurm is not asked at
 * all when no array was ever recorded and every submission got past the
 * intent stage (--local suites); when none was recorded but a submission is
 * still an intent, or the suite was already cancelled, Slurm not answering
 * is only a warning.
 *
 * keep_running: only pending elements are cancelled ("<array>_<index>"),
 * running ones (and reconcile jobs) are left alone; the suite is still
 * cancelled in the journal, so nothing new is submitted or retried.
 *
 * A task: its element in every not-done submission holding it (position p
 * of the manifest runs as element p - index_offset of the array whose
 * [index_offset + first_index, index_offset + last_index] holds p) is
 * cancelled when live, then the task becomes cancelled. A completed task is
 * left as it is (result: not_cancellable).
 */
#ifndef TS_CANCEL_H
#define TS_CANCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"
#include "journal.h"
#include "slurm.h"

/* The Slurm calls used (tests pass fakes); NULL members: the real ones. */
typedef struct ts_cancel_slurm {
    int (*find_jobs)(uid_t uid, const char *name_prefix, ts_job_info **out,
                     size_t *n, ts_err *err);
    int (*array_elements)(uint32_t array_job_id, ts_job_info **out, size_t *n,
                          ts_err *err);
    int (*cancel)(const char *job_spec, ts_err *err);
} ts_cancel_slurm;

typedef struct ts_cancel_opts {
    bool keep_running;
    FILE *out;                    /* a line per thing cancelled; may be NULL */
    FILE *warn;                   /* warnings; may be NULL */
    const char *warn_prefix;      /* put before each warning; may be NULL */
    const ts_cancel_slurm *slurm; /* NULL: libslurm */
} ts_cancel_opts;

typedef struct ts_cancel_result {
    bool already;                 /* suite / task was cancelled before */
    bool not_cancellable;         /* task: completed, left alone */
    long arrays;                  /* whole arrays cancelled */
    long pending;                 /* live elements cancelled, by state */
    long running;
    long left_running;            /* keep_running: running elements kept */
    long reconcile;               /* reconcile jobs cancelled */
    long tasks;                   /* tasks the journal moved to cancelled */
} ts_cancel_result;

int ts_cancel_suite(ts_journal *j, const char *suite_id, const ts_cancel_opts *o,
                    ts_cancel_result *r, ts_err *err);
int ts_cancel_task(ts_journal *j, const char *suite_id, const char *task,
                   const ts_cancel_opts *o, ts_cancel_result *r, ts_err *err);

#endif

/* submit_plan.h: the steps of `tasksuite submit`, as a library.
 *
 * Separate from submission.c (which queues the arrays of an intent that is
 * already in the journal): this turns a suite file into that intent, once.
 * The launcher runs the steps in order and prints between them; each step
 * fills the plan further, ts_submit_plan_free releases whatever it holds.
 *
 * Submit is idempotent: while a suite made from the same file (same path
 * and content, same --local) exists and was not cancelled, submitting it
 * again attaches to that suite (the newest such) and finishes whatever an
 * interrupted run left undone, instead of queueing it twice; once nothing
 * is left of the submission, ts_submit_rerun (rerun.h) says what a re-run
 * means (fresh forces a new suite).
 */
#ifndef TS_SUITE_SUBMIT_PLAN_H
#define TS_SUITE_SUBMIT_PLAN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "expand.h"
#include "journal.h"
#include "slurmopt.h"
#include "spec.h"
#include "submission.h"

typedef struct ts_submit_plan {
    /* what was asked */
    const char *arg_file;        /* the FILE argument as given */
    bool local, dry_run, fresh;
    uint32_t throttle;           /* 0: none */
    const ts_kvlist *launch_env; /* --env / --env-file, in order (may be NULL) */
    char notice[512];            /* ts_submit_validate: which resources
                                    alternative was taken ("" : none) */

    /* ts_submit_validate */
    ts_suite *s;
    ts_tasklist tl;
    ts_kvlist opts;

    /* ts_submit_prepare */
    char file[PATH_MAX], workdir[PATH_MAX], self[PATH_MAX];
    char *text;                  /* the file as submitted */
    char *journal_text;          /* text with secrets' values left out */
    size_t len;
    char key[17];                /* the submit record's submit_key */
    bool dir_taken;              /* output_dir holds another suite (why in dir_err) */
    ts_err dir_err;
    ts_submit_ctx ctx;           /* j, suite_id and suite_dir filled later */

    /* ts_submit_open */
    uint32_t max_jobs;           /* Slurm's MaxJobCount (0: --local) */
    ts_journal *j;
    bool locked;
    char id[TS_SUITE_ID_LEN + 1];
    int64_t sub_id;              /* the intent to carry out; 0: nothing left */
    bool attached;               /* the same submit's suite already existed */

    /* ts_submit_queue */
    char dir[PATH_MAX];
    bool partly_submitted;       /* failed with arrays queued: run again */
} ts_submit_plan;

/* Load, expand and map the suite file to sbatch options. Nothing is written
 * anywhere before all of it passed. */
int ts_submit_validate(ts_submit_plan *p, ts_err *err);

/* Absolute paths, the file's text and its submit key, the output_dir and
 * hook size checks; fills p->ctx for ts_submission_describe (dry run). */
int ts_submit_prepare(ts_submit_plan *p, ts_err *err);

/* Ask Slurm for its limits (not --local), open and lock the journal, then
 * attach to the same submit's active suite or create the suite with its
 * submit record and first intent. */
int ts_submit_open(ts_submit_plan *p, ts_err *err);

/* The run directory, runspec and manifest, then the intent carried out
 * (ts_submission_carry_out; --local: only marked). When Slurm refused
 * before any array was queued, the new suite is discarded; otherwise
 * p->partly_submitted tells that running the same command again finishes it. */
int ts_submit_queue(ts_submit_plan *p, ts_err *err);

/* Tasks of the suite waiting for room in Slurm (0 for --local). */
long ts_submit_waiting(const ts_submit_plan *p);

/* Release the journal's writer lock (before running or following). */
void ts_submit_unlock(ts_submit_plan *p);

void ts_submit_plan_free(ts_submit_plan *p);

#endif

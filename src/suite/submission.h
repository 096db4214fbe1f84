/* submission.h: turning a submission intent into files and Slurm arrays.
 *
 * The journal already holds the intent (which tasks, which attempt). This
 * writes the manifest the compute side reads, then submits one job array
 * per chunk of MaxArraySize elements through libslurm, recording each array
 * against the intent as soon as Slurm accepts it. Every array carries a
 * recovery key in its comment, "tasksuite:<suite>:<sub>:<offset>", so a
 * re-run after a crash (ts_submission_submit with recover) finds chunks that
 * were queued but not recorded instead of queueing them twice.
 *
 * Waves. Slurm counts every element against MaxJobCount (and a user's
 * MaxSubmitJobs). Arrays are queued in position order; when Slurm has no
 * room for the rest (sized from its job table when the suite cannot fit at
 * once, or refused for want of room), the submission is marked as queued in
 * waves (ts_journal_intent_set_waves) and the rest waits. A reconcile job
 * watches each wave's arrays (afterany); when it runs it queues the next
 * wave, or, if ended jobs still hold the room (MinJobAge), leaves a reconcile
 * job that starts MinJobAge + 10 s later and tries again. `status`/`sync`
 * try too (ts_submission_fill_waves). No daemon: the chain of reconcile jobs
 * is the only thing that waits. Recovery keys are unchanged; a chunk queued
 * but not recorded is found by its key and its size read from Slurm.
 */
#ifndef TS_SUBMISSION_H
#define TS_SUBMISSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "expand.h"
#include "journal.h"
#include "spec.h"

typedef struct ts_submit_ctx ts_submit_ctx;
struct ts_submit_ctx {
    ts_journal *j;
    const char *suite_id;
    const char *suite_dir;    /* absolute run directory */
    const ts_suite *s;        /* the parsed suite */
    const ts_tasklist *tl;    /* its expansion (commands per task) */
    const char *spec_file;    /* absolute path of the suite file */
    const char *workdir;      /* absolute; where tasks run */
    const char *self;         /* absolute path of the tasksuite binary */
    uint32_t throttle;        /* 0: none */
    bool recover;             /* look for queued-but-unrecorded chunks */
    const ts_tasklist *extra; /* tasks added after submit (`add`), by name */
};

/* Write (or rewrite, identically) the manifest of intent sub_id and record
 * its path. */
int ts_submission_write_manifest(const ts_submit_ctx *c, int64_t sub_id,
                                 ts_err *err);

/* Submit the arrays of intent sub_id that are not recorded yet, then mark it
 * submitted. *njobs (may be NULL) gets the number of arrays submitted now. */
int ts_submission_submit(const ts_submit_ctx *c, int64_t sub_id, long *njobs,
                         ts_err *err);

/* Waves: queue what of the suite's submissions waits for room in Slurm
 * (ts_journal_waiting), as far as there is room now, with a reconcile job
 * for the new arrays, or a delayed one when there was none. From
 * `status`/`sync` at most every 15 s; from the suite's reconcile job always.
 * *queued_now (may be NULL): tasks queued by this call. */
int ts_submission_fill_waves(ts_journal *j, const ts_suite_info *si, long *queued_now,
                             ts_err *err);

/* Rebuild a submit context for a suite already in the journal (retries,
 * crash recovery): the suite file as it was submitted (kept in the journal,
 * not re-read from disk), its expansion, paths. Free with
 * ts_submission_store_free. */
typedef struct ts_submit_store {
    ts_suite *s;
    ts_tasklist tl;
    ts_tasklist extra;        /* tasks the journal has beyond the file's */
    char *file, *workdir, *self, *dir;
    bool local;
} ts_submit_store;

int ts_submission_load(ts_journal *j, const ts_suite_info *si, ts_submit_store *st,
                       ts_submit_ctx *ctx, ts_err *err);
void ts_submission_store_free(ts_submit_store *st);

/* One task with explicit arguments, expanded against the suite's setup/run
 * exactly as a `tasks:` entry of the file would be (what `add` submits). */
int ts_submission_expand_one(const ts_suite *s, const char *name, const ts_kvlist *args,
                             ts_tasklist *out, ts_err *err);

/* In-job resume (exec): queue attempt `attempt` of one task as a fresh
 * one-element array (index 0, eligible at once, unlike `scontrol requeue`,
 * which Slurm holds for cred_expire), from inside the previous attempt's
 * job, without the journal: the job's options as recorded in the runspec
 * (plus --requeue, as every array), the job's own environment without what
 * Slurm and the plugin set for this job, the name "ts-<suite>" and the
 * recovery key "tasksuite:<suite>:t<idx>:<attempt>" in the comment, so a
 * sync finds it after a crash (ts_sync_adopt_queued). `manifest` holds the
 * task on line 0 with that attempt. */
typedef struct ts_next_req {
    const char *suite_id, *suite_dir;
    const char *self;               /* absolute path of tasksuite */
    const char *workdir;            /* absolute */
    const char *spec_file;          /* the --task-suite value */
    const char *hooks;              /* the serialized hook spec (SLURM_SPANK_TASK_SUITE_SPEC) */
    const char *manifest;
    const ts_kvlist *options;       /* sbatch options (runspec) */
    long task_idx;
    int attempt;
} ts_next_req;

int ts_submission_submit_next(const ts_next_req *r, uint32_t *job_id, ts_err *err);

/* The watchdog. A reconcile job waits for its arrays to end (afterany);
 * an element Slurm holds (after a launch failure: "launch failed requeued
 * held") never ends, and neither does the wait, so nothing would refresh
 * the suite until someone runs `status`. The watchdog is a safety-net job
 * with no dependency that starts `period` seconds from now and runs
 * `tasksuite reconcile ID --watch PERIOD`: a refresh (which releases held
 * elements), then the next watchdog, until the suite is complete. Its
 * period starts at TS_WATCH_PERIOD_S and doubles, up to
 * TS_WATCH_PERIOD_MAX_S, while a refresh finds nothing to do. At most one
 * waits per suite (recovery key "tasksuite:<suite>:watch"): look asks Slurm
 * first (false: the caller knows there is none, a fresh suite). */
#define TS_WATCH_PERIOD_S 300
#define TS_WATCH_PERIOD_MAX_S 3600
long ts_watch_base_period(void);   /* TS_WATCH_PERIOD_S (tests may shorten it) */
int ts_submission_watch(const ts_submit_ctx *c, long period, bool look, ts_err *err);

/* The same with the base period, a failure only a warning on stderr
 * (`tasksuite CMD: ...`): the suite works without it. */
void ts_submission_watch_or_warn(const ts_submit_ctx *c, const char *cmd, bool look);

/* Cancel the suite's waiting watchdog (the suite is complete). */
int ts_submission_unwatch(const char *suite_id, ts_err *err);

/* The sbatch options + chunking that ts_submission_submit would use, printed
 * for --dry-run. */
int ts_submission_describe(const ts_submit_ctx *c, long ntasks, FILE *out,
                           ts_err *err);

#endif

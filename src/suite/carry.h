/* carry.h: carrying out a submission intent, locally or in Slurm.
 *
 * submit, add, retry and sync all end the same way once the journal holds
 * an intent: write its manifest, then either mark it for the local runner
 * (a --local suite) or queue its arrays in Slurm, then leave a watchdog.
 * Separate from submission.c (how arrays are queued) because this is the
 * one decision "where does this suite run", made in one place.
 */
#ifndef TS_SUITE_CARRY_H
#define TS_SUITE_CARRY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "journal.h"
#include "submission.h"

typedef struct ts_carry_opts {
    bool local;           /* a --local suite: the local runner, never Slurm */
    bool run_now;         /* local: run the tasks before returning (add, retry) */
    const char *watch_cmd;/* Slurm: leave a watchdog, warning as "tasksuite CMD:";
                           * NULL: none (sync's resubmissions) */
    bool watch_look;      /* ask Slurm for a waiting watchdog first */
    bool first;           /* submit's own intent: pool mode queues all of the
                           * suite's allocations, later intents only one
                           * when none is pending or running */
} ts_carry_opts;

/* Where ts_submission_carry_out failed. */
enum ts_carry_step {
    TS_CARRY_MANIFEST,    /* nothing queued or marked */
    TS_CARRY_QUEUE,       /* marking / queueing (some arrays may be queued) */
};

/* Write the manifest of intent sub_id, then mark it for the local runner
 * (and run it when run_now) or submit its arrays and leave the watchdog.
 * failed_at (may be NULL) tells which step failed. */
int ts_submission_carry_out(const ts_submit_ctx *c, int64_t sub_id, const ts_carry_opts *o,
                            enum ts_carry_step *failed_at, ts_err *err);

/* The suite's first submission still a bare intent (0: none). */
int ts_submission_first_intent(ts_journal *j, const char *suite_id, int64_t *sub_id,
                               ts_err *err);

#endif

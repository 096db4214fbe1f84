/* rerun.h: what `submit FILE` means for a file that is already a suite.
 *
 * Separate from submit_plan.c (which finds that suite, or makes a new one):
 * this is the decision once the suite is found and its submission has been
 * carried out in full. The user fixed their script and ran the same
 * command again; what they mean depends on where the suite is:
 *   - still active (a task pending or running): nothing new, follow it;
 *   - ended with tasks that did not complete (failed, timeout, node_fail,
 *     preempted, cancelled, retries used up): a next attempt for exactly
 *     those, in the same suite (as `tasksuite retry ID --failed`);
 *   - every task completed: nothing to run; `--new` runs it again.
 * The suite is refreshed first (as `status`), so tasks that ended unseen
 * count as ended. The caller holds the journal's writer lock.
 */
#ifndef TS_SUITE_RERUN_H
#define TS_SUITE_RERUN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "journal.h"

enum ts_rerun_kind {
    TS_RERUN_ACTIVE,      /* follow it */
    TS_RERUN_RETRY,       /* what did not complete: ts_submit_rerun_retry */
    TS_RERUN_DONE,        /* every task completed: nothing to run */
};

typedef struct ts_rerun {
    enum ts_rerun_kind kind;
    long total;           /* the suite's tasks */
    long not_completed;   /* tasks that ended without completing */
    size_t resubmitted;   /* ts_submit_rerun_retry: given a next attempt now */
} ts_rerun;

/* Refresh the suite and decide (r->kind). */
int ts_submit_rerun(ts_journal *j, const char *suite_id, bool local, ts_rerun *r,
                    ts_err *err);

/* TS_RERUN_RETRY: the next attempt (a --local suite runs it here, now, as
 * `retry` does). Say so before calling. */
int ts_submit_rerun_retry(ts_journal *j, const char *suite_id, ts_rerun *r, ts_err *err);

#endif

/* retry.h: a manual next attempt for some of a suite's tasks (`retry`).
 *
 * Separate from sync's automatic retries (resume.retry_on): here the user
 * picks the tasks, a complete suite re-opens, and a cancelled task runs
 * again. The caller holds the journal's writer lock.
 */
#ifndef TS_SUITE_RETRY_H
#define TS_SUITE_RETRY_H

#include <stddef.h>

#include "err.h"
#include "journal.h"

typedef struct ts_retry_result {
    size_t picked;        /* tasks asked for (0: nothing to retry) */
    size_t resubmitted;   /* of them, given a next attempt now (the others
                           * had one queued already by their own job) */
} ts_retry_result;

/* The tasks named (nnames > 0), else every task that ended failed,
 * timeout, node_fail, preempted or cancelled: a new submission for those
 * whose next attempt Slurm does not hold yet, carried out at once (a
 * --local suite runs them here, now). */
int ts_suite_retry(ts_journal *j, const ts_suite_info *si, const char *const *names,
                   size_t nnames, ts_retry_result *res, ts_err *err);

#endif

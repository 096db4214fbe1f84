/* retry.h: a manual next attempt for some of a suite's tasks (`retry`).
 *
 * Separate from sync's automatic retries (resume.retry_on): here the user
 * picks the tasks, a complete suite re-opens, and a cancelled task runs
 * again. A named task whose attempt is still open (pending or running)
 * is refused, and with it the whole call: nothing is queued. The caller
 * holds the journal's writer lock and has synced the suite first
 * (ts_sync), so an attempt that ended is seen as ended.
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

/* The tasks named (nnames > 0; any one pending or running refuses the
 * call, TS_EXIT_FAIL, see ts_retry_refusal), else every task that ended failed,
 * timeout, node_fail, preempted, cancelled or skipped (and, for a task of a
 * graph, its skipped downstream, rearm.h): a new submission for those
 * whose next attempt Slurm does not hold yet, carried out at once (a
 * --local suite runs them here, now). */
int ts_suite_retry(ts_journal *j, const ts_suite_info *si, const char *const *names,
                   size_t nnames, ts_retry_result *res, ts_err *err);

/* Pure: 1 when a named task in `state` may not be retried (pending or
 * running), with the one-line reason in buf (`task "x" is running
 * (attempt 2, job 1234_5): cancel it first (tasksuite cancel ID --task x)`;
 * job NULL or "": not named); 0 when it may. */
int ts_retry_refusal(const char *suite_id, const char *name, enum ts_task_state state,
                     int attempt, const char *job, char *buf, size_t len);

#endif

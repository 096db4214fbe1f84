/* agentrules.h: the pool agent's pure decisions, apart from its processes
 * and files so they can be tested alone: when a worker is suspended, when
 * the agent is done, what a task process's exit status means.
 */
#ifndef TS_POOL_AGENTRULES_H
#define TS_POOL_AGENTRULES_H

#include <stdbool.h>

/* What one task process reports (its exit status; worker.c). */
enum ts_pool_result {
    TS_POOL_DONE = 0,       /* the task completed */
    TS_POOL_FAILED = 1,     /* it ran and failed (or could not be run) */
    TS_POOL_TIMEOUT = 2,    /* exit 75 or cut at the walltime: not the worker's fault */
    TS_POOL_SKIPPED = 3,    /* nothing ran: cancelled, or the claim was returned */
};


/* One worker's counts. */
typedef struct ts_pool_tally {
    long done, failed;
    int streak;             /* failed in a row, reset by a completed task */
    bool suspended;
} ts_pool_tally;

/* Count one result; true when this result suspends the worker (its last
 * suspend_after tasks failed; 0: never). A timeout or a skipped task
 * neither counts as a failure nor breaks the streak. */
bool ts_pool_tally_note(ts_pool_tally *t, enum ts_pool_result r, int suspend_after);

/* The agent's exit rule: nothing claimable for `empty_looks` consecutive
 * looks (each at least a second apart, so entries others append meanwhile
 * are seen) while no worker is busy and nothing claimed waits; or the
 * agent is winding down (warning, TERM, every worker suspended) and no
 * worker is busy. Two looks: the first right after the last task ended
 * (an attempt that task queued is already in queue/), the second a second
 * later with queue/ listed again whatever its mtime says (claims.c: an
 * epoch written within the same mtime tick). A third only added a second
 * to the end of every allocation. */
#define TS_POOL_EMPTY_LOOKS 2
bool ts_pool_agent_done(int busy, int buffered, int empty_looks, bool winding_down);

#endif

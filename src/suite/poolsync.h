/* poolsync.h: what a sync does for a suite in pool mode (doc/pool.md,
 * "Submitting").
 *
 * The events are ingested as in array mode (an agent runs each attempt
 * through the same exec path). What the events cannot tell comes from the
 * claims (src/pool/claims.h): an agent that died (its allocation ended per
 * Slurm, or no heartbeat for the lease) leaves claims behind; unstarted
 * ones go back to the queue as the next generation of the same attempt
 * (no attempt spent), started ones with no end seen are lost: the attempt
 * is closed node_fail (timeout or preempted when that is how the allocation
 * ended) and the suite's retry rules give the task its next
 * attempt, queued in the pool by the normal resubmission. Reading every
 * claim is done only when a dead agent is not settled yet (a scan found
 * none of its claims left to judge: pool/sync/<agent>.settled) or every
 * 10 minutes (claims no agent names). Then the safety
 * net: tasks pending and no pool allocation of the suite pending or running
 * in Slurm: one is queued.
 */
#ifndef TS_SUITE_POOLSYNC_H
#define TS_SUITE_POOLSYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "claims.h"
#include "err.h"
#include "journal.h"
#include "slurm.h"

/* Has the agent's allocation ended? jobid: the claim's; jobs: the suite's
 * jobs in Slurm (known false: Slurm did not answer: never ended); self: the
 * allocation this process runs in (its agents are done: ended). A job id
 * Slurm no longer lists has ended. Pure. */
bool ts_poolsync_job_ended(const char *jobid, const ts_job_info *jobs, size_t n, bool known,
                           uint32_t self);

/* How a lost attempt (started, its agent dead, no end seen) is closed:
 * timeout when its allocation ended at its walltime (TIMEOUT in Slurm:
 * the task was cut there, and resume.retry_on's default, timeout, gives it
 * its next attempt from its checkpoint), preempted when the allocation was
 * preempted, node_fail otherwise (an agent or node died). Pure. */
enum ts_attempt_state ts_poolsync_lost_state(const char *jobid, const ts_job_info *jobs,
                                             size_t n);

/* The verdict on one claim: its agent is dead (ts_pool_agent_dead with the
 * heartbeat and lease), its attempt ended when the journal does not have
 * the task open at that attempt (open_attempt: the attempt the task is
 * pending or running at, 0 when it is not). Pure. */
enum ts_pool_verdict ts_poolsync_judge(const ts_pool_claimrec *c, double now, double heartbeat,
                                       double lease, bool job_ended, int open_attempt);

/* The allocation's job id in an agent id "<host>.<jobid>.<pid>.<start>"
 * (claims.h); false when it has no such form. Pure. */
bool ts_pool_agent_job(const char *agent, char *job, size_t len);

/* Claims of dead agents: returned/requeued in the pool, lost attempts
 * closed node_fail (*lost, may be NULL, counts them). slurm: ask Slurm
 * which allocations ended (false: heartbeats only). */
int ts_poolsync_claims(ts_journal *j, const ts_suite_info *si, const char *dir, bool slurm,
                       long *lost, ts_err *err);

/* Submissions none of whose (task, attempt) is open any more are done. */
int ts_poolsync_close_intents(ts_journal *j, const char *suite_id, ts_err *err);

/* The safety net (see above). *queued (may be NULL): allocations queued. */
int ts_poolsync_safety_net(ts_journal *j, const ts_suite_info *si, long *queued, ts_err *err);

#endif

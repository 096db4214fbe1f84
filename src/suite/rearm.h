/* rearm.h: a retry of an upstream task of a suite's graph re-arms what
 * its failure skipped (doc/dags.md).
 *
 * A downstream task whose upstream failed for good is ended by Slurm
 * (KILL_INV_DEP) and never ran. When the user retries the upstream, its
 * downstream tasks that ended so (transitively; for a per-element edge
 * only the same element) join the same retry submission, which queues
 * them with a dependency on the retried upstream (submit_graph.h).
 */
#ifndef TS_SUITE_REARM_H
#define TS_SUITE_REARM_H

#include <stddef.h>

#include "err.h"
#include "journal.h"

/* Adds to idx (n entries, cap capacity, grown with ts_grow) the tasks to
 * re-arm, then sorts idx ascending (graph order). A suite without a
 * graph: idx sorted, nothing added. */
int ts_rearm_downstream(ts_journal *j, const ts_suite_info *si, long **idx, size_t *n,
                        size_t *cap, ts_err *err);

/* A sync step, after classification and before resubmission, for the
 * tasks Slurm ended unrun for their dependency (skipped; or pending with
 * their latest attempt cancelled: waiting). An in-job resume or a retry
 * queues the upstream's next attempt as a new job, which the downstream's
 * dependency does not name, so Slurm ends the downstream unrun although
 * its upstream goes on. Here each such task gets what its upstream tasks
 * (dag.h edges) say: all completed -> a new submission now (no
 * dependency left to wait for); one still pending, running, or ended in a
 * state retry_mask retries with attempts left -> pending, waiting (checked
 * again by the next sync); otherwise -> skipped. *queued: tasks given a
 * new submission (an intent, carried out by the caller's resubmission). */
int ts_rearm_sync(ts_journal *j, const ts_suite_info *si, unsigned retry_mask,
                  long *queued, ts_err *err);

#endif

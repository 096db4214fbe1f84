/* attempt_int.h: what the files of one attempt (attempt.c, attempt_env.c,
 * ranks.c, requeue.c) share; not for callers outside src/run/.
 */
#ifndef TS_ATTEMPT_INT_H
#define TS_ATTEMPT_INT_H

#include <stdbool.h>

#include "attempt.h"
#include "err.h"
#include "events.h"
#include "manifest.h"
#include "outcome.h"
#include "runner.h"
#include "taskenv.h"

/* Every message of an attempt starts so, as `tasksuite exec` printed them. */
#define TS_ATTEMPT_MSG "tasksuite exec: "

/* Prints msg and returns TS_EXIT_FAIL. */
int ts_attempt_fail(const char *msg);

/* The attempt's end, for outcome.h. `warn_signal` and `term_at_limit` only
 * where this process forwarded the warning and saw Slurm's TERM. */
static inline ts_task_ending ts_attempt_ending(const ts_run_result *r, int warn_signal,
                                               bool term_at_limit)
{
    ts_task_ending e = {
        .exit_code = r->exit_code, .term_signal = r->term_signal,
        .warn_signal = warn_signal, .warned = r->warned != 0,
        .term_at_limit = term_at_limit,
    };
    return e;
}

/* Everything SPEC.md section 4 promises, on top of the job's environment
 * (attempt_env.c). end: the walltime's end when the caller knows it (pool
 * mode: the agent asks Slurm once a minute, not once per task), -1: ask. */
int ts_attempt_build_env(ts_env *env, const ts_runspec *rs, const ts_manifest_entry *t,
                         int attempt, int rank, const char *task_dir, time_t end,
                         ts_err *err);

/* Leader of a multi-node task: one rank per node through srun (ranks.c). */
int ts_attempt_run_ranks(const ts_attempt_args *a, const ts_runspec *rs,
                         const ts_manifest_entry *t, long position, int attempt);

/* A timeout with attempts left: queue the next attempt from this job, else
 * requeue this element (requeue.c). */
void ts_attempt_maybe_requeue(const ts_runspec *rs, const ts_manifest_entry *t,
                              const ts_evctx *ev, int attempt, enum ts_task_outcome outcome);

/* Pool mode: a timeout with attempts left queues attempt + 1 in the pool
 * and records `resubmitted` with next_job 0 (requeue.c). 0 when queued. */
int ts_attempt_pool_requeue(const ts_runspec *rs, const ts_manifest_entry *t,
                            const ts_evctx *ev, int attempt, enum ts_task_outcome outcome,
                            const ts_attempt_pool *pool);

#endif

/* attempt.h: run one attempt of one task, end to end, inside its job.
 *
 * What `tasksuite exec` (the entrypoint of every array element) does once
 * its arguments are parsed: find the task on line offset +
 * SLURM_ARRAY_TASK_ID of the manifest, prepare the task directory (kept
 * across attempts), export the SPEC.md section 4 environment, run setup then
 * run in their own process group and record started/exited events. A task
 * spanning several nodes is re-launched with srun, one rank per node
 * (rank_mode), each rank writing its own events and output. A timeout with
 * attempts left queues the next attempt from here (requeue.c).
 */
#ifndef TS_ATTEMPT_H
#define TS_ATTEMPT_H

#include <time.h>

#include "manifest.h"
#include "runner.h"

/* Pool mode (src/pool/agent.c): the attempt was claimed from the suite's
 * pool. No in-job requeue (no sbatch, no scontrol requeue): a timeout with
 * attempts left queues (task, attempt + 1, generation 0, priority) in the
 * pool and records `resubmitted` with next_job 0; the outcome is reported
 * here. */
typedef struct ts_attempt_pool {
    const char *pooldir;        /* in: the suite's pool (ts_pool_init) */
    long priority;              /* in: the next attempt's priority */
    time_t cut_from;            /* in: a SIGTERM at or after this time is the
                                   walltime's cut (a timeout); 0: none is */
    time_t end;                 /* in: the walltime's end as the agent knows
                                   it (TASK_SUITE_END_TIME); 0: none */
    int ran;                    /* out: the task was started */
    int outcome;                /* out: enum ts_task_outcome when ran */
    int requeued;               /* out: attempt + 1 is queued in the pool */
    int cancelled;              /* out: the cancel mark was found: not run */
} ts_attempt_pool;

typedef struct ts_attempt_args {
    const char *dir;            /* the suite's run directory */
    const char *manifest;
    long offset;
    long position;              /* -1: offset + SLURM_ARRAY_TASK_ID */
    int attempt;                /* 0: from the manifest + SLURM_RESTART_COUNT */
    int rank_mode;              /* one rank of a multi-node task */
    time_t started;             /* when exec started: about the job's start */
    ts_attempt_pool *pool;      /* NULL: array mode */
    /* The pool agent's, read once for all its tasks (NULL: read here) */
    const ts_runspec *runspec;
    const ts_manifest_index *index;     /* of manifest */
} ts_attempt_args;

/* Runs the attempt; messages go to stderr as "tasksuite exec: ...". The
 * exit status for exec: the task's, 128+N when signal N ended it, 0 when
 * there was nothing to run, TS_EXIT_FAIL when it could not be run. The
 * caller blocks the runner's signals first (ts_runner_block_signals). */
int ts_attempt_run(const ts_attempt_args *a);

/* The same attempt in steps, for a caller that waits for the task's
 * processes in its own loop (the pool agent: one process per task, none
 * between it and the task). ts_attempt_begin does all before the task's
 * first process (the task's entry, the cancel mark, its files and
 * environment, `started`); NULL when there is nothing to run (*rc 0) or it
 * cannot run (*rc TS_EXIT_FAIL, said on stderr). The caller then runs the
 * request's setup and run (runner.h: ts_run_start, ts_run_signal) and hands
 * the result to ts_attempt_end: the outcome, the pool's next attempt,
 * `exited`; it frees the attempt and returns what ts_attempt_run would. */
typedef struct ts_attempt_live ts_attempt_live;
ts_attempt_live *ts_attempt_begin(const ts_attempt_args *a, int *rc);
ts_run_req *ts_attempt_req(ts_attempt_live *l);
int ts_attempt_end(ts_attempt_live *l, const ts_run_result *res);

#endif

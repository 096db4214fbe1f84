/* walltime.h: when the current job's walltime ends.
 *
 * Sources in order: TASK_SUITE_END_TIME (set by tasksuite for its tasks),
 * SLURM_JOB_END_TIME (newer Slurm), then one slurm_get_end_time() RPC for
 * SLURM_JOB_ID. 0 = no limit known (unlimited, or not in a job).
 */
#ifndef TS_WALLTIME_H
#define TS_WALLTIME_H

#include <time.h>

time_t ts_walltime_end_time(void);

/* The same without the first source: what `exec` uses to compute the value
 * it exports, so a stale TASK_SUITE_END_TIME inherited by the job (a suite
 * submitted from inside another task) is never trusted. */
time_t ts_walltime_end_time_fresh(void);

/* ts_walltime_end_time() for long-running callers: the first value comes
 * from the environment (free), later ones are re-read from Slurm at most
 * every TASKSUITE_REMAINING_REFRESH seconds (default 60) while in a job, so
 * a changed time limit is seen. Process-local cache. */
time_t ts_walltime_end_time_cached(void);

/* Seconds left (0 when past), or -1 when unlimited / unknown. */
long ts_walltime_remaining(void);

#endif

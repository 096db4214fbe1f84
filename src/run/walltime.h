/* walltime.h: when the current job's walltime ends.
 *
 * Slurm is the only source that follows `scontrol update TimeLimit=`. The
 * environment only holds copies: TASK_SUITE_END_TIME (set by `tasksuite
 * exec` when the task started) and SLURM_JOB_END_TIME (Slurm 23.02+, set
 * when the step started). They are a first value, and the answer when
 * slurmctld cannot be asked; never a reason not to ask it when a fresh value
 * is due. 0 = no limit (unlimited, or not in a job; Slurm reports a job
 * without a limit as ending a year after its start).
 */
#ifndef TS_WALLTIME_H
#define TS_WALLTIME_H

#include <time.h>

/* The first value, without an RPC when the environment has a copy:
 * TASK_SUITE_END_TIME, SLURM_JOB_END_TIME, else one slurm_get_end_time()
 * RPC for SLURM_JOB_ID. */
time_t ts_walltime_end_time(void);

/* A fresh value: one RPC for SLURM_JOB_ID; the environment's copy
 * (SLURM_JOB_END_TIME, then TASK_SUITE_END_TIME) only when Slurm cannot be
 * asked or does not answer. What `exec` exports to its task, what
 * `tasksuite remaining` prints (a new process each time: its environment's
 * copy is as old as the task), and what the refresh below uses. */
time_t ts_walltime_end_time_fresh(void);

/* For long-running callers (tasksuite_remaining() of libtasksuite): the
 * first value from ts_walltime_end_time(), then a fresh one at most every
 * TASKSUITE_REMAINING_REFRESH seconds (default 60) while in a job, so a
 * changed time limit is seen. Process-local cache. */
time_t ts_walltime_end_time_cached(void);

/* Seconds left (0 when past), or -1 when unlimited / unknown, from `end`
 * (as the functions above return it). */
long ts_walltime_left(time_t end);

#endif

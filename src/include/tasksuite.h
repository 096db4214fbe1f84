/* tasksuite.h: the API task code in C can call.
 *
 * Link with -ltasksuite. Every function works outside a tasksuite task too
 * (then it reports "no information" rather than failing hard), so the same
 * program runs under plain sbatch or on a laptop.
 */
#ifndef TASKSUITE_H
#define TASKSUITE_H

#ifdef __cplusplus
extern "C" {
#endif

#define TASKSUITE_VERSION_MAJOR 0
#define TASKSUITE_VERSION_MINOR 1
#define TASKSUITE_VERSION_PATCH 0

/* "0.1.0" of the library actually linked. */
const char *tasksuite_version(void);

/* Seconds of walltime left for the current job: INFINITY (math.h) when the
 * job has no limit or the process is not in a job. Sources, in order:
 * TASK_SUITE_END_TIME, SLURM_JOB_END_TIME, then one Slurm RPC. The end time
 * is cached in the process and re-read from Slurm at most once every
 * TASKSUITE_REMAINING_REFRESH seconds (default 60) while in a job, so an
 * admin's `scontrol update TimeLimit=` is seen within a minute. Never
 * negative: 0 once the end has passed. */
double tasksuite_remaining(void);

/* Record a checkpoint of the current task: PATH (made absolute) and an
 * optional step (< 0: none). The next attempt of the task sees it as
 * TASK_SUITE_CHECKPOINT (and TASK_SUITE_CHECKPOINT_STEP). Returns 0, or -1
 * with errno set (EINVAL outside a tasksuite task, or an I/O error). */
int tasksuite_checkpoint(const char *path, long step);

/* The checkpoint the current attempt started from (TASK_SUITE_CHECKPOINT),
 * or NULL on the first attempt. */
const char *tasksuite_last_checkpoint(void);

#ifdef __cplusplus
}
#endif

#endif

/* taskctx.h: "which task am I?" for code running inside a task.
 *
 * `tasksuite exec` exports TASK_SUITE_DIR, TASK_SUITE_ID,
 * TASK_SUITE_TASK_INDEX, TASK_SUITE_ATTEMPT, NODE_RANK and NUM_NODES; this
 * turns them (plus SLURM_JOB_ID and SLURMD_NODENAME) back into the event
 * context, so `tasksuite checkpoint` and tasksuite_checkpoint() append to
 * the same per-attempt event file as exec itself.
 */
#ifndef TS_TASKCTX_H
#define TS_TASKCTX_H

#include "err.h"
#include "events.h"

/* Fill ctx from the environment (strings borrowed from it). -1 with err
 * naming the missing variable outside a task. */
int ts_taskctx_from_env(ts_evctx *ctx, ts_err *err);

/* Record a checkpoint for the current task (path made absolute). */
int ts_taskctx_checkpoint(const char *path, long step, ts_err *err);

#endif

/* oncheckpoint.h: on_checkpoint (issue 16): each checkpoint a task records
 * becomes a task of the same suite.
 *
 * Where. Every sync (status, sync, the reconcile and safety-net jobs, the
 * local runner) looks at the checkpoints ingested since the suite's mark
 * (src/journal/triggers.h) and, for each that on_checkpoint.every admits,
 * adds the triggered task, its edge and an intent in one transaction. The
 * intent is carried out like any other (sync's resubmit step, or here when
 * asked), so a crash anywhere between the checkpoint and Slurm's job is
 * finished by the next sync: the edge makes the task exactly once, the
 * intent's recovery key makes its array exactly once.
 *
 * Which. A checkpoint is (source task, step), or (source task, path) when
 * it has no step: a resumed attempt that records step 4 again does not
 * trigger again; a checkpoint of an attempt that later timed out counts.
 * With `every: N` only steps that are multiples of N (a checkpoint without
 * a step never). Triggered tasks' own checkpoints trigger nothing.
 *
 * What. The task is named "<source>.ckpt-<step>" (or "...ckpt-c<id>"),
 * runs on_checkpoint.run with the suite's resources, envs and workdir, and
 * sees TASK_SUITE_CHECKPOINT (the source's checkpoint path),
 * TASK_SUITE_CHECKPOINT_STEP (when it has a step) and
 * TASK_SUITE_SOURCE_TASK; its args (source_task, checkpoint, step) are in
 * the journal, so retries and recovery rebuild it from there.
 */
#ifndef TS_SUITE_ONCHECKPOINT_H
#define TS_SUITE_ONCHECKPOINT_H

#include <stdbool.h>

#include "err.h"
#include "expand.h"
#include "journal.h"
#include "spec.h"

/* Under the journal's writer lock. carry: also carry out the new intent now
 * (else a later sync's resubmit does). *created (may be NULL): tasks added. */
int ts_oncheckpoint_sync(ts_journal *j, const ts_suite_info *si, bool carry, long *created,
                         ts_err *err);

/* The triggered task idx of suite s, rebuilt from its journal row (args_json
 * as written by ts_oncheckpoint_sync) into *out (free with ts_task_free). */
int ts_oncheckpoint_task(const ts_suite *s, long idx, const char *name, const char *args_json,
                         ts_task *out, ts_err *err);

#endif

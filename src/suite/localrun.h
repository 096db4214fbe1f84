/* localrun.h: `submit --local`, a suite on this machine without Slurm.
 *
 * Same journal, same run directory, same `tasksuite exec` per task (so the
 * same environment, events and states), with up to one task per CPU at a
 * time instead of a job array.
 */
#ifndef TS_LOCALRUN_H
#define TS_LOCALRUN_H

#include <stdint.h>

#include "err.h"
#include "journal.h"

/* Mark intent sub_id submitted (nothing goes to Slurm). */
int ts_localrun_mark(ts_journal *j, int64_t sub_id, ts_err *err);

/* Run every open attempt of the suite's submitted intents to completion. */
int ts_localrun(ts_journal *j, const char *suite_id, const char *suite_dir,
                const char *self, ts_err *err);

#endif

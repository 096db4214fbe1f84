/* localrun.h: `submit --local`, a suite on this machine without Slurm.
 *
 * Same journal, same run directory, same `tasksuite exec` per task (so the
 * same environment, events and states), run by one local runner process per
 * suite instead of a job array: `tasksuite local-runner ID`, started
 * detached (its own session, log in SUITEDIR/local-runner.log) by submit,
 * retry and add, and followed by `submit --local` unless --detach. The
 * runner is the suite's one "node": up to one task per CPU at a time, each
 * `tasksuite exec` in its own process group; env_preparation once before
 * the first task and env_cleanup at the end; the suite's resume rules
 * (retry_on, max_retries, exit 75) give the next attempt at once; a cancel
 * (the task's cancel marker, or the suite cancelled) stops the task's
 * processes and a cancelled task never starts. SIGINT, SIGTERM or SIGHUP
 * to the runner stop it cleanly: its running tasks are stopped and, with
 * the pending ones, marked cancelled. A runner that died without that
 * (kill -9) is found by the next status/sync (ts_localrun_check_lost).
 * doc/local.md tells the user the same.
 */
#ifndef TS_LOCALRUN_H
#define TS_LOCALRUN_H

#include <stdint.h>

#include "err.h"
#include "journal.h"

/* Mark intent sub_id submitted (nothing goes to Slurm). */
int ts_localrun_mark(ts_journal *j, int64_t sub_id, ts_err *err);

/* Make sure a local runner serves the suite: a live one picks up every
 * submitted intent by itself, else one is started (detached). Returns at
 * once. */
int ts_localrun(ts_journal *j, const char *suite_id, const char *suite_dir,
                const char *self, ts_err *err);

/* The runner itself (`tasksuite local-runner ID`): runs the suite's open
 * attempts until none is left, then returns. A second runner of the same
 * suite waits for the first to finish (an flock on SUITEDIR/local-runner.lock). */
int ts_localrun_serve(ts_journal *j, const char *suite_id, ts_err *err);

/* For sync (journal locked): a --local suite whose recorded runner is gone
 * (not alive, or its pid now another process) has its pending and running
 * tasks' open attempts marked node_fail (retryable: the next runner reruns
 * them per retry_on). *lost: how many (may be NULL). */
int ts_localrun_check_lost(ts_journal *j, const char *suite_id, const char *suite_dir,
                           long *lost, ts_err *err);

/* --local runs every task on this one machine: a suite that asks for more
 * (num_nodes > 1) is refused, before anything is written (`submit --local`,
 * `validate --local`). 0, or -1 with a one-line message naming FILE. */
int ts_local_fits(const struct ts_suite *s, const char *file, ts_err *err);

#endif

/* localhooks.h: env_preparation and env_cleanup of a --local suite.
 *
 * On Slurm the plugin runs env_preparation once per node before the first
 * task and env_cleanup when the job's extern step ends (src/node/). The
 * local runner is the one "node": it runs env_preparation once before the
 * first task it starts and env_cleanup when it is done, as the current user,
 * with the same environment variables, through the same hook supervisor
 * (src/node/hook.c), logging to SUITEDIR/hooks/local/HOOK.HOST.log.
 */
#ifndef TS_LOCALHOOKS_H
#define TS_LOCALHOOKS_H

#include "err.h"
#include "spec.h"

/* Run one hook ("env_preparation" or "env_cleanup") of suite s; a hook the
 * file does not have succeeds at once. -1 with a one-line err naming the
 * hook, how it ended and its log when it did not succeed. */
int ts_localhook_run(const ts_suite *s, const char *hook, const char *suite_id,
                     const char *suite_dir, const char *workdir, ts_err *err);

#endif

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

#include <signal.h>

#include "err.h"
#include "spec.h"

/* Run one hook ("env_preparation" or "env_cleanup") of suite s; a hook the
 * file does not have succeeds at once. -1 with a one-line err naming the
 * hook, how it ended and its log when it did not succeed. stop (may be
 * NULL): the runner's stop-signal flag; a hook still running when it is
 * set is stopped (SIGTERM to the runner must not wait for a hung hook's
 * timeout). */
int ts_localhook_run(const ts_suite *s, const char *hook, const char *suite_id,
                     const char *suite_dir, const char *workdir,
                     volatile sig_atomic_t *stop, ts_err *err);

#endif

/* userhook.h: run one of a suite's hooks from the login side, as the user
 * who runs tasksuite (on_complete; a --local suite's env_preparation and
 * env_cleanup): through the same hook runner as on a node (own process
 * group, timeout, log), without the privilege drop a node needs.
 *
 * Apart from oncomplete.c and localhooks.c because both run a hook the same
 * way and differ only in the environment they give it. */
#ifndef TS_USERHOOK_H
#define TS_USERHOOK_H

#include <signal.h>
#include <stddef.h>

#include "err.h"
#include "spec.h"
#include "taskenv.h"

/* Run hook h with environment env (the caller's, complete), in cwd, output
 * to log. 0: it succeeded; 1: it failed, `what` says how ("exited 3",
 * "timed out after 5s ..."); -1: it could not be run (err). cancel (may be
 * NULL): when a signal handler sets it, the hook is stopped as at its
 * timeout. */
int ts_user_hook_run(const ts_hook *h, const ts_env *env, const char *cwd, const char *log,
                     volatile sig_atomic_t *cancel, char *what, size_t what_len,
                     ts_err *err);

#endif

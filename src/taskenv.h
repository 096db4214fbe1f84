/* taskenv.h: the environment a task runs with (SPEC.md section 4).
 *
 * A small ordered NAME=VALUE set built on top of the job's environment:
 * later sets replace earlier ones, the result is a NULL-terminated envp.
 */
#ifndef TS_TASKENV_H
#define TS_TASKENV_H

#include <stddef.h>

#include "spec.h"

typedef struct ts_env {
    char **v;     /* "NAME=VALUE", NULL-terminated */
    size_t n, cap;
} ts_env;

/* Start from envp (may be NULL). */
int ts_env_init(ts_env *e, char *const *envp);
int ts_env_set(ts_env *e, const char *name, const char *value);
int ts_env_setf(ts_env *e, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ts_env_unset(ts_env *e, const char *name);
const char *ts_env_get(const ts_env *e, const char *name);
void ts_env_free(ts_env *e);

/* Expand $NAME and ${NAME} in a suite `envs:` value against e (unset names
 * become ""); "$$" is a literal "$". Nothing else: no command substitution,
 * no globbing. Returns malloc'd text or NULL on allocation failure. */
char *ts_env_expand(const ts_env *e, const char *value);

#endif

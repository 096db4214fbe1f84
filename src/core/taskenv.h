/* taskenv.h: the environment a task runs with (SPEC.md section 4).
 *
 * A small ordered NAME=VALUE set built on top of the job's environment:
 * later sets replace earlier ones, the result is a NULL-terminated envp.
 *
 * Root builds hook environments with these functions (slurmd's prolog and
 * epilog, src/nodehooks.c) from a hook spec the user controls, so the limits
 * below are enforced here, where the memory is spent, and not only when the
 * suite is submitted: a 3 KB spec must not make root allocate gigabytes.
 */
#ifndef TS_TASKENV_H
#define TS_TASKENV_H

#include <stdbool.h>
#include <stddef.h>

#include "spec.h"

/* One expanded value (ts_env_expand*). execve(2) refuses any single
 * "NAME=VALUE" longer than MAX_ARG_STRLEN (128 KiB on Linux), and the
 * longest values suites set (PATH-like lists) are a few KiB: 64 KiB leaves
 * room for both. */
#define TS_ENV_MAX_VALUE (64u << 10)

/* A whole environment: the sum of strlen("NAME=VALUE") + 1 over its
 * entries, whether they came from ts_env_init or ts_env_set. Linux lets
 * argv and envp together take a quarter of the stack limit (2 MiB with the
 * usual 8 MiB); 1 MiB keeps room for the arguments and is far above real
 * job environments (tens of KiB, module systems included). */
#define TS_ENV_MAX_BYTES (1u << 20)

/* A variable name, as the suite file allows it (spec.c). */
#define TS_ENV_MAX_NAME 128

typedef struct ts_env {
    char **v;     /* "NAME=VALUE", NULL-terminated */
    size_t n, cap;
    size_t bytes; /* sum of strlen(v[i]) + 1, kept <= TS_ENV_MAX_BYTES */
} ts_env;

/* Start from envp (may be NULL). -1 with errno ENOMEM, or E2BIG when envp
 * is larger than TS_ENV_MAX_BYTES; e is then empty (ts_env_free is safe). */
int ts_env_init(ts_env *e, char *const *envp);

/* Set NAME to VALUE. -1 with errno EINVAL (name empty or holding '='),
 * E2BIG (the environment would pass TS_ENV_MAX_BYTES) or ENOMEM; e is
 * unchanged then. */
int ts_env_set(ts_env *e, const char *name, const char *value);
int ts_env_setf(ts_env *e, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ts_env_unset(ts_env *e, const char *name);
const char *ts_env_get(const ts_env *e, const char *name);
void ts_env_free(ts_env *e);

/* [A-Za-z_][A-Za-z0-9_]*, at most TS_ENV_MAX_NAME bytes. */
bool ts_env_name_valid(const char *name);

/* Expand $NAME and ${NAME} in a suite `envs:` value against e (unset names
 * become ""); "$$" is a literal "$". Nothing else: no command substitution,
 * no globbing. Returns malloc'd text of at most cap bytes (+ NUL), or NULL
 * with err (may be NULL) and errno set: "expands to more than CAP bytes"
 * (E2BIG, found before anything past the cap is allocated) or "out of
 * memory" (ENOMEM). */
char *ts_env_expand_capped(const ts_env *e, const char *value, size_t cap, ts_err *err);

/* ts_env_expand_capped with cap TS_ENV_MAX_VALUE and no message. */
char *ts_env_expand(const ts_env *e, const char *value);

/* Expand a suite's or hook's `envs:` in order, each against the variables
 * set so far, and set them: the one call for building a hook's or task's
 * environment from user data. On error -1, e keeps the variables set before
 * the failing one, and err is one line naming it, starting "WHAT: envs: "
 * (what may be NULL: then "envs: "):
 *   D: expands to more than 65536 bytes             (TS_ENV_MAX_VALUE)
 *   D: the environment would be larger than 1048576 bytes (TS_ENV_MAX_BYTES)
 *   D: out of memory
 *   "A=B" is not a valid variable name (...)        (ts_env_name_valid)
 * with control characters in the name shown as '?' (ts_err_shown). */
int ts_env_apply(ts_env *e, const ts_kvlist *envs, const char *what, ts_err *err);

#endif

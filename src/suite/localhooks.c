/* localhooks.c: a --local suite's environment hooks (see localhooks.h). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "localhooks.h"
#include "taskenv.h"
#include "userhook.h"

extern char **environ;

int ts_localhook_run(const ts_suite *s, const char *hook, const char *suite_id,
                     const char *suite_dir, const char *workdir,
                     volatile sig_atomic_t *stop, ts_err *err)
{
    const ts_hook *h = strcmp(hook, "env_cleanup") == 0 ? &s->env_cleanup : &s->env_preparation;
    ts_env env = { 0 };
    char log[PATH_MAX], host[256] = "localhost", what[256];

    if (!h->present)
        return 0;
    gethostname(host, sizeof host - 1);
    host[strcspn(host, ".")] = '\0';
    snprintf(log, sizeof log, "%s/hooks/local/%s.%s.log", suite_dir, hook, host);
    /* the user's own environment (this runs as the user already), plus
     * what the plugin gives a hook on a node */
    if (ts_env_init(&env, environ) < 0)
        return ts_errf(err, "out of memory");
    for (size_t i = 0; i < s->envs.n; i++)
        ts_env_set(&env, s->envs.v[i].key, s->envs.v[i].value);
    for (size_t i = 0; i < h->envs.n; i++)
        ts_env_set(&env, h->envs.v[i].key, h->envs.v[i].value);
    ts_env_set(&env, "TASK_SUITE_HOOK", hook);
    ts_env_set(&env, "TASK_SUITE_NAME", s->name ? s->name : "");
    ts_env_set(&env, "TASK_SUITE_ID", suite_id);
    ts_env_set(&env, "TASK_SUITE_DIR", suite_dir);
    ts_env_set(&env, "TASK_SUITE_HOOK_LOG", log);
    int rc = ts_user_hook_run(h, &env, workdir, log, stop, what, sizeof what, err);
    if (rc > 0)
        rc = ts_errf(err, "%s %s (its output is in %s)", hook, what, log);
    ts_env_free(&env);
    return rc;
}

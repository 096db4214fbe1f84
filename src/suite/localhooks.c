/* localhooks.c: a --local suite's environment hooks (see localhooks.h). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hook.h"
#include "localhooks.h"
#include "taskenv.h"

extern char **environ;

int ts_localhook_run(const ts_suite *s, const char *hook, const char *suite_id,
                     const char *suite_dir, const char *workdir, ts_err *err)
{
    const ts_hook *h = strcmp(hook, "env_cleanup") == 0 ? &s->env_cleanup : &s->env_preparation;
    ts_hook_user user = { 0 };
    ts_env env = { 0 };
    char log[PATH_MAX], host[256] = "localhost", **argv = NULL;
    int rc = -1;

    if (!h->present)
        return 0;
    if (ts_hook_user_lookup(getuid(), getgid(), &user, err) < 0)
        return -1;
    gethostname(host, sizeof host - 1);
    host[strcspn(host, ".")] = '\0';
    snprintf(log, sizeof log, "%s/hooks/local/%s.%s.log", suite_dir, hook, host);
    /* the user's own environment (this runs as the user already), plus
     * what the plugin gives a hook on a node */
    if (ts_env_init(&env, environ) < 0) {
        ts_errf(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->envs.n; i++)
        ts_env_set(&env, s->envs.v[i].key, s->envs.v[i].value);
    for (size_t i = 0; i < h->envs.n; i++)
        ts_env_set(&env, h->envs.v[i].key, h->envs.v[i].value);
    ts_env_set(&env, "TASK_SUITE_HOOK", hook);
    ts_env_set(&env, "TASK_SUITE_NAME", s->name ? s->name : "");
    ts_env_set(&env, "TASK_SUITE_ID", suite_id);
    ts_env_set(&env, "TASK_SUITE_DIR", suite_dir);
    ts_env_set(&env, "TASK_SUITE_HOOK_LOG", log);
    if (!h->run) {   /* a NULL-terminated argv for exec */
        if (!(argv = calloc(h->args.n + 1, sizeof *argv))) {
            ts_errf(err, "out of memory");
            goto out;
        }
        memcpy(argv, h->args.v, h->args.n * sizeof *argv);
    }
    ts_hook_req req = {
        .argv = argv, .run = h->run, .envp = env.v,
        .cwd = workdir, .log_path = log, .user = &user,
        .timeout_s = h->timeout_s > 0 ? h->timeout_s : TS_HOOK_DEFAULT_TIMEOUT_S,
        .grace_ms = -1,
    };
    ts_hook_result res;
    if (ts_hook_run(&req, &res, err) < 0)
        goto out;
    if (!ts_hook_ok(&res)) {
        char what[256];
        ts_hook_describe(&res, what, sizeof what);
        ts_errf(err, "%s %s (its output is in %s)", hook, what, log);
        goto out;
    }
    rc = 0;
out:
    free(argv);
    ts_env_free(&env);
    ts_hook_user_free(&user);
    return rc;
}

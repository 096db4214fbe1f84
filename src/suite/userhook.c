/* userhook.c: a suite hook run from the login side (see userhook.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hook.h"
#include "userhook.h"

int ts_user_hook_run(const ts_hook *h, const ts_env *env, const char *cwd, const char *log,
                     volatile sig_atomic_t *cancel, char *what, size_t what_len,
                     ts_err *err)
{
    ts_hook_user user = { 0 };
    char **argv = NULL;
    int rc = -1;

    if (ts_hook_user_lookup(getuid(), getgid(), &user, err) < 0)
        return -1;
    if (!h->run) {   /* a NULL-terminated argv for exec */
        if (!(argv = calloc(h->args.n + 1, sizeof *argv))) {
            ts_errf(err, "out of memory");
            goto out;
        }
        memcpy(argv, h->args.v, h->args.n * sizeof *argv);
    }
    ts_hook_req req = {
        .argv = argv, .run = h->run, .envp = env->v,
        .cwd = cwd, .log_path = log, .user = &user,
        .timeout_s = h->timeout_s > 0 ? h->timeout_s : TS_HOOK_DEFAULT_TIMEOUT_S,
        .grace_ms = -1, .cancel = cancel,
    };
    ts_hook_result res;
    if (ts_hook_run(&req, &res, err) < 0)
        goto out;
    rc = 0;
    if (!ts_hook_ok(&res)) {
        ts_hook_describe(&res, what, what_len);
        rc = 1;
    }
out:
    free(argv);
    ts_hook_user_free(&user);
    return rc;
}

#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hook.h"
#include "oncomplete.h"
#include "submission.h"
#include "taskenv.h"

extern char **environ;

int ts_on_complete_run(ts_journal *j, const char *suite_id, ts_err *err)
{
    ts_suite_info si = { 0 };
    ts_submit_store st = { 0 };
    ts_submit_ctx ctx;
    ts_hook_user user = { 0 };
    ts_env env = { 0 };
    ts_counts c;
    char log[PATH_MAX], **argv = NULL;
    int rc = -1, have_store = 0, have_user = 0;

    if (ts_journal_suite_get(j, suite_id, &si, err) < 0
        || ts_submission_load(j, &si, &st, &ctx, err) < 0)
        goto out;
    have_store = 1;
    const ts_hook *h = &st.s->on_complete;
    if (!h->present) {
        rc = 0;
        goto out;
    }
    if (ts_journal_counts(j, suite_id, &c, err) < 0
        || ts_hook_user_lookup(getuid(), getgid(), &user, err) < 0)
        goto out;
    have_user = 1;
    snprintf(log, sizeof log, "%s/hooks/on_complete.%ld.log", st.dir, si.completions);
    /* The user's own environment (this runs as the user already), plus what
     * the hook needs to know about the suite. */
    if (ts_env_init(&env, environ) < 0) {
        ts_errf(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < h->envs.n; i++)
        ts_env_set(&env, h->envs.v[i].key, h->envs.v[i].value);
    ts_env_set(&env, "TASK_SUITE_ID", suite_id);
    ts_env_set(&env, "TASK_SUITE_NAME", si.name);
    ts_env_set(&env, "TASK_SUITE_DIR", st.dir);
    ts_env_set(&env, "TASK_SUITE_HOOK", "on_complete");
    ts_env_setf(&env, "TASK_SUITE_TOTAL", "%ld", c.total);
    ts_env_setf(&env, "TASK_SUITE_COMPLETED", "%ld", c.n[TS_TASK_COMPLETED]);
    ts_env_setf(&env, "TASK_SUITE_FAILED", "%ld",
                c.total - c.n[TS_TASK_COMPLETED] - c.n[TS_TASK_PENDING] - c.n[TS_TASK_RUNNING]);
    if (!h->run) {   /* a NULL-terminated argv for exec */
        if (!(argv = calloc(h->args.n + 1, sizeof *argv))) {
            ts_errf(err, "out of memory");
            goto out;
        }
        memcpy(argv, h->args.v, h->args.n * sizeof *argv);
    }
    ts_hook_req req = {
        .argv = argv, .run = h->run, .envp = env.v,
        .cwd = st.workdir, .log_path = log, .user = &user,
        .timeout_s = h->timeout_s > 0 ? h->timeout_s : TS_HOOK_DEFAULT_TIMEOUT_S,
        .grace_ms = -1,
    };
    ts_hook_result res;
    if (ts_hook_run(&req, &res, err) < 0)
        goto out;
    if (!ts_hook_ok(&res)) {
        char what[256];
        ts_hook_describe(&res, what, sizeof what);
        ts_errf(err, "suite %s: on_complete %s; its output is in %s", suite_id, what, log);
        goto out;
    }
    rc = 0;
out:
    free(argv);
    ts_env_free(&env);
    if (have_user)
        ts_hook_user_free(&user);
    if (have_store)
        ts_submission_store_free(&st);
    ts_suite_info_clear(&si);
    return rc;
}

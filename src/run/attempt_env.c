/* attempt_env.c: the environment a task's attempt runs with (SPEC.md
 * section 4), apart from running it: the one list of what a task can rely
 * on finding in its environment.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "attempt_int.h"
#include "walltime.h"

extern char **environ;

/* Everything SPEC.md section 4 promises, on top of the job's environment. */
int ts_attempt_build_env(ts_env *env, const ts_runspec *rs, const ts_manifest_entry *t,
                         int attempt, int rank, const char *task_dir, time_t end,
                         ts_err *err)
{
    char ckpt[PATH_MAX] = "";
    long step = -1;

    if (ts_env_init(env, environ) < 0)
        return errno == E2BIG ? ts_errf(err, "the job's environment is larger than %u bytes",
                                        TS_ENV_MAX_BYTES)
                              : ts_errf(err, "out of memory");
    if (ts_events_last_checkpoint(rs->dir, t->task_idx, ckpt, sizeof ckpt, &step, err) < 0)
        return -1;
    if (ts_env_apply(env, &rs->envs, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < t->env.n; i++)
        ts_env_set(env, t->env.v[i].key, t->env.v[i].value);
    ts_env_set(env, "TASK_SUITE_ID", rs->id);
    ts_env_set(env, "TASK_SUITE_NAME", rs->name);
    ts_env_set(env, "TASK_SUITE_DIR", rs->dir);
    ts_env_set(env, "TASK_SUITE_TASK", t->name);
    ts_env_setf(env, "TASK_SUITE_TASK_INDEX", "%ld", t->task_idx);
    ts_env_set(env, "TASK_SUITE_TASK_DIR", task_dir);
    ts_env_setf(env, "TASK_SUITE_ATTEMPT", "%d", attempt);
    ts_env_set(env, "TASK_SUITE_CHECKPOINT", ckpt);
    if (step >= 0)
        ts_env_setf(env, "TASK_SUITE_CHECKPOINT_STEP", "%ld", step);
    else
        ts_env_unset(env, "TASK_SUITE_CHECKPOINT_STEP");
    /* A task on_checkpoint triggered (issue 16) carries its source's
     * checkpoint in its own entries, which win over the task's own. */
    for (size_t i = 0; i < t->env.n; i++)
        if (strncmp(t->env.v[i].key, "TASK_SUITE_ARG_", 15) != 0)
            ts_env_set(env, t->env.v[i].key, t->env.v[i].value);
    ts_env_setf(env, "NODE_RANK", "%d", rank);
    ts_env_setf(env, "NUM_NODES", "%d", rs->num_nodes);
    if (end < 0)
        end = ts_walltime_end_time_fresh();
    if (end > 0)
        ts_env_setf(env, "TASK_SUITE_END_TIME", "%lld", (long long)end);
    else
        ts_env_unset(env, "TASK_SUITE_END_TIME");
    return 0;
}

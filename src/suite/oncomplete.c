/* oncomplete.c: the suite's on_complete hook, and the one rule for when it
 * runs (see oncomplete.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook.h"
#include "oncomplete.h"
#include "userhook.h"
#include "submission.h"
#include "taskenv.h"

extern char **environ;

/* What decides whether the hook is due: the suite is complete, it has an
 * on_complete, and SUITEDIR/hooks/on_complete.N.log (N = its completion
 * count) does not exist yet. The log is the claim: created with O_EXCL
 * before the hook starts, so of two commands that find it due at the same
 * time exactly one runs it, and a completion never runs it twice. */
typedef struct due_check {
    ts_suite_info si;
    ts_submit_store st;
    bool have_store;
    bool due;
    char log[PATH_MAX];
} due_check;

static void due_free(due_check *d)
{
    if (d->have_store)
        ts_submission_store_free(&d->st);
    ts_suite_info_clear(&d->si);
}

static int check_due(ts_journal *j, const char *suite_id, due_check *d, ts_err *err)
{
    ts_submit_ctx ctx;

    memset(d, 0, sizeof *d);
    if (ts_journal_suite_get(j, suite_id, &d->si, err) < 0)
        return -1;
    if (d->si.state != TS_SUITE_COMPLETE)
        return 0;
    if (ts_submission_load(j, &d->si, &d->st, &ctx, err) < 0)
        return -1;
    d->have_store = true;
    if (!d->st.s->on_complete.present)
        return 0;
    if (snprintf(d->log, sizeof d->log, "%s/hooks/on_complete.%ld.log", d->st.dir,
                 d->si.completions) >= (int)sizeof d->log)
        return ts_errf(err, "suite %s: on_complete: the log path is too long", suite_id);
    struct stat sb;
    d->due = lstat(d->log, &sb) < 0 && errno == ENOENT;
    return 0;
}

/* Create the log exclusively; 1: ours to run, 0: someone claimed it. */
static int claim(const due_check *d, ts_err *err)
{
    char hooks[PATH_MAX];
    snprintf(hooks, sizeof hooks, "%s/hooks", d->st.dir);
    if (mkdir(hooks, 0700) < 0 && errno != EEXIST)
        return ts_errf(err, "suite %s: on_complete: cannot create %s: %s", d->si.id, hooks,
                       strerror(errno));
    int fd = open(d->log, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return 0;
        return ts_errf(err, "suite %s: on_complete: cannot create %s: %s", d->si.id, d->log,
                       strerror(errno));
    }
    close(fd);
    return 1;
}

int ts_on_complete_due(ts_journal *j, const char *suite_id, bool *due, ts_err *err)
{
    due_check d;
    int rc = check_due(j, suite_id, &d, err);
    *due = rc == 0 && d.due;
    due_free(&d);
    return rc;
}

/* Run the hook of d (complete, claimed) as the user, with its timeout. */
static int run_hook(ts_journal *j, const due_check *d, ts_err *err)
{
    const char *suite_id = d->si.id;
    const ts_suite_info *sip = &d->si;
    ts_env env = { 0 };
    ts_counts c;
    char what[256];
    const ts_hook *h = &d->st.s->on_complete;
    const ts_submit_store *stp = &d->st;

    if (ts_journal_counts(j, suite_id, &c, err) < 0)
        return -1;
    /* The user's own environment (this runs as the user already), plus what
     * the hook needs to know about the suite. */
    if (ts_env_init(&env, environ) < 0)
        return ts_errf(err, "out of memory");
    for (size_t i = 0; i < h->envs.n; i++)
        ts_env_set(&env, h->envs.v[i].key, h->envs.v[i].value);
    ts_env_set(&env, "TASK_SUITE_ID", suite_id);
    ts_env_set(&env, "TASK_SUITE_NAME", sip->name);
    ts_env_set(&env, "TASK_SUITE_DIR", stp->dir);
    ts_env_set(&env, "TASK_SUITE_HOOK", "on_complete");
    ts_env_setf(&env, "TASK_SUITE_TOTAL", "%ld", c.total);
    ts_env_setf(&env, "TASK_SUITE_COMPLETED", "%ld", c.n[TS_TASK_COMPLETED]);
    ts_env_setf(&env, "TASK_SUITE_FAILED", "%ld",
                c.total - c.n[TS_TASK_COMPLETED] - c.n[TS_TASK_PENDING] - c.n[TS_TASK_RUNNING]);
    int rc = ts_user_hook_run(h, &env, stp->workdir, d->log, NULL, what, sizeof what, err);
    if (rc > 0)
        rc = ts_errf(err, "suite %s: on_complete %s; its output is in %s", suite_id, what,
                     d->log);
    ts_env_free(&env);
    return rc;
}

int ts_on_complete_run_if_due(ts_journal *j, const char *suite_id, bool *ran, ts_err *err)
{
    due_check d;
    int rc = check_due(j, suite_id, &d, err);
    if (ran)
        *ran = false;
    if (rc == 0 && d.due) {
        int mine = claim(&d, err);
        if (mine < 0)
            rc = -1;
        else if (mine > 0) {
            if (ran)
                *ran = true;
            rc = run_hook(j, &d, err);
        }
    }
    due_free(&d);
    return rc;
}

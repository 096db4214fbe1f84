#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grow.h"
#include "localrun.h"

int ts_localrun_mark(ts_journal *j, int64_t sub_id, ts_err *err)
{
    return ts_journal_intent_set_state(j, sub_id, TS_SUB_SUBMITTED, err);
}

typedef struct job {
    long position;
    long task_idx;
    int attempt;
} job;

typedef struct run_list {
    job *v;
    size_t n, cap;
} run_list;

static int add_job(long position, long task_idx, int attempt, void *arg)
{
    run_list *l = arg;
    if (ts_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v) < 0)
        return -1;
    l->v[l->n++] = (job){ position, task_idx, attempt };
    return 0;
}

typedef struct intent_list {
    int64_t id[64];
    char manifest[64][4096];
    size_t n;
} intent_list;

static int add_intent(const ts_intent_info *in, void *arg)
{
    intent_list *l = arg;
    if (l->n == 64 || !in->manifest)
        return 0;
    l->id[l->n] = in->id;
    snprintf(l->manifest[l->n], sizeof l->manifest[0], "%s", in->manifest);
    l->n++;
    return 0;
}

static pid_t spawn(const char *self, const char *dir, const char *manifest, long position)
{
    char pos[32];
    snprintf(pos, sizeof pos, "%ld", position);
    pid_t pid = fork();
    if (pid == 0) {
        /* No Slurm job around us: nothing of an enclosing job may leak in. */
        unsetenv("SLURM_JOB_ID");
        unsetenv("SLURM_ARRAY_TASK_ID");
        unsetenv("SLURM_RESTART_COUNT");
        execl(self, "tasksuite", "exec", "--dir", dir, "--manifest", manifest,
              "--position", pos, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int run_all(const char *self, const char *dir, const char *manifest,
                   const run_list *l, ts_err *err)
{
    long width = sysconf(_SC_NPROCESSORS_ONLN);
    long running = 0;
    size_t next = 0;
    if (width < 1)
        width = 1;
    while (next < l->n || running > 0) {
        while (next < l->n && running < width) {
            if (spawn(self, dir, manifest, l->v[next].position) < 0)
                return ts_errf(err, "cannot start a task: fork: %s", strerror(errno));
            next++;
            running++;
        }
        int status;
        if (wait(&status) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        running--;
    }
    return 0;
}

int ts_localrun(ts_journal *j, const char *suite_id, const char *suite_dir,
                const char *self, ts_err *err)
{
    intent_list *il = calloc(1, sizeof *il);
    int rc = -1;
    if (!il)
        return ts_errf(err, "out of memory");
    if (ts_journal_intents_foreach(j, suite_id, TS_BIT(TS_SUB_SUBMITTED), add_intent, il,
                                   err) < 0)
        goto out;
    for (size_t i = 0; i < il->n; i++) {
        run_list l = { 0 };
        int r = ts_journal_intent_tasks_foreach(j, il->id[i], add_job, &l, err);
        if (r == 0)
            r = run_all(self, suite_dir, il->manifest[i], &l, err);
        free(l.v);
        if (r < 0)
            goto out;
        if (ts_journal_intent_set_state(j, il->id[i], TS_SUB_DONE, err) < 0)
            goto out;
    }
    rc = 0;
out:
    free(il);
    return rc;
}

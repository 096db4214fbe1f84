/* worker.c: the process of one pooled task (worker.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentrules.h"
#include "attempt.h"
#include "events.h"
#include "outcome.h"
#include "worker.h"

static enum ts_pool_result result_of(const ts_pool_task_req *r, const ts_attempt_pool *p)
{
    bool cancelled = false;
    ts_err ignored = { 0 };
    if (p->cancelled)
        return TS_POOL_SKIPPED;
    /* stopped by `cancel --task`: not the worker's failure */
    if (p->ran && p->outcome == TS_OUTCOME_FAILED
        && ts_events_is_cancelled(r->rundir, r->e.task, &cancelled, &ignored) == 0 && cancelled)
        return TS_POOL_SKIPPED;
    if (!p->ran)
        return TS_POOL_FAILED;      /* could not be run: the node's fault, maybe */
    switch ((enum ts_task_outcome)p->outcome) {
    case TS_OUTCOME_COMPLETED: return TS_POOL_DONE;
    case TS_OUTCOME_TEMPFAIL:
    case TS_OUTCOME_CUT_AT_LIMIT: return TS_POOL_TIMEOUT;
    default: return TS_POOL_FAILED;
    }
}

static void task_process(const ts_pool_task_req *r)
{
    ts_err err = { 0 };
    if (ts_binding_apply(r->topo, r->plan, r->worker, &err) < 0) {
        fprintf(stderr, "tasksuite pool-agent: worker %zu: %s\n", r->worker, err.msg);
        fflush(NULL);
        _exit(TS_POOL_FAILED);
    }
    ts_attempt_pool pool = { .pooldir = r->pooldir, .priority = r->e.priority,
                             .cut_from = r->cut_from, .end = r->end };
    ts_attempt_args a = {
        .dir = r->rundir, .manifest = r->manifest, .offset = 0, .position = r->e.task,
        .attempt = r->e.attempt, .started = time(NULL), .pool = &pool,
        .runspec = r->runspec, .index = r->index,
    };
    (void)ts_attempt_run(&a);
    fflush(NULL);
    _exit(result_of(r, &pool));
}

pid_t ts_pool_worker_spawn(const ts_pool_task_req *r, ts_err *err)
{
    fflush(NULL);           /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0)
        return ts_errf(err, "cannot start task %ld: fork: %s", r->e.task, strerror(errno));
    if (pid == 0)
        task_process(r);
    return pid;
}

void ts_pool_worker_kill_task(pid_t task_process)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)task_process,
             (long)task_process);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (char *p = buf, *end; *p; p = end) {
        long child = strtol(p, &end, 10);
        if (end == p)
            break;
        pid_t group = getpgid((pid_t)child);
        if (group > 0 && group != getpgrp())
            kill(-group, SIGKILL);
    }
}

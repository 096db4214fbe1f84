/* worker.c: one pooled task, run by the agent itself (worker.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "outcome.h"
#include "reaper.h"
#include "worker.h"

#define MSG "tasksuite pool-agent: "

/* What the task's end counts for its worker. */
static enum ts_pool_result result_of(const ts_pool_task *t)
{
    bool cancelled = false;
    ts_err ignored = { 0 };
    const ts_attempt_pool *p = &t->pool;
    if (p->cancelled)
        return TS_POOL_SKIPPED;
    /* stopped by `cancel --task`: not the worker's failure */
    if (p->ran && p->outcome == TS_OUTCOME_FAILED
        && ts_events_is_cancelled(t->rundir, t->task, &cancelled, &ignored) == 0 && cancelled)
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

/* In the task's child, before its exec: dies with the agent, then binds
 * to the worker's CPUs. An agent's death makes its running attempts lost
 * (node_fail, retried as the next attempt: doc/pool.md); a task that ran
 * on unrecorded would then run twice, once beside its own retry. Under
 * Slurm the step's end kills it anyway; this makes it so everywhere. */
static void bind_worker(void *arg)
{
    const ts_pool_task *t = arg;
    ts_err err = { 0 };
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != t->agent)
        _exit(127);     /* the agent is gone already */
    if (ts_binding_bind(t->topo, t->plan, t->worker, &err) < 0) {
        fprintf(stderr, MSG "worker %zu: %s\n", t->worker, err.msg);
        fflush(NULL);
        _exit(127);
    }
}

static int spawn(ts_pool_task *t, const char *text)
{
    ts_err err = { 0 };
    fflush(NULL);           /* nothing buffered is written twice */
    t->group = ts_run_start(ts_attempt_req(t->live), text, &err);
    if (t->group < 0) {
        fprintf(stderr, MSG "task %ld attempt %d: %s\n", t->task, t->attempt, err.msg);
        t->group = 0;
        return -1;
    }
    return 0;
}

int ts_pool_task_start(ts_pool_task *t, const ts_pool_task_req *r, enum ts_pool_result *result)
{
    memset(t, 0, sizeof *t);
    t->pool = (ts_attempt_pool){ .pooldir = r->pooldir, .priority = r->e.priority,
                                 .cut_from = r->cut_from, .end = r->end };
    t->rundir = r->rundir;
    t->task = r->e.task;
    t->attempt = r->e.attempt;
    t->topo = r->topo;
    t->plan = r->plan;
    t->worker = r->worker;
    t->agent = getpid();
    ts_attempt_args a = {
        .dir = r->rundir, .manifest = r->manifest, .offset = 0, .position = r->e.task,
        .attempt = r->e.attempt, .started = time(NULL), .pool = &t->pool,
        .runspec = r->runspec, .index = r->index,
    };
    int rc;
    ts_err err = { 0 };
    /* The worker's variables, into our environment, which the attempt's
     * is made from; every worker sets the same names. */
    if (ts_binding_env(r->plan, r->worker, &err) < 0) {
        fprintf(stderr, MSG "worker %zu: %s\n", r->worker, err.msg);
        *result = TS_POOL_FAILED;
        return 0;
    }
    t->live = ts_attempt_begin(&a, &rc);
    if (!t->live) {
        *result = result_of(t);
        return 0;
    }
    ts_run_req *req = ts_attempt_req(t->live);
    req->pre_exec = bind_worker;
    req->pre_exec_arg = t;
    t->in_setup = req->setup && *req->setup;
    if (spawn(t, t->in_setup ? req->setup : req->run) < 0) {
        /* recorded as an attempt that could not run its command */
        t->res = (ts_run_result){ .exit_code = 127 };
        (void)ts_attempt_end(t->live, &t->res);
        t->live = NULL;
        *result = TS_POOL_FAILED;
        return 0;
    }
    return 1;
}

/* Whether /proc/PID/environ holds every one of the NUL-terminated
 * strings in want (each a whole "NAME=value"): 1 yes, 0 no, -1 it reads
 * empty (a process in the middle of an exec shows no environment yet). */
static int environ_has(pid_t pid, const char *const *want, size_t nwant)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    ssize_t n;
    while (buf && (n = read(fd, buf + len, cap - len)) > 0) {
        len += (size_t)n;
        if (len == cap) {
            char *more = realloc(buf, cap * 2 + 1);
            if (!more)
                break;
            buf = more;
            cap *= 2;
        }
    }
    close(fd);
    size_t found = 0;
    for (size_t i = 0; buf && i < len; i += strlen(buf + i) + 1) {
        buf[len] = '\0';
        for (size_t k = 0; k < nwant; k++)
            found += strcmp(buf + i, want[k]) == 0;
    }
    free(buf);
    return len == 0 ? -1 : found == nwant;
}

/* Leftovers TERMed and due a KILL (-pid: a process group), as the runner
 * gives them TS_RUNNER_LEFTOVER_TERM_MS; never waited for here. */
#define STRAYS_MAX 64
static struct { pid_t pid; double kill_at; } strays[STRAYS_MAX];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void stray_term(pid_t pid)
{
    if (kill(pid, SIGTERM) < 0)
        return;
    (void)kill(pid, SIGCONT);   /* a stopped one acts on it */
    for (size_t i = 0; i < STRAYS_MAX; i++)
        if (strays[i].pid == 0) {
            strays[i].pid = pid;
            strays[i].kill_at = now_s() + TS_RUNNER_LEFTOVER_TERM_MS / 1000.0;
            return;
        }
    (void)kill(pid, SIGKILL);   /* no room to wait: now */
}

void ts_pool_strays_escalate(bool all)
{
    double now = now_s();
    for (size_t i = 0; i < STRAYS_MAX; i++)
        if (strays[i].pid != 0 && (all || now >= strays[i].kill_at)) {
            (void)kill(strays[i].pid, SIGKILL);
            strays[i].pid = 0;
        }
}

typedef struct stray_scan {
    const char *want[2];
    pid_t group;            /* the task's: signalled as a whole already */
    int found;
} stray_scan;

static void stop_if_ours(pid_t pid, void *arg)
{
    stray_scan *s = arg;
    if (getpgid(pid) == s->group) {
        s->found++;             /* came to us, still in the group: counted */
        return;
    }
    int has = environ_has(pid, s->want, 2);
    /* A task that starts `setsid cmd &` and exits at once leaves it in its
     * exec: read it again for up to 100 ms (rare: only such a child). */
    for (int i = 0; has < 0 && i < 20; i++) {
        struct timespec ts = { 0, 5000000L };
        nanosleep(&ts, NULL);
        has = environ_has(pid, s->want, 2);
    }
    if (has > 0) {
        stray_term(pid);
        s->found++;
    }
}

/* The task's main process has ended: what it left running is stopped, in
 * its group and out of it (setsid): the processes that came to us as the
 * subreaper, told apart by the task's own environment. */
static int stop_leftovers(const ts_pool_task *t)
{
    bool in_group = kill(-t->group, 0) == 0;
    if (in_group)
        stray_term(-t->group);
    char idx[64], att[64];
    snprintf(idx, sizeof idx, "TASK_SUITE_TASK_INDEX=%ld", t->task);
    snprintf(att, sizeof att, "TASK_SUITE_ATTEMPT=%d", t->attempt);
    stray_scan s = { .want = { idx, att }, .group = t->group };
    (void)ts_reaper_each_child(stop_if_ours, &s);
    /* the group's members that did not come to us: at least one */
    return s.found > 0 || !in_group ? s.found : 1;
}

int ts_pool_task_exited(ts_pool_task *t, int status, enum ts_pool_result *result)
{
    ts_run_req *req = ts_attempt_req(t->live);
    ts_run_status(status, &t->res);     /* the warning's mark stays */
    if (t->in_setup) {
        t->in_setup = false;
        if (t->res.exit_code == 0 && t->res.term_signal == 0) {
            if (spawn(t, req->run) == 0)
                return 1;
            t->res.exit_code = 127;
        } else
            t->res.failed_in_setup = 1;
    }
    t->res.leftovers = stop_leftovers(t);
    (void)ts_attempt_end(t->live, &t->res);
    t->live = NULL;
    *result = result_of(t);
    t->group = 0;
    return 0;
}

void ts_pool_task_signal(ts_pool_task *t, int sig)
{
    if (t->live && t->group > 0)
        ts_run_signal(ts_attempt_req(t->live), t->group, sig, &t->res);
}

void ts_pool_task_kill(const ts_pool_task *t)
{
    if (t->live && t->group > 0)
        (void)kill(-t->group, SIGKILL);
}

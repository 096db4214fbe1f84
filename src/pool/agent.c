/* agent.c: the pool agent's loop (agent.h, doc/pool.md "Agents").
 *
 * One process, single-threaded: it waits for signals (SIGCHLD of its task
 * processes, the warning, TERM) with sigtimedwait, so every decision is
 * made in one place and in order. Tasks run in processes of their own
 * (worker.c); the agent only claims, starts, watches and counts.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agentrules.h"
#include "agentstatus.h"
#include "binding.h"
#include "claims.h"
#include "events.h"
#include "layout.h"
#include "manifest.h"
#include "walltime.h"
#include "warnfilter.h"
#include "worker.h"

#define MSG "tasksuite pool-agent: "
#define HEARTBEAT_S 5.0         /* heartbeat and .workers, at least this often */
#define CANCEL_CHECK_S 1.0
#define CANCEL_GRACE_S 10.0     /* TERM, then KILL this much later */
#define CUT_KILL_AFTER_S 3.0    /* at the end: TERM, then KILL */
#define END_REFRESH_S 60.0      /* ask Slurm for the end again (scontrol update) */

typedef struct slot {
    ts_pool_worker_status st;
    char *cpus, *gpus;
    pid_t pid;                  /* its task's process; 0: none */
    ts_pool_entry e;
    bool termed;                /* TERM sent (cancel or the end) */
    double kill_at;             /* 0: no KILL due */
} slot;

typedef struct agent {
    ts_runspec rs;
    char pooldir[PATH_MAX], manifest[PATH_MAX];
    char host[256];
    const char *jobid;
    ts_pool_agent *ag;
    hwloc_topology_t topo;
    hwloc_bitmap_t allowed;
    ts_binding_plan plan;
    bool have_plan;
    slot *w;
    size_t n;
    ts_pool_entry *buf;         /* claimed, not started; priority high to low */
    size_t nbuf;
    time_t end;                 /* the allocation's end; 0: none known */
    time_t started;
    double end_asked;
    bool winding;               /* no more claims: warning, TERM, all suspended */
    bool cut;                   /* the end is near: running tasks were TERMed */
    int empty_looks;
    bool dry;                   /* the last look found nothing */
    double last_look, last_status, last_hb, last_cancel;
    bool dirty;
    sigset_t sigs;
} agent;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The warning's lead as exec measures it (warnfilter.c): never in the
 * first half of the walltime. */
static double lead_of(const agent *a)
{
    double lead = a->rs.warn_lead_s > 0 ? a->rs.warn_lead_s : 0;
    double wall = a->end > 0 ? (double)(a->end - a->started) : 0;
    return wall > 0 && lead > wall / 2 ? wall / 2 : lead;
}

/* Seconds before the end at which running tasks are TERMed: late enough to
 * leave the warning's lead to the task, early enough to record the end
 * before Slurm's own TERM. */
static double cut_before(const agent *a)
{
    double lead = lead_of(a);
    double c = lead >= 20 ? 10 : lead / 2;
    return c < 2 ? 2 : c;
}

static void write_status(agent *a)
{
    ts_err err = { 0 };
    ts_pool_worker_status *ws = calloc(a->n ? a->n : 1, sizeof *ws);
    if (!ws)
        return;
    for (size_t i = 0; i < a->n; i++)
        ws[i] = a->w[i].st;
    ts_pool_agent_status st = {
        .agent = ts_pool_agent_id(a->ag), .host = a->host, .jobid = a->jobid,
        .time = now_s(), .w = ws, .n = a->n,
    };
    if (ts_pool_agent_status_write(a->pooldir, &st, &err) < 0)
        fprintf(stderr, MSG "%s\n", err.msg);
    free(ws);
    a->last_status = now_s();
    a->dirty = false;
}

/* Give back everything claimed but not started (no attempt spent). */
static void release_buffer(agent *a)
{
    ts_err err = { 0 };
    if (a->nbuf == 0)
        return;
    if (ts_pool_release(a->ag, a->buf, a->nbuf, &err) < 0)
        fprintf(stderr, MSG "cannot give back %zu claimed tasks: %s (sync returns them "
                "when this agent is judged dead)\n", a->nbuf, err.msg);
    a->nbuf = 0;
}

static void signal_running(agent *a, int sig)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->w[i].pid > 0)
            kill(a->w[i].pid, sig);
}

static void wind_down(agent *a, const char *why)
{
    if (a->winding)
        return;
    a->winding = true;
    fprintf(stderr, MSG "%s: no more tasks taken here\n", why);
    release_buffer(a);
    a->dirty = true;
}

static void warn_tasks(agent *a, const char *why)
{
    wind_down(a, why);
    if (a->rs.warn_signal > 0)
        signal_running(a, a->rs.warn_signal);
}

static void term_slot(agent *a, slot *s, double grace)
{
    if (s->pid <= 0 || s->termed)
        return;
    kill(s->pid, SIGTERM);
    s->termed = true;
    s->kill_at = now_s() + grace;
    (void)a;
}

/* ------------------------------------------------------------- claims */

static void buffer_add(agent *a, const ts_pool_entry *e)
{
    size_t i = a->nbuf;
    /* after every entry of the same or a higher priority: stable */
    while (i > 0 && a->buf[i - 1].priority < e->priority) {
        a->buf[i] = a->buf[i - 1];
        i--;
    }
    a->buf[i] = *e;
    a->nbuf++;
}

static int idle_workers(const agent *a)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += a->w[i].pid == 0 && a->w[i].st.state == TS_WORKER_IDLE;
    return n;
}

static int busy_workers(const agent *a)
{
    int n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += a->w[i].pid > 0;
    return n;
}

static void claim_more(agent *a, double now)
{
    ts_err err = { 0 }, warn = { 0 };
    int idle = idle_workers(a);
    int want = idle + a->rs.workers.task_prefetch_count - (int)a->nbuf;
    if (idle == 0 || want <= 0)
        return;
    /* after an empty look, at most one a second */
    if (a->dry && now - a->last_look < 1.0)
        return;
    a->last_look = now;
    int got = ts_pool_claim(a->ag, a->buf + a->nbuf, want, &warn, &err);
    if (warn.msg[0])
        fprintf(stderr, MSG "%s\n", warn.msg);
    if (got < 0) {
        fprintf(stderr, MSG "%s\n", err.msg);
        got = 0;
    }
    a->dry = got == 0;
    if (got == 0) {
        if (busy_workers(a) == 0 && a->nbuf == 0)
            a->empty_looks++;
        return;
    }
    a->empty_looks = 0;
    ts_pool_entry *fresh = malloc((size_t)got * sizeof *fresh);
    if (!fresh) {
        fprintf(stderr, MSG "out of memory\n");
        return;
    }
    memcpy(fresh, a->buf + a->nbuf, (size_t)got * sizeof *fresh);
    for (int i = 0; i < got; i++)
        buffer_add(a, &fresh[i]);
    free(fresh);
}

/* 1: started; 0: not to be run (cancelled, returned): next entry. */
static int start_one(agent *a, slot *s, const ts_pool_entry *e)
{
    ts_err err = { 0 };
    bool cancelled = false;
    if (ts_events_is_cancelled(a->rs.dir, e->task, &cancelled, &err) < 0)
        fprintf(stderr, MSG "%s\n", err.msg);
    /* Started even when cancelled: the fate settles the claim for good, so
     * nobody else runs it either; nothing runs and nothing is recorded. */
    int r = ts_pool_start(a->ag, e, &err);
    if (r < 0) {
        fprintf(stderr, MSG "task %ld attempt %d: %s: not run\n", e->task, e->attempt, err.msg);
        ts_err ignored = { 0 };
        (void)ts_pool_release(a->ag, e, 1, &ignored);   /* if it is still ours */
    }
    if (r <= 0)
        return 0;
    if (cancelled) {
        fprintf(stderr, MSG "task %ld was cancelled: not run\n", e->task);
        return 0;
    }
    ts_pool_task_req req = {
        .rundir = a->rs.dir, .manifest = a->manifest, .pooldir = a->pooldir, .e = *e,
        .cut_from = a->end > 0 ? a->end - (time_t)cut_before(a) : 0, .end = a->end,
        .topo = a->topo, .plan = &a->plan, .worker = (size_t)s->st.id,
    };
    pid_t pid = ts_pool_worker_spawn(&req, &err);
    if (pid < 0) {
        /* started but never run: the journal sees no end; sync judges it */
        fprintf(stderr, MSG "%s\n", err.msg);
        return 0;
    }
    s->pid = pid;
    s->e = *e;
    s->termed = false;
    s->kill_at = 0;
    s->st.state = TS_WORKER_RUNNING;
    s->st.task = e->task;
    s->st.attempt = e->attempt;
    a->dirty = true;
    return 1;
}

static void dispatch(agent *a)
{
    for (size_t i = 0; i < a->n && a->nbuf > 0; i++) {
        slot *s = &a->w[i];
        if (s->pid != 0 || s->st.state != TS_WORKER_IDLE)
            continue;
        while (a->nbuf > 0 && s->pid == 0) {
            ts_pool_entry e = a->buf[0];
            memmove(a->buf, a->buf + 1, (a->nbuf - 1) * sizeof *a->buf);
            a->nbuf--;
            start_one(a, s, &e);
        }
    }
}

/* ------------------------------------------------------------- tasks */

static void task_ended(agent *a, slot *s, int status)
{
    enum ts_pool_result r = ts_pool_result_of_status(status);
    s->pid = 0;
    s->termed = false;
    s->kill_at = 0;
    s->st.state = TS_WORKER_IDLE;
    a->empty_looks = 0;     /* it may have queued its next attempt: look again */
    a->dry = false;
    a->dirty = true;
    if (ts_pool_tally_note(&s->st.tally, r, a->rs.workers.suspend_after)) {
        snprintf(s->st.reason, sizeof s->st.reason,
                 "suspended: its last %d tasks failed (suspend_after), the last task %ld "
                 "attempt %d", s->st.tally.streak, s->e.task, s->e.attempt);
        s->st.state = TS_WORKER_SUSPENDED;
        fprintf(stderr, MSG "worker %d on %s %s\n", s->st.id, a->host, s->st.reason);
    }
}

static void reap(agent *a)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < a->n; i++)
            if (a->w[i].pid == pid)
                task_ended(a, &a->w[i], status);
}

static void check_cancels(agent *a, double now)
{
    ts_err err = { 0 };
    if (now - a->last_cancel < CANCEL_CHECK_S)
        return;
    a->last_cancel = now;
    for (size_t i = 0; i < a->n; i++) {
        slot *s = &a->w[i];
        bool cancelled = false;
        if (s->pid <= 0 || s->termed)
            continue;
        if (ts_events_is_cancelled(a->rs.dir, s->e.task, &cancelled, &err) == 0 && cancelled) {
            fprintf(stderr, MSG "task %ld was cancelled: stopping it\n", s->e.task);
            term_slot(a, s, CANCEL_GRACE_S);
        }
    }
}

static void escalate(agent *a, double now)
{
    for (size_t i = 0; i < a->n; i++) {
        slot *s = &a->w[i];
        if (s->pid > 0 && s->kill_at > 0 && now >= s->kill_at) {
            ts_pool_worker_kill_task(s->pid);
            s->kill_at = 0;
        }
    }
}

/* The walltime: warn at end - lead, TERM near the very end. */
static void check_walltime(agent *a, double now)
{
    if (now - a->end_asked >= END_REFRESH_S && !a->cut) {
        time_t e = ts_walltime_end_time_fresh();
        if (e > 0)
            a->end = e;
        a->end_asked = now;
    }
    if (a->end <= 0)
        return;
    if (!a->winding && now >= (double)a->end - lead_of(a))
        warn_tasks(a, "the walltime's warning is due");
    if (!a->cut && now >= (double)a->end - cut_before(a)) {
        a->cut = true;
        wind_down(a, "the walltime ends");
        for (size_t i = 0; i < a->n; i++)
            term_slot(a, &a->w[i], CUT_KILL_AFTER_S);
    }
}

/* ------------------------------------------------------------- setup */

static int fail_all(agent *a, const char *reason)
{
    fprintf(stderr, MSG "%s\n", reason);
    for (size_t i = 0; i < a->n; i++) {
        a->w[i].st.state = TS_WORKER_STOPPED;
        snprintf(a->w[i].st.reason, sizeof a->w[i].st.reason, "%s", reason);
    }
    if (a->ag)
        write_status(a);
    return 1;
}

static int setup(agent *a, const char *rundir)
{
    ts_err err = { 0 };
    char path[PATH_MAX];
    if (ts_layout_runspec(rundir, path, sizeof path, &err) < 0
        || ts_runspec_read(path, &a->rs, &err) < 0) {
        fprintf(stderr, MSG "%s\n", err.msg);
        return -1;
    }
    if (!a->rs.workers.present) {
        fprintf(stderr, MSG "%s: the suite has no worker_schedule: not a pool-mode suite\n",
                rundir);
        return -1;
    }
    if ((size_t)snprintf(a->pooldir, sizeof a->pooldir, "%s/pool", a->rs.dir)
        >= sizeof a->pooldir
        || (size_t)snprintf(a->manifest, sizeof a->manifest, "%s/manifest.jsonl", a->pooldir)
        >= sizeof a->manifest) {
        fprintf(stderr, MSG "%s: path too long\n", a->rs.dir);
        return -1;
    }
    const char *node = getenv("SLURMD_NODENAME");
    if (node && *node)
        snprintf(a->host, sizeof a->host, "%s", node);
    else if (gethostname(a->host, sizeof a->host - 1) < 0)
        snprintf(a->host, sizeof a->host, "localhost");
    a->jobid = getenv("SLURM_JOB_ID");
    if (!a->jobid || !*a->jobid)
        a->jobid = "0";
    if (ts_pool_init(a->pooldir, &err) < 0
        || !(a->ag = ts_pool_agent_open(a->pooldir, a->host, a->jobid, (long)getpid(),
                                        (long)time(NULL), &err))) {
        fprintf(stderr, MSG "%s\n", err.msg);
        return -1;
    }
    a->n = (size_t)a->rs.workers.worker_count;
    a->w = calloc(a->n, sizeof *a->w);
    a->buf = calloc((size_t)a->rs.workers.worker_count * 2
                    + (size_t)a->rs.workers.task_prefetch_count + 1, sizeof *a->buf);
    if (!a->w || !a->buf) {
        fprintf(stderr, MSG "out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < a->n; i++)
        a->w[i].st.id = (int)i;
    ts_gpus gpus = { 0 };
    if (ts_binding_load(&a->topo, &a->allowed, &err) < 0
        || ts_gpus_from_env(&gpus, &err) < 0
        || ts_binding_plan_make(a->topo, a->allowed, &a->rs.workers, &gpus, &a->plan, &err) < 0) {
        ts_gpus_free(&gpus);
        char reason[sizeof err.msg + 32];
        snprintf(reason, sizeof reason, "%s: no worker started", err.msg);
        fail_all(a, reason);
        return -1;
    }
    a->have_plan = true;
    for (size_t i = 0; i < a->n; i++) {
        a->w[i].cpus = ts_binding_cpulist(a->plan.w[i].cpuset);
        a->w[i].gpus = ts_binding_worker_gpus(&a->plan, i);
        if (!a->w[i].cpus || !a->w[i].gpus) {
            fail_all(a, "out of memory");
            return -1;
        }
        a->w[i].st.cpus = a->w[i].cpus;
        a->w[i].st.gpus = a->w[i].gpus;
    }
    a->end = ts_walltime_end_time_fresh();
    a->end_asked = now_s();
    return 0;
}

static void cleanup(agent *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->w[i].cpus);
        free(a->w[i].gpus);
    }
    free(a->w);
    free(a->buf);
    if (a->have_plan)
        ts_binding_plan_free(&a->plan);
    if (a->allowed)
        hwloc_bitmap_free(a->allowed);
    if (a->topo)
        hwloc_topology_destroy(a->topo);
    if (a->ag)
        ts_pool_agent_close(a->ag);
    ts_runspec_free(&a->rs);
}

/* ------------------------------------------------------------- the loop */

static void on_signal(agent *a, int sig)
{
    if (sig == SIGCHLD)
        return;                             /* reaped below */
    if (sig == a->rs.warn_signal) {
        /* Slurm checks every 30 s and sends it early at times: too early,
         * it is left to our own clock (check_walltime), as exec holds it. */
        ts_warnfilter f = { .warn_signal = a->rs.warn_signal, .lead_s = (int)lead_of(a),
                            .started = a->started };
        if (ts_warnfilter_hold_until(&f, sig, a->end, time(NULL), NULL) == 0)
            warn_tasks(a, "the warning signal came");
        else
            fprintf(stderr, MSG "the warning signal came %ld s before the walltime: "
                    "warning at %.0f s before\n", (long)(a->end - time(NULL)), lead_of(a));
    }
    else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
        wind_down(a, sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP");
        for (size_t i = 0; i < a->n; i++)
            term_slot(a, &a->w[i], CUT_KILL_AFTER_S);
    }
}

static bool all_suspended(const agent *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->w[i].st.state != TS_WORKER_SUSPENDED)
            return false;
    return a->n > 0;
}

static void loop(agent *a)
{
    ts_err err = { 0 };
    for (;;) {
        double now = now_s();
        reap(a);
        check_walltime(a, now);
        check_cancels(a, now);
        escalate(a, now);
        if (!a->winding && all_suspended(a))
            wind_down(a, "every worker is suspended");
        if (!a->winding) {
            claim_more(a, now);
            dispatch(a);
        }
        if (now - a->last_hb >= HEARTBEAT_S) {
            if (ts_pool_heartbeat(a->ag, &err) < 0)
                fprintf(stderr, MSG "%s\n", err.msg);
            a->last_hb = now;
        }
        if (now - a->last_status >= HEARTBEAT_S || (a->dirty && now - a->last_status >= 1.0))
            write_status(a);
        if (ts_pool_agent_done(busy_workers(a), (int)a->nbuf, a->empty_looks, a->winding))
            return;
        /* wait for a signal: short while claims may come, else up to 1 s */
        double wait = (a->dry || a->winding || idle_workers(a) == 0) ? 0.5 : 0.05;
        struct timespec to = { .tv_sec = 0, .tv_nsec = (long)(wait * 1e9) };
        siginfo_t si;
        int sig = sigtimedwait(&a->sigs, &si, &to);
        while (sig > 0) {
            on_signal(a, sig);
            struct timespec zero = { 0, 0 };
            sig = sigtimedwait(&a->sigs, &si, &zero);
        }
    }
}

int ts_pool_agent_main(const char *rundir)
{
    agent a;
    memset(&a, 0, sizeof a);
    /* Before anything: a warning or TERM that comes early is queued. */
    sigemptyset(&a.sigs);
    sigaddset(&a.sigs, SIGCHLD);
    sigaddset(&a.sigs, SIGTERM);
    sigaddset(&a.sigs, SIGINT);
    sigaddset(&a.sigs, SIGHUP);
    sigaddset(&a.sigs, SIGUSR1);
    sigaddset(&a.sigs, SIGUSR2);
    sigprocmask(SIG_BLOCK, &a.sigs, NULL);
    int rc = 1;
    a.started = time(NULL);
    if (setup(&a, rundir) == 0) {
        if (a.rs.warn_signal > 0 && a.rs.warn_signal != SIGKILL && a.rs.warn_signal != SIGSTOP) {
            sigaddset(&a.sigs, a.rs.warn_signal);
            sigprocmask(SIG_BLOCK, &a.sigs, NULL);
        }
        loop(&a);
        release_buffer(&a);
        for (size_t i = 0; i < a.n; i++)
            if (a.w[i].st.state != TS_WORKER_SUSPENDED) {
                a.w[i].st.state = TS_WORKER_STOPPED;
                if (!a.w[i].st.reason[0])
                    snprintf(a.w[i].st.reason, sizeof a.w[i].st.reason, "%s",
                             a.winding ? "the agent stopped" : "the queue is empty");
            }
        write_status(&a);
        rc = 0;
    }
    cleanup(&a);
    return rc;
}

/* agent.c: the pool agent's loop (agent.h, doc/pool.md "Agents").
 *
 * One process, single-threaded: it waits for signals (SIGCHLD of its task
 * processes, the warning, TERM) with sigtimedwait, so every decision is
 * made in one place and in order. Tasks run in processes of their own
 * (worker.c); the agent only claims, starts, watches and counts.
 */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agent_int.h"
#include "agentrules.h"
#include "layout.h"
#include "reaper.h"
#include "runner.h"
#include "walltime.h"
#include "warnfilter.h"

double pa_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void pa_write_status(agent *a)
{
    ts_err err = { 0 };
    ts_pool_worker_status *ws = calloc(a->n ? a->n : 1, sizeof *ws);
    if (!ws)
        return;
    for (size_t i = 0; i < a->n; i++)
        ws[i] = a->w[i].st;
    ts_pool_agent_status st = {
        .agent = ts_pool_agent_id(a->ag), .host = a->host, .jobid = a->jobid,
        .time = pa_now_s(), .w = ws, .n = a->n,
    };
    if (ts_pool_agent_status_write(a->pooldir, &st, &err) < 0)
        fprintf(stderr, MSG "%s\n", err.msg);
    free(ws);
    a->last_status = pa_now_s();
    a->dirty = false;
}

static int fail_all(agent *a, const char *reason)
{
    fprintf(stderr, MSG "%s\n", reason);
    for (size_t i = 0; i < a->n; i++) {
        a->w[i].st.state = TS_WORKER_STOPPED;
        snprintf(a->w[i].st.reason, sizeof a->w[i].st.reason, "%s", reason);
    }
    if (a->ag)
        pa_write_status(a);
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
    a->end_asked = pa_now_s();
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
    ts_manifest_index_close(&a->mix);
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

static void on_signal(agent *a, int sig)
{
    if (sig == SIGCHLD)
        return;                             /* reaped below */
    if (sig == a->rs.warn_signal) {
        /* Slurm checks every 30 s and sends it early at times: too early,
         * it is left to our own clock (pa_check_walltime), as exec holds it. */
        ts_warnfilter f = { .warn_signal = a->rs.warn_signal, .lead_s = (int)pa_lead_of(a),
                            .started = a->started };
        if (ts_warnfilter_hold_until(&f, sig, a->end, time(NULL), NULL) == 0)
            pa_warn_tasks(a, "the warning signal came");
        else
            fprintf(stderr, MSG "the warning signal came %ld s before the walltime: "
                    "warning at %.0f s before\n", (long)(a->end - time(NULL)), pa_lead_of(a));
    }
    else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
        pa_wind_down(a, sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP");
        for (size_t i = 0; i < a->n; i++)
            pa_term_slot(a, &a->w[i], CUT_KILL_AFTER_S);
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
        double now = pa_now_s();
        pa_reap(a);
        pa_check_walltime(a, now);
        pa_check_cancels(a, now);
        pa_escalate(a, now);
        if (!a->winding && all_suspended(a))
            pa_wind_down(a, "every worker is suspended");
        if (!a->winding) {
            pa_claim_more(a, now);
            pa_dispatch(a);
        }
        if (now - a->last_hb >= HEARTBEAT_S) {
            if (ts_pool_heartbeat(a->ag, &err) < 0)
                fprintf(stderr, MSG "%s\n", err.msg);
            a->last_hb = now;
        }
        if (now - a->last_status >= HEARTBEAT_S || (a->dirty && now - a->last_status >= 1.0))
            pa_write_status(a);
        if (ts_pool_agent_done(pa_busy_workers(a), (int)a->nbuf, a->empty_looks, a->winding))
            return;
        /* wait for a signal: short while claims may come, else up to 1 s */
        double wait = (a->dry || a->winding || pa_idle_workers(a) == 0) ? 0.5 : 0.05;
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
    /* What a task leaves running comes to us, to be stopped with its task
     * (worker.h), not to run on unseen into the next one. */
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    int rc = 1;
    a.started = time(NULL);
    if (setup(&a, rundir) == 0) {
        if (a.rs.warn_signal > 0 && a.rs.warn_signal != SIGKILL && a.rs.warn_signal != SIGSTOP) {
            sigaddset(&a.sigs, a.rs.warn_signal);
            sigprocmask(SIG_BLOCK, &a.sigs, NULL);
        }
        loop(&a);
        pa_release_buffer(&a);
        for (size_t i = 0; i < a.n; i++)
            if (a.w[i].st.state != TS_WORKER_SUSPENDED) {
                a.w[i].st.state = TS_WORKER_STOPPED;
                if (!a.w[i].st.reason[0])
                    snprintf(a.w[i].st.reason, sizeof a.w[i].st.reason, "%s",
                             a.winding ? "the agent stopped" : "the queue is empty");
            }
        pa_write_status(&a);
        rc = 0;
    }
    /* nothing of any task outlives the agent */
    ts_pool_strays_escalate(true);
    (void)ts_reaper_stop_all(TS_RUNNER_LEFTOVER_TERM_MS, 10000);
    cleanup(&a);
    return rc;
}

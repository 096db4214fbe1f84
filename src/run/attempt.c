/* attempt.c: one attempt of one task, end to end (attempt.h): read the
 * runspec and the task's manifest line, decide whether there is anything
 * to run, run it here or fan it out to the ranks, record its end and queue
 * what comes next. `tasksuite exec` only parses its arguments and calls
 * ts_attempt_run.
 */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attempt_int.h"
#include "fault.h"
#include "exitcodes.h"
#include "layout.h"
#include "walltime.h"
#include "warnfilter.h"

int ts_attempt_fail(const char *msg)
{
    fprintf(stderr, TS_ATTEMPT_MSG "%s\n", msg);
    return TS_EXIT_FAIL;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return dflt;
    long n = strtol(v, &end, 10);
    return *end ? dflt : n;
}

typedef struct signal_ctx {
    const ts_evctx *ev;
    time_t cut_from;        /* pool mode: a TERM from then on is the cut */
    ts_warnfilter filter;
    int term_at_limit;      /* SIGTERM came when the walltime was over */
} signal_ctx;

/* The runner's defer hook: warnfilter.h's rule against the walltime's end
 * as Slurm says it now. */
static double warning_due_at(int signo, void *arg)
{
    signal_ctx *sc = arg;
    if (signo != sc->filter.warn_signal || sc->filter.lead_s <= 0)
        return 0;
    /* `cancel --grace` (issue 16) sends it with the cancel marker set: it
     * is the cancel's warning, due now, not an early walltime warning. */
    bool cancelled = false;
    ts_err cerr = { 0 };
    if (ts_events_is_cancelled(sc->ev->suite_dir, sc->ev->task_idx, &cancelled, &cerr) == 0
        && cancelled)
        return 0;
    time_t end = ts_walltime_end_time_fresh();
    time_t now = time(NULL);
    long lead = 0;
    time_t due = ts_warnfilter_hold_until(&sc->filter, signo, end, now, &lead);
    if (due == 0)
        return 0;
    fprintf(stderr, TS_ATTEMPT_MSG "the warning signal came %ld s before the walltime; "
            "holding it until %ld s before\n", (long)(end - now), lead);
    return (double)due;
}

static void on_signal(int signo, void *arg)
{
    signal_ctx *sc = arg;
    ts_err err = { 0 };
    /* Slurm's TERM at the time limit (checked every 30 s, so at or after
     * the end), not a cancel: the attempt timed out. */
    if (signo == SIGTERM && signo != sc->filter.warn_signal && sc->cut_from > 0) {
        /* Pool mode: the agent knows the end and sends the TERM itself,
         * when CLOCK_REALTIME passes the cut. The same clock here: time()
         * reads the coarse clock, a tick behind, so a TERM sent at 221.0003
         * read 220 and was no timeout. */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (now.tv_sec >= sc->cut_from)
            sc->term_at_limit = 1;
    } else if (signo == SIGTERM && signo != sc->filter.warn_signal) {
        time_t end = ts_walltime_end_time_fresh();
        if (end > 0 && time(NULL) >= end - 1)
            sc->term_at_limit = 1;
    }
    if (signo == sc->filter.warn_signal && ts_events_signal_received(sc->ev, signo, &err) < 0)
        fprintf(stderr, TS_ATTEMPT_MSG "%s\n", err.msg);
}

/* 1 when there is nothing to run for this element (no record written). */
static int nothing_to_run(const ts_attempt_args *a, const ts_runspec *rs,
                          const ts_manifest_entry *t, int attempt)
{
    ts_err err = { 0 };
    /* Slurm runs this element again (node failure, launch failure): when
     * its attempt had already queued its successor (`resubmitted`), or
     * another job runs this attempt or a later one, running it here would
     * run the task twice. Nothing to do, and no record to write. */
    if (a->attempt <= 0 && !a->rank_mode && env_long("SLURM_RESTART_COUNT", 0) > 0) {
        bool moved = false;
        if (ts_events_chain_moved_on(rs->dir, t->task_idx, t->attempt, attempt,
                                     getenv("SLURM_JOB_ID"), &moved, &err) < 0)
            fprintf(stderr, TS_ATTEMPT_MSG "%s (running attempt %d)\n", err.msg, attempt);
        else if (moved) {
            fprintf(stderr, TS_ATTEMPT_MSG "requeued by Slurm as attempt %d, but the task "
                    "already moved on to another job: nothing to run\n", attempt);
            return 1;
        }
    }
    /* Cancelled after this element was queued (or before its wave was):
     * `tasksuite cancel --task` left a marker. Nothing to run, no record. */
    if (!a->rank_mode) {
        bool cancelled = false;
        if (ts_events_is_cancelled(rs->dir, t->task_idx, &cancelled, &err) < 0)
            fprintf(stderr, TS_ATTEMPT_MSG "%s (running attempt %d)\n", err.msg, attempt);
        else if (cancelled) {
            fprintf(stderr, TS_ATTEMPT_MSG "task \"%s\" was cancelled: nothing to run\n",
                    t->name);
            if (a->pool)
                a->pool->cancelled = 1;
            return 1;
        }
    }
    return 0;
}

/* The task's directories, output files and environment for this rank. */
static int prepare(const ts_runspec *rs, const ts_manifest_entry *t, int attempt, int rank,
                   time_t end, ts_env *env, char *out, char *errp, ts_err *err)
{
    char task_dir[PATH_MAX], path[PATH_MAX];
    if (ts_layout_task_dir(rs->dir, t->name, task_dir, sizeof task_dir, err) < 0
        || ts_layout_attempt_dir(rs->dir, t->name, attempt, path, sizeof path, err) < 0
        || ts_mkdirs(path, 0755, err) < 0
        || ts_layout_output(rs->dir, t->name, attempt, rank, rs->num_nodes, "stdout",
                            out, PATH_MAX, err) < 0
        || ts_layout_output(rs->dir, t->name, attempt, rank, rs->num_nodes, "stderr",
                            errp, PATH_MAX, err) < 0)
        return -1;
    return ts_attempt_build_env(env, rs, t, attempt, rank, task_dir, end, err);
}

/* One attempt on this node, from its first process to its records: what
 * run_here and the pool agent share (attempt.h). */
struct ts_attempt_live {
    ts_runspec rs;
    bool own_rs;                /* read here: freed here */
    ts_manifest_entry t;
    bool have_t;
    long position;
    int attempt;
    char out[PATH_MAX], errp[PATH_MAX];
    ts_env env;
    ts_evctx ev;
    signal_ctx sc;
    ts_run_req req;
    ts_attempt_pool *pool;
    int rank_mode;
};

/* The runspec and the task's manifest entry; -1 when unreadable (said). */
static int load(const ts_attempt_args *a, ts_attempt_live *l)
{
    ts_err err = { 0 };
    char path[PATH_MAX];
    if (a->runspec)
        l->rs = *a->runspec;    /* the agent's: not freed here */
    else if (ts_layout_runspec(a->dir, path, sizeof path, &err) < 0
             || ts_runspec_read(path, &l->rs, &err) < 0)
        return ts_attempt_fail(err.msg), -1;
    else
        l->own_rs = true;
    /* In pool mode num_nodes shapes the allocation; a pooled task is one
     * worker's process on one node, so its events and environment say one
     * node (with 2 the journal would wait for a rank 1 that never comes). */
    if (a->pool)
        l->rs.num_nodes = 1;
    else    /* any warning signal, not only the usual ones: exec never dies of it */
        ts_runner_block_signals(l->rs.warn_signal);
    l->pool = a->pool;
    l->rank_mode = a->rank_mode;
    l->position = a->position >= 0 ? a->position
                                   : a->offset + env_long("SLURM_ARRAY_TASK_ID", 0);
    if ((a->index ? ts_manifest_index_entry(a->index, a->manifest, l->position, &l->t, &err)
                  : ts_manifest_read(a->manifest, l->position, &l->t, &err)) < 0)
        return ts_attempt_fail(err.msg), -1;
    l->have_t = true;
    l->attempt = a->attempt > 0 ? a->attempt
                                : l->t.attempt + (int)env_long("SLURM_RESTART_COUNT", 0);
    return 0;
}

static void unload(ts_attempt_live *l)
{
    if (l->have_t)
        ts_manifest_entry_free(&l->t);
    if (l->own_rs)
        ts_runspec_free(&l->rs);
    ts_env_free(&l->env);
}

/* This node's rank of the task (the only one for a one-node task): its
 * files, environment and `started` record; -1 when it cannot run (said). */
static int start(const ts_attempt_args *a, ts_attempt_live *l)
{
    ts_err err = { 0 };
    const ts_runspec *rs = &l->rs;
    int rank = a->rank_mode ? (int)env_long("SLURM_NODEID", 0) : 0;
    time_t end_time = a->pool ? a->pool->end : -1;
    if (prepare(rs, &l->t, l->attempt, rank, end_time, &l->env, l->out, l->errp, &err) < 0)
        return ts_attempt_fail(err.msg), -1;
    l->ev = (ts_evctx){
        .suite_dir = rs->dir, .suite_id = rs->id, .task_idx = l->t.task_idx,
        .attempt = l->attempt, .jobid = getenv("SLURM_JOB_ID"),
        .node = getenv("SLURMD_NODENAME"), .node_rank = rank,
        .num_nodes = rs->num_nodes, .lazy = a->pool != NULL,
    };
    l->sc = (signal_ctx){ .ev = &l->ev, .cut_from = a->pool ? a->pool->cut_from : 0,
                          .filter = { .warn_signal = rs->warn_signal,
                                      .lead_s = rs->warn_lead_s, .started = a->started } };
    l->req = (ts_run_req){
        .setup = l->t.setup, .run = l->t.run, .envp = l->env.v, .cwd = rs->workdir,
        .stdout_path = l->out, .stderr_path = l->errp, .warn_signal = rs->warn_signal,
        .on_signal = on_signal, .arg = &l->sc,
        /* the pool agent sends the warning when it is due: never held */
        .defer = a->pool ? NULL : warning_due_at,
    };
    /* the first attempt's job runs out its time limit and starts nothing */
    if (l->attempt == 1 && !a->pool)
        ts_fault_hang("exec-hang-before-start");
    if (ts_events_started(&l->ev, &err) < 0)
        return ts_attempt_fail(err.msg), -1;
    return 0;
}

/* After the task's last process: its outcome, the successor, `exited`. */
static int finish(ts_attempt_live *l, const ts_run_result *res)
{
    ts_err err = { 0 };
    const ts_runspec *rs = &l->rs;
    int attempt = l->attempt;
    if (res->leftovers > 0)
        fprintf(stderr, TS_ATTEMPT_MSG "the task left %d process%s running when it ended: "
                "stopped\n", res->leftovers, res->leftovers == 1 ? "" : "es");
    /* Killed by the warning, or by Slurm's TERM at the walltime: a timeout,
     * retried from here at once rather than by the safety net later. */
    ts_task_ending end = ts_attempt_ending(res, rs->warn_signal, l->sc.term_at_limit != 0);
    enum ts_task_outcome outcome = ts_task_outcome_of(&end);
    int timed_out = outcome == TS_OUTCOME_CUT_AT_LIMIT;
    if (timed_out && ts_events_graceful_timeout(&l->ev, &err) < 0)
        fprintf(stderr, TS_ATTEMPT_MSG "%s\n", err.msg);
    int rc = ts_task_exit_status(&end);
    if (timed_out)
        fprintf(stderr, TS_ATTEMPT_MSG "the task ended on %s: a timeout (attempt %d)\n",
                l->sc.term_at_limit ? "SIGTERM at the walltime" : "the warning signal",
                attempt);
    /* The successor first: whoever reads this attempt's end reads it too. */
    if (l->pool) {
        l->pool->ran = 1;
        l->pool->outcome = (int)outcome;
        l->pool->requeued =
            ts_attempt_pool_requeue(rs, &l->t, &l->ev, attempt, outcome, l->pool) == 0;
    } else if (!l->rank_mode)
        ts_attempt_maybe_requeue(rs, &l->t, &l->ev, attempt, outcome);
    if (ts_events_exited(&l->ev, res->term_signal ? -1 : res->exit_code, res->term_signal,
                         &err) < 0)
        fprintf(stderr, TS_ATTEMPT_MSG "%s\n", err.msg);
    return rc;
}

int ts_attempt_run(const ts_attempt_args *a)
{
    ts_attempt_live l;
    ts_err err = { 0 };
    int rc;

    memset(&l, 0, sizeof l);
    if (load(a, &l) < 0) {
        unload(&l);
        return TS_EXIT_FAIL;
    }
    if (nothing_to_run(a, &l.rs, &l.t, l.attempt))
        rc = 0;
    else if (l.rs.num_nodes > 1 && !a->rank_mode && !a->pool)
        rc = ts_attempt_run_ranks(a, &l.rs, &l.t, l.position, l.attempt);
    else if (start(a, &l) < 0)
        rc = TS_EXIT_FAIL;
    else {
        ts_run_result res;
        if (ts_run_task(&l.req, &res, &err) < 0)
            rc = ts_attempt_fail(err.msg);
        else
            rc = finish(&l, &res);
    }
    unload(&l);
    return rc;
}

ts_attempt_live *ts_attempt_begin(const ts_attempt_args *a, int *rc)
{
    ts_attempt_live *l = calloc(1, sizeof *l);
    *rc = TS_EXIT_FAIL;
    if (!l) {
        ts_attempt_fail("out of memory");
        return NULL;
    }
    if (load(a, l) == 0) {
        if (nothing_to_run(a, &l->rs, &l->t, l->attempt))
            *rc = 0;
        else if (start(a, l) == 0)
            return l;
    }
    unload(l);
    free(l);
    return NULL;
}

ts_run_req *ts_attempt_req(ts_attempt_live *l)
{
    return &l->req;
}

int ts_attempt_end(ts_attempt_live *l, const ts_run_result *res)
{
    int rc = finish(l, res);
    unload(l);
    free(l);
    return rc;
}

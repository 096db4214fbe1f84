/* exec.c: `tasksuite exec`, the entrypoint of every array element.
 *
 *   tasksuite exec --dir SUITEDIR --manifest FILE [--offset K]
 *
 * Not for typing: the batch scripts `submit` writes call it. It finds its
 * task on line K + SLURM_ARRAY_TASK_ID of the manifest, prepares the task
 * directory (kept across attempts), exports the SPEC.md section 4
 * environment, runs setup then run in their own process group and records
 * started/exited events. A task spanning several nodes is re-launched with
 * srun, one rank per node (--rank), each rank writing its own events and
 * output. Exit status: the task's, or 128+N when a signal ended it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "events.h"
#include "exitcodes.h"
#include "layout.h"
#include "manifest.h"
#include "outcome.h"
#include "runner.h"
#include "slurm.h"
#include "submission.h"
#include "taskenv.h"
#include "walltime.h"

extern char **environ;

typedef struct exec_args {
    const char *dir;
    const char *manifest;
    long offset;
    long position;      /* -1: from SLURM_ARRAY_TASK_ID */
    int attempt;        /* 0: from the manifest + SLURM_RESTART_COUNT */
    int rank_mode;
} exec_args;

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return dflt;
    long n = strtol(v, &end, 10);
    return *end ? dflt : n;
}

static int die(const char *msg)
{
    fprintf(stderr, "tasksuite exec: %s\n", msg);
    return TS_EXIT_FAIL;
}

static int parse_args(int argc, char **argv, exec_args *a)
{
    static const struct option longopts[] = {
        { "dir", required_argument, NULL, 'd' },
        { "manifest", required_argument, NULL, 'm' },
        { "offset", required_argument, NULL, 'o' },
        { "position", required_argument, NULL, 'p' },
        { "attempt", required_argument, NULL, 'a' },
        { "rank", no_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    memset(a, 0, sizeof *a);
    a->position = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': a->dir = optarg; break;
        case 'm': a->manifest = optarg; break;
        case 'o': a->offset = strtol(optarg, NULL, 10); break;
        case 'p': a->position = strtol(optarg, NULL, 10); break;
        case 'a': a->attempt = (int)strtol(optarg, NULL, 10); break;
        case 'r': a->rank_mode = 1; break;
        default: return -1;
        }
    }
    return (a->dir && a->manifest && optind == argc) ? 0 : -1;
}

/* Everything SPEC.md section 4 promises, on top of the job's environment. */
static int build_env(ts_env *env, const ts_runspec *rs, const ts_manifest_entry *t,
                     int attempt, int rank, const char *task_dir, ts_err *err)
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
    ts_env_setf(env, "NODE_RANK", "%d", rank);
    ts_env_setf(env, "NUM_NODES", "%d", rs->num_nodes);
    time_t end = ts_walltime_end_time_fresh();
    if (end > 0)
        ts_env_setf(env, "TASK_SUITE_END_TIME", "%lld", (long long)end);
    else
        ts_env_unset(env, "TASK_SUITE_END_TIME");
    return 0;
}

typedef struct signal_ctx {
    const ts_evctx *ev;
    int warn;
    int lead;
    int term_at_limit;      /* SIGTERM came when the walltime was over */
    time_t started;         /* when exec started: about the job's start */
} signal_ctx;

/* When the warning is meant for the task: `lead` seconds before the end of
 * this attempt's walltime, and never in its first half (the suite file
 * clamps the lead against slurm.time; a partition's default walltime is
 * only known here). Slurm sends it early at times: it checks limits every
 * 30 s, and re-sends it at once to a requeued job (its time limit is
 * checked against the previous run's end). Such a warning is held back
 * until its time; with no known end it goes through at once. */
static double warning_due_at(int signo, void *arg)
{
    signal_ctx *sc = arg;
    if (signo != sc->warn || sc->lead <= 0)
        return 0;
    time_t end = ts_walltime_end_time_fresh();
    time_t now = time(NULL);
    if (end <= 0 || end <= now)
        return 0;
    long wall = (long)(end - sc->started);
    long lead = sc->lead;
    if (wall > 0 && lead > wall / 2)
        lead = wall / 2;
    if ((long)(end - now) <= lead + 1)
        return 0;
    fprintf(stderr, "tasksuite exec: the warning signal came %ld s before the walltime; "
            "holding it until %ld s before\n", (long)(end - now), lead);
    return (double)(end - lead);
}

static void on_signal(int signo, void *arg)
{
    signal_ctx *sc = arg;
    ts_err err = { 0 };
    /* Slurm's TERM at the time limit (checked every 30 s, so at or after
     * the end), not a cancel: the attempt timed out. */
    if (signo == SIGTERM && signo != sc->warn) {
        time_t end = ts_walltime_end_time_fresh();
        if (end > 0 && time(NULL) >= end - 1)
            sc->term_at_limit = 1;
    }
    if (signo == sc->warn && ts_events_signal_received(sc->ev, signo, &err) < 0)
        fprintf(stderr, "tasksuite exec: %s\n", err.msg);
}

/* The attempt's end, for outcome.h. `warn_signal` and `term_at_limit` only
 * where this process forwarded the warning and saw Slurm's TERM. */
static ts_task_ending ending_of(const ts_run_result *r, int warn_signal, bool term_at_limit)
{
    ts_task_ending e = {
        .exit_code = r->exit_code, .term_signal = r->term_signal,
        .warn_signal = warn_signal, .warned = r->warned != 0,
        .term_at_limit = term_at_limit,
    };
    return e;
}

/* The in-job path of a resume, fast: the next attempt is queued from here
 * as a fresh one-element array, eligible at once (a requeued element waits
 * for Slurm's cred_expire, 121 s at Slurm's default), recorded in this
 * attempt's event file before its `exited` record, so no sync, reconcile
 * job or `retry` queues it a second time; its recovery key (the job's
 * comment) lets a sync find it if we die between the two. 0 when queued. */
static int queue_next(const ts_runspec *rs, const ts_manifest_entry *t, const ts_evctx *ev,
                      int attempt)
{
    const char *hooks = getenv("SLURM_SPANK_TASK_SUITE_SPEC");
    char man[PATH_MAX], self[PATH_MAX], cwd[PATH_MAX];
    ts_err err = { 0 };
    uint32_t job = 0;

    if (!rs->has_sbatch || !hooks || !*hooks)
        return -1;      /* a runspec from before: requeue */
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || (!rs->workdir && !getcwd(cwd, sizeof cwd)))
        return -1;
    self[n] = '\0';
    ts_manifest_entry next = *t;
    next.attempt = attempt + 1;
    if (snprintf(man, sizeof man, "%s/manifests/t%ld-a%d.jsonl", rs->dir, t->task_idx,
                 attempt + 1) >= (int)sizeof man
        || ts_manifest_write(man, &next, 1, &err) < 0) {
        fprintf(stderr, "tasksuite exec: %s\n", err.msg[0] ? err.msg : "manifest path too long");
        return -1;
    }
    ts_next_req req = {
        .suite_id = rs->id, .suite_dir = rs->dir, .self = self,
        .workdir = rs->workdir ? rs->workdir : cwd,
        .spec_file = rs->file ? rs->file : rs->name, .hooks = hooks, .manifest = man,
        .options = &rs->sbatch, .task_idx = t->task_idx, .attempt = attempt + 1,
    };
    if (ts_submission_submit_next(&req, &job, &err) < 0) {
        fprintf(stderr, "tasksuite exec: cannot queue attempt %d: %s\n", attempt + 1, err.msg);
        return -1;
    }
    if (ts_events_resubmitted(ev, job, &err) < 0)
        fprintf(stderr, "tasksuite exec: %s (a sync finds job %u by its comment)\n",
                err.msg, job);
    fprintf(stderr, "tasksuite exec: attempt %d timed out; attempt %d queued as job %u\n",
            attempt, attempt + 1, job);
    return 0;
}

/* A task that gave up gracefully (exit 75, EX_TEMPFAIL, typically after the
 * warning signal and a checkpoint) or died of the warning gets its next
 * attempt from inside this job: queue_next, else (a runspec from before, or
 * the submission refused) by requeueing this very element (the same job id
 * and array index run again with SLURM_RESTART_COUNT + 1, the next attempt
 * number, once Slurm's cred_expire has passed). A task killed at the
 * walltime without a warning is caught by the safety-net reconcile job. */
static void maybe_requeue(const ts_runspec *rs, const ts_manifest_entry *t,
                          const ts_evctx *ev, int attempt, enum ts_task_outcome outcome)
{
    const char *job = getenv("SLURM_JOB_ID");
    ts_err err = { 0 };
    if (!ts_task_outcome_is_timeout(outcome) || !job || !(rs->retry_on & TS_RETRY_TIMEOUT)
        || attempt >= 1 + rs->max_retries)
        return;
    if (queue_next(rs, t, ev, attempt) == 0)
        return;
    if (ts_slurm_requeue((uint32_t)strtoul(job, NULL, 10), &err) < 0)
        fprintf(stderr, "tasksuite exec: %s (the reconcile job will resubmit the task)\n",
                err.msg);
    else
        fprintf(stderr, "tasksuite exec: attempt %d timed out gracefully; requeued for attempt %d\n",
                attempt, attempt + 1);
}

/* Leader of a multi-node task: one rank per node through srun. */
static int run_ranks(const exec_args *a, const ts_runspec *rs, const ts_manifest_entry *t,
                     long position, int attempt)
{
    char self[PATH_MAX], nodes[16], pos[32], att[16], off[32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ts_run_result res;
    ts_err err = { 0 };

    if (n < 0)
        return die("cannot find my own executable");
    self[n] = '\0';
    snprintf(nodes, sizeof nodes, "%d", rs->num_nodes);
    snprintf(pos, sizeof pos, "%ld", position);
    snprintf(att, sizeof att, "%d", attempt);
    snprintf(off, sizeof off, "%ld", a->offset);
    char *argv[] = { "srun", "--ntasks-per-node=1", "-N", nodes, "-n", nodes,
                     "--kill-on-bad-exit=0", "--export=ALL", self, "exec",
                     "--dir", (char *)a->dir, "--manifest", (char *)a->manifest,
                     "--offset", off, "--position", pos, "--attempt", att,
                     "--rank", NULL };
    ts_run_req req = { .argv = argv, .envp = environ, .run = "",
                       .warn_signal = rs->warn_signal };
    if (ts_run_task(&req, &res, &err) < 0)
        return die(err.msg);
    /* The ranks wrote their own records; the successor's goes with rank 0's. */
    ts_evctx ev = {
        .suite_dir = rs->dir, .suite_id = rs->id, .task_idx = t->task_idx,
        .attempt = attempt, .jobid = getenv("SLURM_JOB_ID"),
        .node = getenv("SLURMD_NODENAME"), .node_rank = 0, .num_nodes = rs->num_nodes,
    };
    ts_task_ending end = ending_of(&res, 0, false);
    maybe_requeue(rs, t, &ev, attempt, ts_task_outcome_of(&end));
    return ts_task_exit_status(&end);
}

int cmd_exec(int argc, char **argv)
{
    exec_args a;
    ts_runspec rs;
    ts_manifest_entry t;
    ts_err err = { 0 };
    char path[PATH_MAX], task_dir[PATH_MAX], out[PATH_MAX], errp[PATH_MAX];
    int rc;

    /* First thing: a warning that arrives now must be queued, not fatal. */
    ts_runner_block_signals(0);
    time_t started = time(NULL);
    if (parse_args(argc, argv, &a) < 0) {
        fprintf(stderr, "usage: tasksuite exec --dir SUITEDIR --manifest FILE [--offset K]\n");
        return TS_EXIT_USAGE;
    }
    if (ts_layout_runspec(a.dir, path, sizeof path, &err) < 0
        || ts_runspec_read(path, &rs, &err) < 0)
        return die(err.msg);
    /* Any warning signal, not only the usual ones: exec never dies of it. */
    ts_runner_block_signals(rs.warn_signal);
    long position = a.position >= 0 ? a.position
                                     : a.offset + env_long("SLURM_ARRAY_TASK_ID", 0);
    if (ts_manifest_read(a.manifest, position, &t, &err) < 0) {
        ts_runspec_free(&rs);
        return die(err.msg);
    }
    int attempt = a.attempt > 0 ? a.attempt
                                : t.attempt + (int)env_long("SLURM_RESTART_COUNT", 0);
    /* Slurm runs this element again (node failure, launch failure): when
     * its attempt had already queued its successor (`resubmitted`), or
     * another job runs this attempt or a later one, running it here would
     * run the task twice. Nothing to do, and no record to write. */
    if (a.attempt <= 0 && !a.rank_mode && env_long("SLURM_RESTART_COUNT", 0) > 0) {
        bool moved = false;
        if (ts_events_chain_moved_on(rs.dir, t.task_idx, t.attempt, attempt,
                                     getenv("SLURM_JOB_ID"), &moved, &err) < 0)
            fprintf(stderr, "tasksuite exec: %s (running attempt %d)\n", err.msg, attempt);
        else if (moved) {
            fprintf(stderr, "tasksuite exec: requeued by Slurm as attempt %d, but the task "
                    "already moved on to another job: nothing to run\n", attempt);
            rc = 0;
            goto out;
        }
    }
    /* Cancelled after this element was queued (or before its wave was):
     * `tasksuite cancel --task` left a marker. Nothing to run, no record. */
    if (!a.rank_mode) {
        bool cancelled = false;
        if (ts_events_is_cancelled(rs.dir, t.task_idx, &cancelled, &err) < 0)
            fprintf(stderr, "tasksuite exec: %s (running attempt %d)\n", err.msg, attempt);
        else if (cancelled) {
            fprintf(stderr, "tasksuite exec: task \"%s\" was cancelled: nothing to run\n",
                    t.name);
            rc = 0;
            goto out;
        }
    }
    if (rs.num_nodes > 1 && !a.rank_mode) {
        rc = run_ranks(&a, &rs, &t, position, attempt);
        goto out;
    }
    int rank = a.rank_mode ? (int)env_long("SLURM_NODEID", 0) : 0;
    ts_env env = { 0 };
    if (ts_layout_task_dir(rs.dir, t.name, task_dir, sizeof task_dir, &err) < 0
        || ts_layout_attempt_dir(rs.dir, t.name, attempt, path, sizeof path, &err) < 0
        || ts_mkdirs(path, 0755, &err) < 0
        || ts_layout_output(rs.dir, t.name, attempt, rank, rs.num_nodes, "stdout",
                            out, sizeof out, &err) < 0
        || ts_layout_output(rs.dir, t.name, attempt, rank, rs.num_nodes, "stderr",
                            errp, sizeof errp, &err) < 0
        || build_env(&env, &rs, &t, attempt, rank, task_dir, &err) < 0) {
        ts_env_free(&env);
        rc = die(err.msg);
        goto out;
    }
    ts_evctx ev = {
        .suite_dir = rs.dir, .suite_id = rs.id, .task_idx = t.task_idx,
        .attempt = attempt, .jobid = getenv("SLURM_JOB_ID"),
        .node = getenv("SLURMD_NODENAME"), .node_rank = rank,
        .num_nodes = rs.num_nodes,
    };
    signal_ctx sc = { .ev = &ev, .warn = rs.warn_signal, .lead = rs.warn_lead_s,
                      .started = started };
    ts_run_req req = {
        .setup = t.setup, .run = t.run, .envp = env.v, .cwd = rs.workdir,
        .stdout_path = out, .stderr_path = errp, .warn_signal = rs.warn_signal,
        .on_signal = on_signal, .defer = warning_due_at, .arg = &sc,
    };
    ts_run_result res;
    if (ts_events_started(&ev, &err) < 0 || ts_run_task(&req, &res, &err) < 0) {
        ts_env_free(&env);
        rc = die(err.msg);
        goto out;
    }
    if (res.leftovers > 0)
        fprintf(stderr, "tasksuite exec: the task left %d process%s running when it ended: "
                "stopped\n", res.leftovers, res.leftovers == 1 ? "" : "es");
    /* Killed by the warning, or by Slurm's TERM at the walltime: a timeout,
     * retried from here at once rather than by the safety net later. */
    ts_task_ending end = ending_of(&res, rs.warn_signal, sc.term_at_limit != 0);
    enum ts_task_outcome outcome = ts_task_outcome_of(&end);
    int timed_out = outcome == TS_OUTCOME_CUT_AT_LIMIT;
    if (timed_out && ts_events_graceful_timeout(&ev, &err) < 0)
        fprintf(stderr, "tasksuite exec: %s\n", err.msg);
    rc = ts_task_exit_status(&end);
    if (timed_out)
        fprintf(stderr, "tasksuite exec: the task ended on %s: a timeout (attempt %d)\n",
                sc.term_at_limit ? "SIGTERM at the walltime" : "the warning signal", attempt);
    /* The successor first: whoever reads this attempt's end reads it too. */
    if (!a.rank_mode)
        maybe_requeue(&rs, &t, &ev, attempt, outcome);
    if (ts_events_exited(&ev, res.term_signal ? -1 : res.exit_code, res.term_signal,
                         &err) < 0)
        fprintf(stderr, "tasksuite exec: %s\n", err.msg);
    ts_env_free(&env);
out:
    ts_manifest_entry_free(&t);
    ts_runspec_free(&rs);
    return rc;
}

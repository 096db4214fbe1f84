/* submit.c: `tasksuite submit FILE [--detach] [--local] [--dry-run]
 *                                  [--throttle N] [--new]
 *                                  [--env K[=V]]... [--env-file F]...`
 *
 * Validates, writes the suite + tasks + a submission intent to the journal
 * in one transaction, writes the run directory (runspec, manifest), submits
 * the arrays through libslurm and prints the 8-character suite ID. Submit is
 * idempotent: while a suite made from the same file (same path and content)
 * is still active, submitting it again attaches to that suite and finishes
 * whatever an interrupted run left undone, instead of queueing it twice
 * (--new forces a fresh suite). Without --detach it follows progress until
 * no task is pending or running; Ctrl-C detaches, never cancels.
 * --local: the suite's local runner runs it in the background
 * (local_follow.c, src/suite/localrun.h, doc/local.md); submit follows it
 * unless --detach, exit 6 (TS_EXIT_TASKS) when a task did not complete.
 * --env/--env-file give values to envs: and secrets: (SkyPilot's
 * `sky launch --env`); a value written as null must come from them or from
 * the caller's environment (src/core/spec_launchenv.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "ctrlc.h"
#include "exitcodes.h"
#include "local_follow.h"
#include "localrun.h"
#include "poolsubmit.h"
#include "progress.h"
#include "report.h"
#include "rerun.h"
#include "submit_plan.h"
#include "sync.h"

typedef struct submit_opts {
    int detach, local, dry_run, fresh;
    uint32_t throttle;
    const char *file;
    ts_kvlist env;        /* --env K=V and --env-file F, in order: later wins */
} submit_opts;

#define USAGE "usage: tasksuite submit FILE [--detach] [--local] [--dry-run] [--throttle N] [--new]" \
              " [--env K[=V]]... [--env-file F]..."


/* 0: parsed, 1: --help, -1: bad usage, -2: a bad --env/--env-file (said) */
static int parse(int argc, char **argv, submit_opts *o)
{
    static const struct option longopts[] = {
        { "detach", no_argument, NULL, 'd' },
        { "local", no_argument, NULL, 'l' },
        { "dry-run", no_argument, NULL, 'n' },
        { "throttle", required_argument, NULL, 't' },
        { "new", no_argument, NULL, 'N' },
        { "env", required_argument, NULL, 'e' },
        { "env-file", required_argument, NULL, 'E' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    char *end;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->detach = 1; break;
        case 'l': o->local = 1; break;
        case 'n': o->dry_run = 1; break;
        case 'N': o->fresh = 1; break;
        case 'e':
        case 'E': {
            extern char **environ;
            ts_err err = { 0 };
            if ((c == 'e' ? ts_spec_parse_env_arg(optarg, environ, &o->env, &err)
                          : ts_spec_read_env_file(optarg, &o->env, &err)) < 0) {
                ts_cli_say("submit", "%s", err.msg);
                return -2;
            }
            break;
        }
        case 't': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v == 0 || v > 1000000) {
                ts_cli_say("submit", "--throttle: \"%s\" is not a positive count", optarg);
                return -1;
            }
            o->throttle = (uint32_t)v;
            break;
        }
        case 'h':
            return 1;
        default:
            return -1;
        }
    }
    if (optind != argc - 1)
        return -1;
    o->file = argv[optind];
    return 0;
}

/* Follow until nothing is pending or running; Ctrl-C detaches. */
static int follow(ts_journal *j, const char *id)
{
    ts_sync_opts so = { .run_on_complete = true };
    ts_counts c = { 0 };
    ts_err err = { 0 };
    long last_done = -1;
    int tty = isatty(STDERR_FILENO);
    ts_ctrlc_catch();

    while (!ts_ctrlc()) {
        if (ts_sync(j, id, &so, NULL, &err) < 0 || ts_journal_counts(j, id, &c, &err) < 0)
            return ts_report_fail("submit", &err);
        ts_progress_follow(stderr, &c, &last_done, tty);
        if (c.n[TS_TASK_PENDING] + c.n[TS_TASK_RUNNING] == 0)
            break;
        ts_nap_ms(2000);
    }
    if (tty)
        fputc('\n', stderr);
    if (!ts_ctrlc())
        ts_report_failed_names(stderr, j, id, 5, &err);   /* which tasks failed */
    if (ts_ctrlc()) {
        fprintf(stderr, "detached; suite %s keeps running (tasksuite status %s)\n", id, id);
        return TS_EXIT_OK;
    }
    return c.n[TS_TASK_COMPLETED] == c.total ? TS_EXIT_OK : TS_EXIT_TASKS;
}

/* The file is already a suite whose submission is carried out: follow it,
 * retry what did not complete, or say it is done (src/suite/rerun.h).
 * 1: nothing to run, 0: go on (follow), -1: err. */
static int rerun(ts_submit_plan *p, const submit_opts *o, ts_err *err)
{
    ts_rerun r;
    if (ts_submit_rerun(p->j, p->id, o->local, &r, err) < 0)
        return -1;
    switch (r.kind) {
    case TS_RERUN_ACTIVE:
        ts_cli_say("submit", "%s is already suite %s, still running%s (--new for another suite)",
                   o->file, p->id, o->detach && !o->local ? "" : ": following it");
        return 0;
    case TS_RERUN_DONE:
        ts_cli_say("submit", "%s is already suite %s, complete: all %ld task%s done, nothing "
                   "to run (--new runs it again)", o->file, p->id, r.total,
                   r.total == 1 ? "" : "s");
        return 1;
    case TS_RERUN_RETRY:
        ts_cli_say("submit", "%s is already suite %s: retrying its %ld task%s that did not "
                   "complete, in the same suite (--new for a fresh suite)", o->file, p->id,
                   r.not_completed, r.not_completed == 1 ? "" : "s");
        return ts_submit_rerun_retry(p->j, p->id, &r, err) < 0 ? -1 : 0;
    }
    return 0;
}

int cmd_submit(int argc, char **argv)
{
    submit_opts o;
    ts_err err = { 0 };
    int rc = TS_EXIT_FAIL;

    int parsed = parse(argc, argv, &o);
    if (parsed == -2) {
        ts_kvlist_free(&o.env);
        return TS_EXIT_USAGE;
    }
    if (parsed != 0) {
        ts_kvlist_free(&o.env);
        return ts_cli_usage(USAGE, parsed > 0);
    }
    ts_submit_plan p = { .arg_file = o.file, .local = o.local, .dry_run = o.dry_run,
                         .fresh = o.fresh, .throttle = o.throttle, .launch_env = &o.env };
    /* Validation: nothing is written anywhere before all of it passed. */
    if (ts_submit_validate(&p, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    /* --local runs every task on this machine: a multi-node task cannot
     * run as asked (before anything is written). */
    if (o.local && ts_local_fits(p.s, o.file, &err) < 0) {
        ts_cli_say("submit", "%s", err.msg);
        goto out;
    }
    for (size_t i = 0; i < p.s->warnings.n; i++)
        fprintf(stderr, "warning: %s\n", p.s->warnings.v[i]);
    if (p.notice[0])
        ts_cli_say("submit", "%s", p.notice);
    if (ts_submit_prepare(&p, &err) < 0)
        goto fail;
    if (o.dry_run) {
        p.ctx.suite_id = "(new)";
        if ((ts_pool_mode(p.s, o.local)
                 ? ts_pool_describe(&p.ctx, (long)p.tl.n, stdout, &err)
                 : ts_submission_describe(&p.ctx, (long)p.tl.n, stdout, &err)) < 0)
            goto fail;
        rc = TS_EXIT_OK;
        goto out;
    }
    if (ts_submit_open(&p, &err) < 0)
        goto fail;
    if (p.attached && p.sub_id)
        ts_cli_say("submit", "%s is already suite %s; finishing its interrupted submission",
                   o.file, p.id);
    else if (p.attached) {
        int done = rerun(&p, &o, &err);
        if (done < 0)
            goto fail;
        if (done) {
            ts_submit_unlock(&p);
            printf("%s\n", p.id);
            rc = TS_EXIT_OK;
            goto out;
        }
    }
    if (ts_submit_queue(&p, &err) < 0) {
        rc = ts_report_fail("submit", &err);
        if (p.partly_submitted)
            ts_cli_say("submit", "suite %s is partly submitted; run the same command again to finish it", p.id);
        goto out;
    }
    long waiting = ts_submit_waiting(&p);
    if (waiting > 0)
        ts_cli_say("submit", "%ld of %zu tasks wait for room in Slurm "
                "(MaxJobCount %u, or your job limits): they are queued in waves as "
                "earlier ones end", waiting, p.tl.n, p.max_jobs);
    ts_submit_unlock(&p);
    printf("%s\n", p.id);
    fflush(stdout);
    if (o.local) {   /* the suite's local runner runs it, detached (doc/local.md) */
        rc = ts_local_launch(p.j, p.id, p.dir, p.self);
        if (rc == TS_EXIT_OK && !o.detach)
            rc = ts_local_follow(p.j, p.id, p.dir, p.self);
        goto out;
    }
    rc = o.detach ? TS_EXIT_OK : follow(p.j, p.id);
    goto out;
fail:
    rc = ts_report_fail("submit", &err);
out:
    ts_submit_plan_free(&p);
    ts_kvlist_free(&o.env);
    return rc;
}

/* cancel.c: `tasksuite cancel ID [--task NAME] [--keep-running]`.
 *
 * Cancelling a suite is terminal: its Slurm arrays (and reconcile jobs) are
 * cancelled, then the suite and its pending and running tasks become
 * cancelled in the journal; nothing is submitted or retried for it again.
 * --task NAME cancels only that task's array element(s) and marks the task
 * cancelled. --keep-running leaves running elements alone and cancels only
 * pending ones (the journal is marked all the same). Prints one line per
 * thing cancelled, then a summary; a suite already cancelled is said so,
 * exit 0. See src/suite/cancel.h.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cancel.h"
#include "graceful.h"   /* --grace, issue 16 */
#include "commands.h"
#include "exitcodes.h"
#include "journal.h"
#include "poolsubmit.h"
#include "record.h"
#include "report.h"
#include "sync.h"
#include "units.h"

#define CANCEL_USAGE "usage: tasksuite cancel ID [--task NAME] [--keep-running] [--grace DURATION]"

static const char *plural(long n)
{
    return n == 1 ? "" : "s";
}

/* 0: parsed, 1: --help (printed), -1: bad usage (printed) */
static int parse(int argc, char **argv, const char **task, ts_cancel_opts *o, long *grace)
{
    static const struct option longopts[] = {
        { "task", required_argument, NULL, 't' },
        { "keep-running", no_argument, NULL, 'k' },
        { "grace", required_argument, NULL, 'g' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:g:kh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (*task) {
                ts_cli_say("cancel", "--task given twice");
                return -1;
            }
            *task = optarg;
            break;
        case 'k': o->keep_running = true; break;
        case 'g':   /* issue 16 */
            if (ts_parse_duration(optarg, grace) < 0 || *grace < 0) {
                ts_cli_say("cancel", "--grace: \"%s\" is not a duration (e.g. 60s, 2m)", optarg);
                return -1;
            }
            break;
        case 'h':
            ts_cli_usage(CANCEL_USAGE, 1);
            return 1;
        default:
            ts_report_usage_error("cancel", c, argv, CANCEL_USAGE);
            return -1;
        }
    }
    if (o->keep_running && *grace >= 0) {
        ts_cli_say("cancel", "--grace and --keep-running: give one (%s)", CANCEL_USAGE);
        return -1;
    }
    if (argc - optind != 1) {
        ts_cli_say("cancel", "%s (%s)",
                   argc - optind < 1 ? "no suite ID given" : "too many arguments", CANCEL_USAGE);
        return -1;
    }
    return 0;
}

static void print_task(ts_journal *j, const char *task, const ts_suite_info *si,
                       const ts_cancel_result *r)
{
    const char *id = si->id;
    char dir[PATH_MAX];
    ts_err e = { .code = 0 };
    /* A --local task never had a Slurm job: its runner stops it; nor has a
     * pooled one: its agent sees the cancel mark (doc/pool.md). */
    bool local = ts_submit_record_is_local(si->submit_record);
    bool pool = !local && ts_sync_suite_dir(j, si, dir, sizeof dir, &e) == 0
                && ts_pool_dir_exists(dir);
    if (r->not_cancellable)
        printf("task \"%s\" of suite %s has already completed: nothing to cancel\n", task, id);
    else if (r->already)
        printf("task \"%s\" of suite %s was already cancelled\n", task, id);
    else
        printf("task \"%s\" of suite %s cancelled%s\n", task, id,
               local ? " (the local runner stops it, or never starts it)"
               : pool ? " (its pool agent stops it, or never starts it)"
               : r->pending + r->running + r->left_running
                   ? "" : " (it had no pending or running Slurm job)");
    if (r->left_running)
        printf("its running Slurm job was left running (--keep-running)\n");
}

static void print_suite(const ts_suite_info *si, const ts_cancel_result *r)
{
    if (r->already) {
        printf("suite %s (%s) was already cancelled\n", si->id, si->name);
    } else {
        printf("suite %s (%s) cancelled: %ld task%s cancelled", si->id, si->name, r->tasks,
               plural(r->tasks));
        if (r->pending + r->running)
            printf(", %ld pending and %ld running Slurm element%s stopped", r->pending,
                   r->running, plural(r->pending + r->running));
        printf("\n");
    }
    if (r->left_running)
        printf("%ld running Slurm element%s left running (--keep-running); "
               "nothing will be submitted or retried\n", r->left_running,
               plural(r->left_running));
}

int cmd_cancel(int argc, char **argv)
{
    const char *task = NULL;
    ts_cancel_opts o = { .out = stdout, .warn = NULL };
    ts_cancel_result r;
    ts_suite_info si = { .name = NULL };
    ts_journal *j = NULL;
    ts_err err = { .code = 0 };
    long grace = -1;   /* -1: the suite's resume.cancel_grace */
    ts_grace_result gr = { 0 };
    int rc = parse(argc, argv, &task, &o, &grace);

    if (rc != 0)
        return rc > 0 ? TS_EXIT_OK : TS_EXIT_USAGE;
    o.warn = stderr;
    o.warn_prefix = "tasksuite cancel: warning: ";
    if (ts_journal_open(NULL, &j, &err) < 0)
        return ts_report_fail("cancel", &err);
    /* resolve the prefix once, for the messages */
    if (ts_journal_suite_get(j, argv[optind], &si, &err) < 0)
        goto fail;
    /* issue 16: the warning signal and a grace period first (graceful.h) */
    if (!o.keep_running && ts_cancel_grace(j, si.id, task, grace, stdout, &gr, &err) < 0)
        goto fail;
    if (task) {
        if (ts_cancel_task(j, si.id, task, &o, &r, &err) < 0)
            goto fail;
        print_task(j, task, &si, &r);
    } else {
        if (ts_cancel_suite(j, si.id, &o, &r, &err) < 0)
            goto fail;
        r.tasks += gr.cancelled;
        print_suite(&si, &r);
    }
    rc = TS_EXIT_OK;
    goto out;
fail:
    rc = ts_report_fail("cancel", &err);
out:
    ts_suite_info_clear(&si);
    ts_journal_close(j);
    return rc;
}

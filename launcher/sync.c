/* sync.c: `tasksuite sync [ID]` (and `reconcile ID`, what the safety-net
 * job runs): bring the journal up to date with the task events and Slurm's
 * records, classify attempts that ended without telling (hard kill at the
 * walltime, node failure, preemption, cancellation), resubmit what
 * resume.retry_on allows, and move the suite open -> closed -> complete.
 * Every `status` does the same; this is for scripts and for the job.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "exitcodes.h"
#include "journal.h"
#include "report.h"
#include "submission.h"
#include "sync.h"

/* The watchdog (`reconcile ID --watch PERIOD`, see submission.h) queues
 * the next one unless the suite is settled for good: at the base period
 * when this refresh changed something, else at twice this one. */
static void rewatch(ts_journal *j, const char *id, const ts_sync_result *res, long period)
{
    ts_suite_info si = { 0 };
    ts_submit_store store;
    ts_submit_ctx ctx;
    ts_err err = { 0 };

    if (res->state == TS_SUITE_COMPLETE || res->state == TS_SUITE_CANCELLED)
        return;
    long next = res->ingested || res->classified || res->resubmitted ? ts_watch_base_period()
                                                                       : 2 * period;
    if (ts_journal_suite_get(j, id, &si, &err) < 0
        || ts_submission_load(j, &si, &store, &ctx, &err) < 0) {
        ts_cli_say("reconcile", "suite %s: no next watchdog job: %s", id, err.msg);
        ts_suite_info_clear(&si);
        return;
    }
    if (ts_submission_watch(&ctx, next, true, &err) < 0)
        ts_cli_say("reconcile", "suite %s: no next watchdog job: %s", id, err.msg);
    ts_submission_store_free(&store);
    ts_suite_info_clear(&si);
}

static int run(const char *cmd, int argc, char **argv, int need_id)
{
    static const struct option longopts[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "watch", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, quiet = 0;
    long watch = 0;
    ts_journal *j = NULL;
    ts_err err = { 0 };
    ts_sync_result res = { 0 };
    char id[TS_SUITE_ID_LEN + 1], usage[96];

    snprintf(usage, sizeof usage, "usage: tasksuite %s %s[--quiet]%s", cmd,
             need_id ? "ID " : "[ID] ", need_id ? " [--watch SECONDS]" : "");
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'q') {
            quiet = 1;
        } else if (c == 'w' && need_id && (watch = strtol(optarg, NULL, 10)) > 0) {
            continue;
        } else {
            return ts_cli_usage(usage, c == 'h');
        }
    }
    if (optind < argc - 1 || (need_id && optind != argc - 1)) {
        return ts_cli_usage(usage, 0);
    }
    if (ts_journal_open(NULL, &j, &err) < 0)
        return ts_report_fail(cmd, &err);
    int rc = optind < argc ? ts_journal_suite_resolve(j, argv[optind], id, &err)
                           : ts_report_latest_suite(j, getuid(), id, &err);
    if (rc == 0)
        rc = ts_sync(j, id, &(ts_sync_opts){ .run_on_complete = true }, &res, &err);
    if (rc < 0) {
        rc = ts_report_fail(cmd, &err);
    } else {
        if (!quiet)
            printf("suite %s: %s; %ld new event%s, %ld attempt%s classified from Slurm, %ld task%s resubmitted\n",
                   id, ts_suite_state_name(res.state), res.ingested, res.ingested == 1 ? "" : "s",
                   res.classified, res.classified == 1 ? "" : "s", res.resubmitted,
                   res.resubmitted == 1 ? "" : "s");
        rc = TS_EXIT_OK;
        if (watch > 0)
            rewatch(j, id, &res, watch);
    }
    ts_journal_close(j);
    return rc;
}

int cmd_sync(int argc, char **argv)
{
    return run("sync", argc, argv, 0);
}

int cmd_reconcile(int argc, char **argv)
{
    return run("reconcile", argc, argv, 1);
}

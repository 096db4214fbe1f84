/* retry.c: `tasksuite retry ID [--failed | --task NAME ...]`
 *
 * A manual next attempt, beyond what resume.retry_on does by itself: every
 * task that ended failed, timeout, node_fail, preempted or cancelled
 * (--failed, the default), or the named tasks. They keep their task
 * directories, so they resume from their last checkpoint. Re-opens a
 * complete suite; a cancelled suite is refused. First the suite is brought
 * up to date (ts_sync, as `status` does; events only for a --local suite),
 * so a named task still pending or running is seen as such and refused:
 * one refused name refuses the command, nothing is queued.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "exitcodes.h"
#include "journal.h"
#include "report.h"
#include "retry.h"
#include "record.h"
#include "sync.h"

#define USAGE "usage: tasksuite retry ID [--failed | --task NAME ...]"

/* The suite as it is now: events ingested, Slurm asked (not for a --local
 * suite), so an attempt that ended is not taken for an open one. */
static int refresh(ts_journal *j, const char *id, ts_suite_info *si, ts_err *err)
{
    ts_sync_opts so = { .no_slurm = ts_submit_record_is_local(si->submit_record),
                        .quiet = true };
    ts_suite_info_clear(si);
    return ts_sync(j, id, &so, NULL, err) < 0 || ts_journal_suite_get(j, id, si, err) < 0 ? -1 : 0;
}

int cmd_retry(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "failed", no_argument, NULL, 'f' },
        { "task", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *names[256];
    size_t nnames = 0;
    int c, rc = TS_EXIT_FAIL;
    ts_journal *j = NULL;
    ts_err err = { 0 };
    ts_suite_info si = { 0 };
    ts_retry_result res;
    char id[TS_SUITE_ID_LEN + 1];

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'f')
            continue;
        if (c == 't' && nnames < sizeof names / sizeof names[0]) {
            names[nnames++] = optarg;
            continue;
        }
        return ts_cli_usage(USAGE, c == 'h');
    }
    if (optind != argc - 1)
        return ts_cli_usage(USAGE, 0);
    if (ts_journal_open(NULL, &j, &err) < 0 || ts_journal_lock(j, &err) < 0
        || ts_journal_suite_resolve(j, argv[optind], id, &err) < 0
        || ts_journal_suite_get(j, id, &si, &err) < 0
        || refresh(j, id, &si, &err) < 0
        || ts_suite_retry(j, &si, names, nnames, &res, &err) < 0)
        goto fail;
    if (res.picked == 0)
        printf("suite %s: nothing to retry\n", id);
    else if (res.resubmitted == 0)
        printf("suite %s: %zu task%s already queued\n", id, res.picked,
               res.picked == 1 ? "" : "s");
    else
        printf("suite %s: %zu task%s resubmitted\n", id, res.resubmitted,
               res.resubmitted == 1 ? "" : "s");
    rc = TS_EXIT_OK;
    goto out;
fail:
    rc = ts_report_fail("retry", &err);
out:
    ts_suite_info_clear(&si);
    if (j)
        ts_journal_unlock(j);
    ts_journal_close(j);
    return rc;
}

/* retry.c: `tasksuite retry ID [--failed | --task NAME ...]`
 *
 * A manual next attempt, beyond what resume.retry_on does by itself: every
 * task that ended failed, timeout, node_fail, preempted or cancelled
 * (--failed, the default), or the named tasks. They keep their task
 * directories, so they resume from their last checkpoint. Re-opens a
 * complete suite; a cancelled suite is refused.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "events.h"
#include "exitcodes.h"
#include "grow.h"
#include "journal.h"
#include "localrun.h"
#include "report.h"
#include "submission.h"
#include "sync.h"

#define USAGE "usage: tasksuite retry ID [--failed | --task NAME ...]\n"

typedef struct picked {
    long *idx;
    int *attempts;
    size_t n, cap;
} picked;

static int pick(picked *p, long idx)
{
    if (ts_grow((void **)&p->idx, &p->cap, p->n, sizeof *p->idx) < 0)
        return -1;
    p->idx[p->n++] = idx;
    return 0;
}

static int pick_task(const ts_task_info *t, void *arg)
{
    return pick(arg, t->idx);
}

/* Each picked task's latest attempt (tasks come in index order). */
static int note_attempts(const ts_task_info *t, void *arg)
{
    picked *p = arg;
    for (size_t i = 0; i < p->n; i++)
        if (p->idx[i] == t->idx)
            p->attempts[i] = t->attempts;
    return 0;
}

static int first_intent(const ts_intent_info *in, void *arg)
{
    *(int64_t *)arg = in->id;
    return 1;
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
    picked p = { 0 };
    char id[TS_SUITE_ID_LEN + 1];
    int64_t sub = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'f')
            continue;
        if (c == 't' && nnames < sizeof names / sizeof names[0]) {
            names[nnames++] = optarg;
            continue;
        }
        fputs(USAGE, c == 'h' ? stdout : stderr);
        return c == 'h' ? TS_EXIT_OK : TS_EXIT_USAGE;
    }
    if (optind != argc - 1) {
        fputs(USAGE, stderr);
        return TS_EXIT_USAGE;
    }
    if (ts_journal_open(NULL, &j, &err) < 0 || ts_journal_lock(j, &err) < 0
        || ts_journal_suite_resolve(j, argv[optind], id, &err) < 0
        || ts_journal_suite_get(j, id, &si, &err) < 0)
        goto fail;
    for (size_t i = 0; i < nnames; i++) {
        long idx;
        if (ts_journal_task_find(j, id, names[i], &idx, &err) < 0 || pick(&p, idx) < 0)
            goto fail;
    }
    if (!nnames
        && ts_journal_tasks_foreach(j, id,
                                    TS_BIT(TS_TASK_FAILED) | TS_BIT(TS_TASK_TIMEOUT)
                                        | TS_BIT(TS_TASK_NODE_FAIL) | TS_BIT(TS_TASK_PREEMPTED)
                                        | TS_BIT(TS_TASK_CANCELLED),
                                    pick_task, &p, &err) < 0)
        goto fail;
    if (p.n == 0) {
        printf("suite %s: nothing to retry\n", id);
        rc = TS_EXIT_OK;
        goto out;
    }
    /* A next attempt its own job queued already (in-job resume) whose
     * record has not reached the journal: adopt it, do not queue another. */
    size_t asked = p.n;
    if (!(p.attempts = calloc(p.n, sizeof *p.attempts))) {
        ts_errf(&err, "out of memory");
        goto fail;
    }
    bool local = si.spec_json && strstr(si.spec_json, "\"local\":true");
    if (!local && (ts_journal_tasks_foreach(j, id, 0, note_attempts, &p, &err) < 0
                   || ts_sync_adopt_queued(j, id, p.idx, p.attempts, &p.n, &err) < 0))
        goto fail;
    if (p.n == 0) {
        printf("suite %s: %zu task%s already queued\n", id, asked, asked == 1 ? "" : "s");
        rc = TS_EXIT_OK;
        goto out;
    }
    ts_submit_store store;
    ts_submit_ctx ctx;
    if (ts_journal_intent_create(j, id, p.idx, p.n, &sub, &err) < 0
        || ts_journal_intents_foreach(j, id, TS_BIT(TS_SUB_INTENT), first_intent, &sub, &err) < 0
        || ts_submission_load(j, &si, &store, &ctx, &err) < 0)
        goto fail;
    /* A cancelled task gets its next attempt: its elements run again. */
    for (size_t i = 0; i < p.n; i++)
        if (ts_events_cancel_mark(store.dir, p.idx[i], false, &err) < 0) {
            ts_submission_store_free(&store);
            goto fail;
        }
    ctx.recover = true;
    int r = ts_submission_write_manifest(&ctx, sub, &err);
    if (r == 0 && store.local)   /* a --local suite reruns here, now */
        r = (ts_localrun_mark(j, sub, &err) < 0
             || ts_localrun(j, id, store.dir, store.self, &err) < 0) ? -1 : 0;
    else if (r == 0 && (r = ts_submission_submit(&ctx, sub, NULL, &err)) == 0)
        ts_submission_watch_or_warn(&ctx, "retry", true);
    ts_submission_store_free(&store);
    if (r < 0)
        goto fail;
    printf("suite %s: %zu task%s resubmitted\n", id, p.n, p.n == 1 ? "" : "s");
    rc = TS_EXIT_OK;
    goto out;
fail:
    rc = ts_report_fail("retry", &err);
out:
    free(p.idx);
    free(p.attempts);
    ts_suite_info_clear(&si);
    if (j)
        ts_journal_unlock(j);
    ts_journal_close(j);
    return rc;
}

/* logs.c: `tasksuite logs ID [TASK] [--attempt N] [--follow] [--stderr]`.
 *
 * Prints the stdout (or --stderr) of one attempt of a task, the latest by
 * default, from SUITEDIR/tasks/NAME/attempt-K/ (layout.h). An attempt that
 * ran on several nodes has one file per node; each line is then prefixed
 * "node-R | ", files in rank order (with --follow, lines as they arrive).
 * Without TASK the suite must have exactly one task; otherwise its tasks are
 * listed and the exit status is 2. --follow keeps reading until the attempt
 * has ended (the journal, refreshed every 2 s, says so); Ctrl-C stops it
 * with exit 0. An attempt that has not started has no output: one line says
 * so, exit 1 (with --follow: wait for it).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "exitcodes.h"
#include "journal.h"
#include "layout.h"
#include "logtail.h"
#include "ctrlc.h"
#include "report.h"
#include "sync.h"

#define LOGS_USAGE "usage: tasksuite logs ID [TASK] [--attempt N] [--follow] [--stderr]"
#define POLL_MS 500
#define SYNC_EVERY 4            /* polls: the journal is refreshed every 2 s */
#define FULL_SYNC_EVERY 5       /* syncs: Slurm is asked every 10 s */
#define LIST_MAX 20

/* ---------------------------------------------------------------- no TASK */

typedef struct names {
    long n;
} names;

static int name_cb(const ts_task_info *t, void *arg)
{
    names *nm = arg;
    if (nm->n++ < LIST_MAX)
        fprintf(stderr, "  %s (%s)\n", t->name, ts_task_state_name(t->state));
    return 0;
}

static int list_tasks(ts_journal *j, const char *id, long total)
{
    names nm = { 0 };
    ts_err err = { .code = 0 };

    fprintf(stderr, "tasksuite logs: suite %s has %ld tasks: name one "
            "(tasksuite logs %s TASK)\n", id, total, id);
    if (ts_journal_tasks_foreach(j, id, 0, name_cb, &nm, &err) < 0)
        return ts_report_fail("logs", &err);
    if (nm.n > LIST_MAX)
        fprintf(stderr, "  \xe2\x80\xa6 and %ld more (tasksuite status %s --all)\n",
                nm.n - LIST_MAX, id);
    return TS_EXIT_USAGE;
}

/* ---------------------------------------------------------------- follow */

typedef struct target {
    ts_journal *j;
    const char *id;
    long idx;
    const char *name;
    int attempt;
} target;

/* 1 when the attempt has ended or never will start, 0 while it may still
 * produce output, -1 on error. */
static int attempt_over(const target *t, bool *started, ts_err *err)
{
    ts_attempt_info a;
    ts_task_brief tb;
    ts_suite_info si;
    int rc = ts_report_attempt_get(t->j, t->id, t->idx, t->attempt, &a, err);

    if (rc < 0)
        return -1;
    *started = rc == 1;
    if (rc == 1)
        return ts_attempt_ended(a.state) ? 1 : 0;
    /* no row: not started. It never will when the task or the suite is
     * cancelled, or the task has ended without it. */
    if (ts_journal_suite_get(t->j, t->id, &si, err) < 0)
        return -1;
    rc = si.state == TS_SUITE_CANCELLED;
    ts_suite_info_clear(&si);
    if (rc)
        return 1;
    if (ts_report_task_by_idx(t->j, t->id, t->idx, &tb, err) < 0)
        return -1;
    rc = tb.state != TS_TASK_PENDING && tb.state != TS_TASK_RUNNING;
    rc = rc || tb.attempts > t->attempt;
    ts_task_brief_clear(&tb);
    return rc ? 1 : 0;
}

static int follow(const target *t, ts_logtail *tail)
{
    ts_err err = { .code = 0 };
    bool started = false, said_waiting = false, warned = false;
    unsigned long polls = 0, syncs = 0;

    ts_ctrlc_catch();
    while (!ts_ctrlc()) {
        int over;
        if (polls % SYNC_EVERY == 0) {
            ts_sync_opts so = { .quiet = true, .no_slurm = syncs % FULL_SYNC_EVERY != 0 };
            ts_err se = { .code = 0 };
            if (ts_sync(t->j, t->id, &so, NULL, &se) < 0 && !warned) {
                fprintf(stderr, "tasksuite logs: warning: suite %s not refreshed: %s\n",
                        t->id, se.msg);
                warned = true;
            }
            syncs++;
        }
        if ((over = attempt_over(t, &started, &err)) < 0)
            goto fail;
        if (ts_logtail_poll(tail, stdout, &err) < 0)
            goto fail;
        if (over) {
            if (ts_logtail_seen(tail) == 0) {
                ts_logtail_flush(tail, stdout);
                if (started)
                    fprintf(stderr, "tasksuite logs: attempt %d of task \"%s\" has "
                            "ended without an output file\n", t->attempt, t->name);
                else
                    fprintf(stderr, "tasksuite logs: attempt %d of task \"%s\" never "
                            "started\n", t->attempt, t->name);
                return TS_EXIT_FAIL;
            }
            break;
        }
        if (!started && ts_logtail_seen(tail) == 0 && !said_waiting) {
            fprintf(stderr, "tasksuite logs: waiting for attempt %d of task \"%s\" "
                    "to start (Ctrl-C to stop)\n", t->attempt, t->name);
            said_waiting = true;
        }
        polls++;
        ts_nap_ms(POLL_MS);
    }
    if (ts_logtail_poll(tail, stdout, &err) < 0)
        goto fail;
    ts_logtail_flush(tail, stdout);
    return TS_EXIT_OK;
fail:
    ts_logtail_flush(tail, stdout);
    return ts_report_fail("logs", &err);
}

/* ---------------------------------------------------------------- command */

int cmd_logs(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "attempt", required_argument, NULL, 'a' },
        { "follow", no_argument, NULL, 'f' },
        { "stderr", no_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *which = "stdout";
    int c, rc, attempt = 0, following = 0, num_nodes = 0;
    ts_journal *j = NULL;
    ts_suite_info si = { .name = NULL };
    ts_task_brief tb = { 0 };
    ts_attempt_info a;
    ts_counts counts;
    ts_logtail *tail = NULL;
    ts_err err = { .code = 0 };
    char dir[PATH_MAX];
    char **paths = NULL, **prefixes = NULL;
    bool started = false;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":a:feh", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': {
            char *end;
            long n;
            errno = 0;
            n = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || n < 1 || n > INT_MAX) {
                fprintf(stderr, "tasksuite logs: --attempt: \"%s\" is not an attempt "
                        "number (1, 2, ...)\n", optarg);
                return TS_EXIT_USAGE;
            }
            attempt = (int)n;
            break;
        }
        case 'f': following = 1; break;
        case 'e': which = "stderr"; break;
        case 'h':
            printf("%s\n", LOGS_USAGE);
            return TS_EXIT_OK;
        default:
            return ts_report_usage_error("logs", c, argv, LOGS_USAGE);
        }
    }
    if (argc - optind < 1 || argc - optind > 2) {
        fprintf(stderr, "tasksuite logs: %s (%s)\n",
                argc - optind < 1 ? "no suite ID given" : "too many arguments", LOGS_USAGE);
        return TS_EXIT_USAGE;
    }
    if (ts_journal_open(NULL, &j, &err) < 0)
        return ts_report_fail("logs", &err);
    if (ts_journal_suite_get(j, argv[optind], &si, &err) < 0)
        goto fail;
    {
        ts_sync_opts so = { .quiet = true };
        ts_err se = { .code = 0 };
        if (ts_sync(j, si.id, &so, NULL, &se) < 0)
            fprintf(stderr, "tasksuite logs: warning: suite %s not refreshed: %s\n",
                    si.id, se.msg);
    }
    if (ts_sync_suite_dir(j, &si, dir, sizeof dir, &err) < 0)
        goto fail;
    if (optind + 1 < argc) {
        if (ts_report_task_get(j, si.id, argv[optind + 1], &tb, &err) < 0)
            goto fail;
    } else {
        if (ts_journal_counts(j, si.id, &counts, &err) < 0)
            goto fail;
        if (counts.total != 1) {
            rc = counts.total == 0
                ? (fprintf(stderr, "tasksuite logs: suite %s has no tasks\n", si.id),
                   TS_EXIT_NOTFOUND)
                : list_tasks(j, si.id, counts.total);
            goto out;
        }
        if (ts_report_task_by_idx(j, si.id, -1, &tb, &err) < 0)
            goto fail;
    }
    if (!attempt)
        attempt = tb.attempts > 0 ? tb.attempts : 1;
    if (attempt > tb.attempts) {
        ts_errc(&err, TS_EXIT_NOTFOUND, "task \"%s\" has no attempt %d (%s%d)",
                tb.name, attempt, tb.attempts == 1 ? "only attempt " : "attempts 1-",
                tb.attempts);
        goto fail;
    }
    if ((rc = ts_report_attempt_get(j, si.id, tb.idx, attempt, &a, &err)) < 0)
        goto fail;
    started = rc == 1;
    num_nodes = started && a.num_nodes > 0 ? a.num_nodes : tb.num_nodes;
    if (num_nodes < 1)
        num_nodes = 1;
    if (!(paths = calloc((size_t)num_nodes, sizeof *paths))
        || !(prefixes = calloc((size_t)num_nodes, sizeof *prefixes))) {
        ts_errc(&err, TS_EXIT_FAIL, "out of memory");
        goto fail;
    }
    for (int r = 0; r < num_nodes; r++) {
        char p[PATH_MAX];
        if (ts_layout_output(dir, tb.name, attempt, r, num_nodes, which, p, sizeof p,
                             &err) < 0)
            goto fail;
        if (!(paths[r] = strdup(p))) {
            ts_errc(&err, TS_EXIT_FAIL, "out of memory");
            goto fail;
        }
        if (num_nodes > 1) {
            char pre[32];
            snprintf(pre, sizeof pre, "node-%d | ", r);
            if (!(prefixes[r] = strdup(pre))) {
                ts_errc(&err, TS_EXIT_FAIL, "out of memory");
                goto fail;
            }
        }
    }
    if (!(tail = ts_logtail_new((size_t)num_nodes, (const char *const *)paths,
                                (const char *const *)prefixes))) {
        ts_errc(&err, TS_EXIT_FAIL, "out of memory");
        goto fail;
    }
    if (following) {
        target t = { .j = j, .id = si.id, .idx = tb.idx, .name = tb.name,
                     .attempt = attempt };
        rc = follow(&t, tail);
        goto out;
    }
    if (ts_logtail_poll(tail, stdout, &err) < 0)
        goto fail;
    ts_logtail_flush(tail, stdout);
    if (ts_logtail_seen(tail) == 0) {
        if (!started)
            ts_errc(&err, TS_EXIT_FAIL, "attempt %d of task \"%s\" has not started: "
                    "no output yet%s", attempt, tb.name,
                    attempt > 1 ? " (--attempt N for an earlier one)" : "");
        else
            ts_errc(&err, TS_EXIT_FAIL, "no %s of attempt %d of task \"%s\": %s "
                    "does not exist", which, attempt, tb.name, paths[0]);
        goto fail;
    }
    rc = TS_EXIT_OK;
    goto out;
fail:
    rc = ts_report_fail("logs", &err);
out:
    for (int r = 0; paths && r < num_nodes; r++)
        free(paths[r]);
    for (int r = 0; prefixes && r < num_nodes; r++)
        free(prefixes[r]);
    free(paths);
    free(prefixes);
    ts_logtail_free(tail);
    ts_task_brief_clear(&tb);
    ts_suite_info_clear(&si);
    ts_journal_close(j);
    return rc;
}

/* logs.c: `tasksuite logs [ID] [TASK] [--attempt N] [--follow] [--stderr]`.
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
 *
 * The other stream is never silently lost: when the attempt's stdout is
 * empty and its stderr is not (a failed task usually says why on stderr),
 * a line says so and the stderr follows on our stderr; when both have
 * text, a line after the output says how much is on stderr.
 *
 * Without ID, your latest suite (as status). One argument is a suite (ID,
 * prefix or name) when one matches, else a task of your latest suite.
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
#include "logs.h"
#include "ctrlc.h"
#include "report.h"
#include "sync.h"

#define LOGS_USAGE "usage: tasksuite logs [ID] [TASK] [--attempt N] [--follow] [--stderr]"
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

    ts_cli_say("logs", "suite %s has %ld tasks: name one (tasksuite logs %s TASK)", id, total,
               id);
    if (ts_journal_tasks_foreach(j, id, 0, name_cb, &nm, &err) < 0)
        return ts_report_fail("logs", &err);
    if (nm.n > LIST_MAX)
        fprintf(stderr, "  \xe2\x80\xa6 and %ld more (tasksuite status %s --all)\n",
                nm.n - LIST_MAX, id);
    return TS_EXIT_USAGE;
}

/* ---------------------------------------------------------------- follow */

static int follow(ts_logs *l)
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
            if (ts_sync(l->j, l->suite_id, &so, NULL, &se) < 0 && !warned) {
                ts_cli_say("logs", "warning: suite %s not refreshed: %s", l->suite_id, se.msg);
                warned = true;
            }
            syncs++;
        }
        if ((over = ts_logs_attempt_over(l, &started, &err)) < 0)
            goto fail;
        if (ts_logtail_poll(l->tail, stdout, &err) < 0)
            goto fail;
        if (over) {
            if (ts_logtail_seen(l->tail) == 0) {
                ts_logtail_flush(l->tail, stdout);
                if (started)
                    ts_cli_say("logs", "attempt %d of task \"%s\" has "
                            "ended without an output file", l->attempt, l->tb.name);
                else
                    ts_cli_say("logs", "attempt %d of task \"%s\" never "
                            "started", l->attempt, l->tb.name);
                return TS_EXIT_FAIL;
            }
            break;
        }
        if (!started && ts_logtail_seen(l->tail) == 0 && !said_waiting) {
            ts_cli_say("logs", "waiting for attempt %d of task \"%s\" "
                    "to start (Ctrl-C to stop)", l->attempt, l->tb.name);
            said_waiting = true;
        }
        polls++;
        ts_nap_ms(POLL_MS);
    }
    if (ts_logtail_poll(l->tail, stdout, &err) < 0)
        goto fail;
    ts_logtail_flush(l->tail, stdout);
    return TS_EXIT_OK;
fail:
    ts_logtail_flush(l->tail, stdout);
    return ts_report_fail("logs", &err);
}

/* ---------------------------------------------------------------- command */

typedef struct logs_opts {
    const char *which;
    int attempt, following;
    const char *suite, *task;   /* task: NULL for the suite's only one */
} logs_opts;

/* -1: bad usage (printed), 1: --help (printed), 0: parsed */
static int parse(int argc, char **argv, logs_opts *o)
{
    static const struct option longopts[] = {
        { "attempt", required_argument, NULL, 'a' },
        { "follow", no_argument, NULL, 'f' },
        { "stderr", no_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    *o = (logs_opts){ .which = "stdout" };
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
                ts_cli_fail("logs", TS_EXIT_USAGE, "--attempt: \"%s\" is not an attempt "
                            "number (1, 2, ...)", optarg);
                return -1;
            }
            o->attempt = (int)n;
            break;
        }
        case 'f': o->following = 1; break;
        case 'e': o->which = "stderr"; break;
        case 'h':
            ts_cli_usage(LOGS_USAGE, true);
            return 1;
        default:
            ts_report_usage_error("logs", c, argv, LOGS_USAGE);
            return -1;
        }
    }
    if (argc - optind > 2) {
        ts_cli_fail("logs", TS_EXIT_USAGE, "too many arguments (%s)", LOGS_USAGE);
        return -1;
    }
    o->suite = optind < argc ? argv[optind] : NULL;
    o->task = optind + 1 < argc ? argv[optind + 1] : NULL;
    return 0;
}

/* ---------------------------------------------------------------- once */

static void print_other(ts_logs *l, ts_journal *j, const ts_suite_info *si)
{
    ts_logs o = { 0 };
    ts_err err = { .code = 0 };
    long n = 0;

    if (ts_logs_open(&o, j, si, l->tb.name, l->attempt, "stderr", &n, &err) == 0)
        ts_logs_print(&o, stderr, &err);
    ts_logs_close(&o);
}

/* Print the attempt's output once, then say what is on the other stream
 * (see the top of this file). */
static int print_once(ts_logs *l, ts_journal *j, const ts_suite_info *si)
{
    ts_err err = { .code = 0 };
    bool on_stdout = strcmp(l->which, "stdout") == 0;
    bool empty = on_stdout && ts_logs_bytes(l, "stdout") == 0;
    int ok = ts_logs_print(l, stdout, &err) == 0, printed = ok && !empty;
    long long other = on_stdout ? ts_logs_bytes(l, "stderr") : 0;

    fflush(stdout);
    if (!printed && other > 0) {
        ts_cli_say("logs", "stdout of attempt %d of task \"%s\" is empty; its stderr "
                   "(%lld bytes) follows", l->attempt, l->tb.name, other);
        print_other(l, j, si);
        return TS_EXIT_OK;
    }
    if (!ok)
        return ts_report_fail("logs", &err);
    if (other > 0)
        ts_cli_say("logs", "%lld more bytes on stderr (tasksuite logs %s %s --stderr)",
                   other, si->id, l->tb.name);
    return TS_EXIT_OK;
}

/* The suite and task the arguments name (see the top of this file). */
static int pick_suite(ts_journal *j, logs_opts *o, ts_suite_info *si, ts_err *err)
{
    char id[TS_SUITE_ID_LEN + 1];
    ts_err first = { .code = 0 };
    ts_task_brief tb;

    if (o->suite && ts_journal_suite_get(j, o->suite, si, &first) == 0)
        return 0;
    if (o->suite && (o->task || first.code != TS_EXIT_NOTFOUND)) {
        *err = first;
        return -1;
    }
    if (ts_report_latest_suite(j, getuid(), id, o->suite ? &first : err) < 0) {
        if (o->suite)
            *err = first;
        return -1;
    }
    if (ts_journal_suite_get(j, id, si, err) < 0)
        return -1;
    if (!o->suite)
        return 0;
    /* one argument that is no suite: a task of the latest suite? */
    ts_err te = { .code = 0 };
    if (ts_report_task_get(j, id, o->suite, &tb, &te) < 0) {
        ts_suite_info_clear(si);
        *err = first;
        return -1;
    }
    ts_task_brief_clear(&tb);
    o->task = o->suite;
    return 0;
}

int cmd_logs(int argc, char **argv)
{
    logs_opts o;
    int rc;
    ts_journal *j = NULL;
    ts_suite_info si = { .name = NULL };
    ts_logs l = { 0 };
    ts_err err = { .code = 0 };
    long ntasks = 0;

    if ((rc = parse(argc, argv, &o)) != 0)
        return rc < 0 ? TS_EXIT_USAGE : TS_EXIT_OK;
    if (ts_journal_open(NULL, &j, &err) < 0)
        return ts_report_fail("logs", &err);
    if (pick_suite(j, &o, &si, &err) < 0)
        goto fail;
    ts_sync_opts so = { .quiet = true };
    ts_err se = { .code = 0 };
    if (ts_sync(j, si.id, &so, NULL, &se) < 0)
        ts_cli_say("logs", "warning: suite %s not refreshed: %s", si.id, se.msg);
    if ((rc = ts_logs_open(&l, j, &si, o.task, o.attempt, o.which, &ntasks, &err)) < 0)
        goto fail;
    if (rc == 1)   /* no TASK, and not exactly one task */
        rc = ntasks == 0 ? ts_cli_fail("logs", TS_EXIT_NOTFOUND, "suite %s has no tasks", si.id)
                         : list_tasks(j, si.id, ntasks);
    else if (o.following)
        rc = follow(&l);
    else
        rc = print_once(&l, j, &si);
    goto out;
fail:
    rc = ts_report_fail("logs", &err);
out:
    ts_logs_close(&l);
    ts_suite_info_clear(&si);
    ts_journal_close(j);
    return rc;
}

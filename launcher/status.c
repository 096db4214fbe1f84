/* status.c: `tasksuite status [ID] [--json] [--watch] [--all]`.
 *
 * Without ID: the caller's most recently created suite (the text output
 * says so; with --json a note goes to stderr). First brings the journal up
 * to date (ts_sync: events, Slurm, retries, suite state); when that fails the
 * journal is shown as it is, a warning names the reason (JSON: "sync_error")
 * and the exit status is that error's. Then: ID, name, state, progress
 * ("873/1000 done (87.3%)", with a bar on a terminal), the per-state
 * counters and a table of tasks. A suite of more than 50 tasks lists only
 * its tasks that are not completed, unless --all, grouped by state with
 * the failing ones first (failed, timeout, node_fail, preempted, cancelled,
 * then running and pending).
 *
 * Colours (task states) with --color=auto (the default) only on a terminal,
 * with NO_COLOR unset and TERM not dumb; --color=always|never decide.
 *
 * --watch [SECONDS]: on a terminal, redraw in place every SECONDS (default
 * 2; the table cut to the screen) until the suite is complete or
 * cancelled; otherwise print one progress line each time the state or a
 * counter changes. Ctrl-C ends it, exit 0. SECONDS is the next argument
 * when it is a number of at most 4 digits (with an optional fraction), so
 * never a suite ID (8 characters), or given as --watch=SECONDS.
 * --json: one document (report_json.h), every task with its attempts,
 * streamed as the journal is read.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "after.h"
#include "exitcodes.h"
#include "graphview.h"
#include "journal.h"
#include "progress.h"
#include "ctrlc.h"
#include "report.h"
#include "poolstatus.h"
#include "report_json.h"
#include "sync.h"
#include "triggers_report.h"

#define STATUS_USAGE "usage: tasksuite status [ID] [--json] [--watch [SECONDS]] [--all] " \
    "[--color=auto|always|never]"
#define BIG_SUITE 50
#define BIG_ROWS 100    /* rows of a big suite's table without --all */
#define WATCH_INTERVAL_MS 2000
#define WATCH_MIN_MS 100

typedef struct view {
    bool all;
    bool tty;
    bool latest;            /* no ID given */
    int max_rows;           /* 0: no limit */
    int cols;
    int colour;             /* -1 auto, 0 never, 1 always */
    long interval_ms;       /* --watch */
} view;

/* ---------------------------------------------------------------- table */

typedef struct table {
    FILE *f;
    int namew;
    long rows, limit, cut;
    const char *dir;        /* the run directory: checkpoints shown relative to it */
    int cols;               /* the row's width to fit */
    bool colour;
} table;

static int width_cb(const ts_task_info *t, void *arg)
{
    table *tb = arg;
    int n = (int)strlen(t->name);
    if (tb->limit && tb->rows++ >= tb->limit)
        return 1;
    if (n > tb->namew)
        tb->namew = n > 40 ? 40 : n;
    return 0;
}

static int row_cb(const ts_task_info *t, void *arg)
{
    table *tb = arg;
    char ex[32], ck[4096 + 48], fit[4096 + 48];

    if (tb->limit && tb->rows >= tb->limit)
        return 1;       /* the rest is counted, not walked */
    tb->rows++;
    ts_report_exit(ex, sizeof ex, t->has_exit, t->last_exit, t->last_signal);
    /* the checkpoint relative to the run directory, its middle elided to
     * fit the row into tb->cols (status --json has the full path) */
    const char *path = t->last_checkpoint ? ts_report_relpath(t->last_checkpoint, tb->dir) : "-";
    int room = tb->cols - (tb->namew + 2 + 9 + 2 + 8 + 2 + 9 + 2);
    char step[40] = "";
    if (t->last_checkpoint && t->last_step >= 0)
        snprintf(step, sizeof step, " (step %ld)", t->last_step);
    ts_report_elide(ck, sizeof ck, path, room - (int)strlen(step));
    snprintf(fit, sizeof fit, "%s%s", ck, step);
    const char *on = tb->colour ? ts_report_state_colour(t->state) : "";
    fprintf(tb->f, "%-*s  %s%-9s%s  %8d  %-9s  %s\n", tb->namew, t->name, on,
            ts_task_state_name(t->state), *on ? TS_REPORT_RESET : "", t->attempts, ex, fit);
    return 0;
}

static int print_tasks(FILE *f, ts_journal *j, const ts_suite_info *s,
                       const ts_counts *c, const char *dir, const view *v, ts_err *err)
{
    unsigned mask = 0;
    long hidden = 0;
    table tb = { .f = f, .namew = 4, .dir = dir, .cols = v->cols > 0 ? v->cols : 80,
                 .colour = v->colour < 0 ? ts_report_colour(stdout) : v->colour == 1 };

    if (!v->all && c->total > BIG_SUITE) {
        mask = ((1u << TS_TASK_NSTATES) - 1) & ~TS_BIT(TS_TASK_COMPLETED);
        hidden = c->n[TS_TASK_COMPLETED];
    }
    if (v->max_rows > 0)
        tb.limit = v->max_rows < 2 ? 1 : v->max_rows - 1;
    /* A big suite with thousands of failures is still one screen: the first
     * rows, the counters above say the rest (--all lists everything). */
    if (!v->all && c->total > BIG_SUITE && (!tb.limit || tb.limit > BIG_ROWS))
        tb.limit = BIG_ROWS;
    /* A big suite's rows by state, the failing first: one walk per state
     * (each an index range); --all and small suites keep the index order. */
    static const enum ts_task_state order[] = {
        TS_TASK_FAILED, TS_TASK_TIMEOUT, TS_TASK_NODE_FAIL, TS_TASK_PREEMPTED,
        TS_TASK_CANCELLED, TS_TASK_RUNNING, TS_TASK_PENDING,
    };
    size_t npass = mask ? sizeof order / sizeof order[0] : 1;
    for (size_t i = 0; i < npass; i++)
        if ((!mask || c->n[order[i]] > 0)
            && ts_journal_tasks_foreach(j, s->id, mask ? TS_BIT(order[i]) : 0, width_cb, &tb,
                                        err) < 0)
            return -1;
    tb.rows = 0;
    if (c->total - hidden > 0) {
        fprintf(f, "%-*s  %-9s  %8s  %-9s  %s\n", tb.namew, "TASK", "STATE",
                "ATTEMPTS", "LAST EXIT", "CHECKPOINT");
        for (size_t i = 0; i < npass; i++)
            if ((!mask || c->n[order[i]] > 0)
                && ts_journal_tasks_foreach(j, s->id, mask ? TS_BIT(order[i]) : 0, row_cb, &tb,
                                            err) < 0)
                return -1;
        if (tb.limit && c->total - hidden > tb.rows)
            tb.cut = c->total - hidden - tb.rows;
    }
    if (tb.cut)
        fprintf(f, "\xe2\x80\xa6 %ld more task%s not shown%s\n", tb.cut,
                tb.cut == 1 ? "" : "s", v->all ? "" : " (use --all)");
    if (hidden)
        fprintf(f, "\xe2\x80\xa6 %ld completed task%s not shown (use --all)\n",
                hidden, hidden == 1 ? "" : "s");
    return 0;
}

/* ---------------------------------------------------------------- text */

static int print_text(FILE *f, ts_journal *j, const ts_suite_info *s,
                      const ts_counts *c, const char *dir, const char *sync_error,
                      const view *v, ts_err *err)
{
    char buf[1024], bar[TS_PROGRESS_BAR_MAX + 3];

    fprintf(f, "suite:    %s (%s)%s\n", s->id, s->name,
            v->latest ? "  [your most recent suite]" : "");
    fprintf(f, "state:    %s\n", ts_suite_state_name(s->state));
    fprintf(f, "created:  %s\n", ts_report_time(buf, sizeof buf, s->created_at));
    ts_report_labels(buf, sizeof buf, s->labels_json);
    if (buf[0])
        fprintf(f, "labels:   %s\n", buf);
    if (dir)
        fprintf(f, "dir:      %s\n", dir);
    ts_progress_text(buf, sizeof buf, c->done, c->total);
    if (v->tty) {
        /* "progress: " (10), the text, a space, the bar's cells and its brackets */
        int w = v->cols > 0 ? v->cols - 10 - (int)strlen(buf) - 1 - 2 : 40;
        if (w > 50)
            w = 50;
        if (w >= 10) {
            ts_progress_bar(bar, sizeof bar, c->done, c->total, w);
            fprintf(f, "progress: %s %s\n", buf, bar);
        } else {
            fprintf(f, "progress: %s\n", buf);
        }
    } else {
        fprintf(f, "progress: %s\n", buf);
    }
    ts_progress_counts_wrapped(buf, sizeof buf, c, 10, v->cols > 0 ? v->cols : 80);
    fprintf(f, "counts:   %s\n", buf);
    bool after_wait = false;   /* depends_on: other suites (after.h) */
    char after_id[TS_SUITE_ID_LEN + 1];
    ts_err aerr = { 0 };
    ts_suite_info full = { 0 };
    if (s->state != TS_SUITE_COMPLETE && s->state != TS_SUITE_CANCELLED
        && ts_journal_suite_get(j, s->id, &full, &aerr) == 0
        && ts_after_waiting(j, full.submit_record, &after_wait, after_id, &aerr) == 0
        && after_wait)
        fprintf(f, "waiting:  for suite %s to complete (depends_on); its tasks are held\n",
                after_id);
    ts_suite_info_clear(&full);
    cJSON *graph = NULL;   /* depends_on inside the suite: stage -> counts */
    ts_err gerr = { 0 };
    if (ts_graph_view(j, s, &graph, &gerr) == 0 && graph) {
        ts_graph_view_text(f, graph);
        cJSON_Delete(graph);
    }
    long waiting = 0;      /* waves: tasks Slurm has no room for yet */
    if (ts_journal_waiting(j, s->id, &waiting, NULL) == 0 && waiting > 0) {
        long queued = c->n[TS_TASK_PENDING] + c->n[TS_TASK_RUNNING] - waiting;
        fprintf(f, "queue:    %ld queued, %ld waiting for room\n", queued > 0 ? queued : 0,
                waiting);
    }
    if (sync_error)
        fprintf(f, "warning:  not refreshed: %s\n", sync_error);
    ts_pool_status_text(f, dir, (double)time(NULL));   /* pool mode only */
    if (ts_report_triggers_text(f, j, s->id, err) < 0)  /* issue 16: on_checkpoint */
        return -1;
    fprintf(f, "\n");
    return print_tasks(f, j, s, c, dir, v, err);
}

/* ---------------------------------------------------------------- one pass */

typedef struct snap {
    ts_suite_info s;
    ts_counts c;
    char dir[4096];
    bool have_dir;
    char sync_error[1024];
    int sync_code;
} snap;

/* Sync, then read the suite and its counters. -1 only when reading fails. */
static int take(ts_journal *j, const char *id, bool quiet, snap *sn, ts_err *err)
{
    ts_sync_opts so = { .quiet = quiet };
    ts_sync_result res;
    ts_err se = { .code = 0 };

    bool counted = false;

    memset(sn, 0, sizeof *sn);
    if (ts_sync(j, id, &so, &res, &se) < 0) {
        snprintf(sn->sync_error, sizeof sn->sync_error, "%s", se.msg[0] ? se.msg : "failed");
        sn->sync_code = se.code ? se.code : TS_EXIT_FAIL;
    } else if (res.counted && !res.became_complete) {
        sn->c = res.counts;     /* counted at the end of the sync (on_complete did not run) */
        counted = true;
    }
    if (ts_journal_suite_get(j, id, &sn->s, err) < 0)
        return -1;
    if (!counted && ts_journal_counts(j, id, &sn->c, err) < 0) {
        ts_suite_info_clear(&sn->s);
        return -1;
    }
    ts_err de = { .code = 0 };
    sn->have_dir = ts_sync_suite_dir(j, &sn->s, sn->dir, sizeof sn->dir, &de) == 0;
    return 0;
}

static bool finished(enum ts_suite_state st)
{
    return st == TS_SUITE_COMPLETE || st == TS_SUITE_CANCELLED;
}

static int term_size(int *rows, int *cols)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
        return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

/* One frame of --watch on a terminal, drawn over the last one: the cursor
 * goes home (the first frame starts on a cleared screen), each line ends
 * by erasing what was left of the old one, and whatever the old frame had
 * below the new one is erased, so nothing blinks. */
static int redraw(ts_journal *j, const snap *sn, const view *v, bool first, ts_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return ts_errc(err, TS_EXIT_FAIL, "out of memory");
    int rc = print_text(m, j, &sn->s, &sn->c, sn->have_dir ? sn->dir : NULL,
                        sn->sync_error[0] ? sn->sync_error : NULL, v, err);
    if (rc == 0 && !finished(sn->s.state)) {
        char every[32];
        snprintf(every, sizeof every, "%g", v->interval_ms / 1000.0);
        fprintf(m, "\n(refreshing every %s s; Ctrl-C to stop)\n", every);
    }
    if (fclose(m) != 0 && rc == 0)
        rc = ts_errc(err, TS_EXIT_FAIL, "out of memory");
    if (rc == 0) {
        fputs(first ? "\033[H\033[2J" : "\033[H", stdout);
        for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            fwrite(line, 1, nl ? (size_t)(nl - line) : strlen(line), stdout);
            fputs(nl ? "\033[K\n" : "\033[K", stdout);
        }
        fputs("\033[J", stdout);
    }
    free(buf);
    return rc;
}

static int watch(ts_journal *j, const char *id, view *v)
{
    ts_counts prev = { .total = -1 };
    enum ts_suite_state prev_state = TS_SUITE_NSTATES;
    ts_err err = { .code = 0 };
    snap sn;
    bool first = true;

    ts_ctrlc_catch();
    for (;;) {
        if (take(j, id, true, &sn, &err) < 0)
            return ts_report_fail("status", &err);
        if (v->tty) {
            int rows = 24, cols = 80;
            term_size(&rows, &cols);
            v->cols = cols;
            /* header: suite, state, created, labels?, dir, progress, counts,
             * warning?, blank, table header, footer lines, our own line */
            v->max_rows = rows - 14;
            if (v->max_rows < 1)
                v->max_rows = 1;
            if (redraw(j, &sn, v, first, &err) < 0) {
                ts_suite_info_clear(&sn.s);
                return ts_report_fail("status", &err);
            }
            first = false;
        } else if (sn.s.state != prev_state || memcmp(&sn.c, &prev, sizeof prev) != 0) {
            char line[1024], when[32];
            ts_progress_line(line, sizeof line, sn.s.id, ts_suite_state_name(sn.s.state),
                             &sn.c);
            printf("%s %s", ts_report_time(when, sizeof when, (double)time(NULL)), line);
            if (sn.sync_error[0])
                printf(" (not refreshed: %s)", sn.sync_error);
            printf("\n");
            prev = sn.c;
            prev_state = sn.s.state;
        }
        fflush(stdout);
        bool done = finished(sn.s.state);
        ts_suite_info_clear(&sn.s);
        if (done || ts_ctrlc())
            break;
        ts_nap_ms(v->interval_ms);
        if (ts_ctrlc())
            break;
    }
    if (ts_ctrlc() && v->tty)
        printf("\n");
    return TS_EXIT_OK;
}

/* ---------------------------------------------------------------- command */

/* 0: go on; 1: stop with exit code *code (--help, bad usage: printed). */
/* SECONDS of --watch: a positive number of at most 4 digits before an
 * optional fraction ("2", "0.5", "10"). */
static bool watch_seconds(const char *s, long *ms)
{
    char *end;
    size_t digits = strspn(s, "0123456789");
    if (digits == 0 || digits > 4)
        return false;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v > 0))
        return false;
    *ms = (long)(v * 1000 + 0.5);
    if (*ms < WATCH_MIN_MS)
        *ms = WATCH_MIN_MS;
    return true;
}

static int parse(int argc, char **argv, int *json, int *watching, view *v, int *code)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "watch", optional_argument, NULL, 'w' },
        { "all", no_argument, NULL, 'a' },
        { "color", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jwah", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': *json = 1; break;
        case 'w':
            *watching = 1;
            if (optarg) {
                if (!watch_seconds(optarg, &v->interval_ms)) {
                    *code = ts_cli_fail("status", TS_EXIT_USAGE, "--watch: \"%s\" is not a "
                                        "number of seconds (e.g. 2, 0.5)", optarg);
                    return 1;
                }
            } else if (optind < argc && watch_seconds(argv[optind], &v->interval_ms)) {
                optind++;       /* --watch 5 */
            }
            break;
        case 'c':
            if (!optarg)        /* required_argument: getopt never gives NULL */
                break;
            if (!strcmp(optarg, "auto"))
                v->colour = -1;
            else if (!strcmp(optarg, "always"))
                v->colour = 1;
            else if (!strcmp(optarg, "never"))
                v->colour = 0;
            else {
                *code = ts_cli_fail("status", TS_EXIT_USAGE, "--color: \"%s\" is not auto, "
                                    "always or never", optarg);
                return 1;
            }
            break;
        case 'a': v->all = true; break;
        case 'h':
            *code = ts_cli_usage(STATUS_USAGE, 1);
            return 1;
        default:
            *code = ts_report_usage_error("status", c, argv, STATUS_USAGE);
            return 1;
        }
    }
    if (argc - optind > 1)
        *code = ts_cli_fail("status", TS_EXIT_USAGE, "too many arguments (%s)", STATUS_USAGE);
    else if (*json && *watching)
        *code = ts_cli_fail("status", TS_EXIT_USAGE, "--json and --watch do not go together");
    else
        return 0;
    return 1;
}

int cmd_status(int argc, char **argv)
{
    int json = 0, watching = 0, rc;
    view v = { .all = false, .colour = -1, .interval_ms = WATCH_INTERVAL_MS };
    char id[TS_SUITE_ID_LEN + 1];
    ts_journal *j = NULL;
    ts_err err = { .code = 0 };
    snap sn;

    if (parse(argc, argv, &json, &watching, &v, &rc))
        return rc;
    if (ts_journal_open(NULL, &j, &err) < 0)
        return ts_report_fail("status", &err);
    if (optind < argc)
        rc = ts_journal_suite_resolve(j, argv[optind], id, &err);
    else
        rc = ts_report_latest_suite(j, getuid(), id, &err);
    if (rc < 0) {
        rc = ts_report_fail("status", &err);
        ts_journal_close(j);
        return rc;
    }
    v.latest = optind == argc;
    v.tty = isatty(STDOUT_FILENO);
    if (v.tty) {
        int rows;
        if (term_size(&rows, &v.cols) < 0)
            v.cols = 80;
    }
    if (watching) {
        rc = watch(j, id, &v);
        ts_journal_close(j);
        return rc;
    }

    if (take(j, id, false, &sn, &err) < 0) {
        rc = ts_report_fail("status", &err);
        ts_journal_close(j);
        return rc;
    }
    if (sn.sync_error[0])
        ts_cli_say("status", "warning: suite %s not refreshed, showing "
                "the journal as it is: %s", id, sn.sync_error);
    rc = sn.sync_error[0] ? sn.sync_code : TS_EXIT_OK;
    if (json) {
        if (v.latest)
            ts_cli_say("status", "no ID given, showing your most "
                    "recent suite %s (%s)", id, sn.s.name);
        /* Written as the journal is read: constant memory at any size. */
        cJSON *graph = NULL;   /* depends_on inside the suite */
        ts_err gerr = { 0 };
        (void)ts_graph_view(j, &sn.s, &graph, &gerr);
        if (ts_json_suite_status_write_graph(stdout, j, &sn.s, &sn.c,
                                             sn.have_dir ? sn.dir : NULL,
                                             sn.sync_error[0] ? sn.sync_error : NULL, graph,
                                             &err) < 0)
            rc = ts_report_fail("status", &err);
        cJSON_Delete(graph);
    } else if (print_text(stdout, j, &sn.s, &sn.c, sn.have_dir ? sn.dir : NULL,
                          sn.sync_error[0] ? sn.sync_error : NULL, &v, &err) < 0) {
        rc = ts_report_fail("status", &err);
    }
    if (fflush(stdout) == EOF && rc == TS_EXIT_OK) {
        ts_cli_say("status", "write error: %s", strerror(errno));
        rc = TS_EXIT_FAIL;
    }
    ts_suite_info_clear(&sn.s);
    ts_journal_close(j);
    return rc;
}

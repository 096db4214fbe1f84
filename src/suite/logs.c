/* logs.c: one attempt's output files (see logs.h). */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exitcodes.h"
#include "layout.h"
#include "logs.h"
#include "sync.h"

static int open_files(ts_logs *l, const char *dir, ts_err *err)
{
    if (!(l->paths = calloc((size_t)l->num_nodes, sizeof *l->paths))
        || !(l->prefixes = calloc((size_t)l->num_nodes, sizeof *l->prefixes)))
        return ts_errc(err, TS_EXIT_FAIL, "out of memory");
    for (int r = 0; r < l->num_nodes; r++) {
        char p[PATH_MAX];
        if (ts_layout_output(dir, l->tb.name, l->attempt, r, l->num_nodes, l->which, p,
                             sizeof p, err) < 0)
            return -1;
        if (!(l->paths[r] = strdup(p)))
            return ts_errc(err, TS_EXIT_FAIL, "out of memory");
        if (l->num_nodes > 1) {
            char pre[32];
            snprintf(pre, sizeof pre, "node-%d | ", r);
            if (!(l->prefixes[r] = strdup(pre)))
                return ts_errc(err, TS_EXIT_FAIL, "out of memory");
        }
    }
    if (!(l->tail = ts_logtail_new((size_t)l->num_nodes, (const char *const *)l->paths,
                                   (const char *const *)l->prefixes)))
        return ts_errc(err, TS_EXIT_FAIL, "out of memory");
    return 0;
}

/* The named task, or the only one; 1 (with *ntasks) when there is none
 * to pick. */
static int pick_task(ts_logs *l, const ts_suite_info *si, const char *task, long *ntasks,
                     ts_err *err)
{
    ts_counts counts;
    if (task)
        return ts_report_task_get(l->j, si->id, task, &l->tb, err);
    if (ts_journal_counts(l->j, si->id, &counts, err) < 0)
        return -1;
    if (counts.total != 1) {
        *ntasks = counts.total;
        return 1;
    }
    return ts_report_task_by_idx(l->j, si->id, -1, &l->tb, err);
}

int ts_logs_open(ts_logs *l, ts_journal *j, const ts_suite_info *si, const char *task,
                 int attempt, const char *which, long *ntasks, ts_err *err)
{
    char dir[PATH_MAX];
    ts_attempt_info a;
    int rc;

    memset(l, 0, sizeof *l);
    l->j = j;
    l->suite_id = si->id;
    l->which = which;
    if (ts_sync_suite_dir(j, si, dir, sizeof dir, err) < 0)
        return -1;
    if (!(l->dir = strdup(dir)))
        return ts_errc(err, TS_EXIT_FAIL, "out of memory");
    if ((rc = pick_task(l, si, task, ntasks, err)) != 0)
        return rc;
    l->attempt = attempt ? attempt : l->tb.attempts > 0 ? l->tb.attempts : 1;
    if (l->attempt > l->tb.attempts)
        return ts_errc(err, TS_EXIT_NOTFOUND, "task \"%s\" has no attempt %d (%s%d)",
                       l->tb.name, l->attempt,
                       l->tb.attempts == 1 ? "only attempt " : "attempts 1-", l->tb.attempts);
    if ((rc = ts_report_attempt_get(j, si->id, l->tb.idx, l->attempt, &a, err)) < 0)
        return -1;
    l->started = rc == 1;
    l->num_nodes = l->started && a.num_nodes > 0 ? a.num_nodes : l->tb.num_nodes;
    if (l->num_nodes < 1)
        l->num_nodes = 1;
    return open_files(l, dir, err);
}

int ts_logs_print(ts_logs *l, FILE *out, ts_err *err)
{
    if (ts_logtail_poll(l->tail, out, err) < 0)
        return -1;
    ts_logtail_flush(l->tail, out);
    if (ts_logtail_seen(l->tail) > 0)
        return 0;
    if (!l->started)
        return ts_errc(err, TS_EXIT_FAIL, "attempt %d of task \"%s\" has not started: "
                       "no output yet%s", l->attempt, l->tb.name,
                       l->attempt > 1 ? " (--attempt N for an earlier one)" : "");
    return ts_errc(err, TS_EXIT_FAIL, "no %s of attempt %d of task \"%s\": %s "
                   "does not exist", l->which, l->attempt, l->tb.name, l->paths[0]);
}

int ts_logs_attempt_over(const ts_logs *l, bool *started, ts_err *err)
{
    ts_attempt_info a;
    ts_task_brief tb;
    ts_suite_info si;
    int rc = ts_report_attempt_get(l->j, l->suite_id, l->tb.idx, l->attempt, &a, err);

    if (rc < 0)
        return -1;
    *started = rc == 1;
    if (rc == 1)
        return ts_attempt_ended(a.state) ? 1 : 0;
    /* no row: not started. It never will when the task or the suite is
     * cancelled, or the task has ended without it. */
    if (ts_journal_suite_get(l->j, l->suite_id, &si, err) < 0)
        return -1;
    rc = si.state == TS_SUITE_CANCELLED;
    ts_suite_info_clear(&si);
    if (rc)
        return 1;
    if (ts_report_task_by_idx(l->j, l->suite_id, l->tb.idx, &tb, err) < 0)
        return -1;
    rc = tb.state != TS_TASK_PENDING && tb.state != TS_TASK_RUNNING;
    rc = rc || tb.attempts > l->attempt;
    ts_task_brief_clear(&tb);
    return rc ? 1 : 0;
}

long long ts_logs_bytes(const ts_logs *l, const char *which)
{
    long long total = 0;
    ts_err err = { .code = 0 };

    for (int r = 0; l->dir && r < l->num_nodes; r++) {
        char p[PATH_MAX];
        struct stat st;
        if (ts_layout_output(l->dir, l->tb.name, l->attempt, r, l->num_nodes, which, p,
                             sizeof p, &err) == 0 && stat(p, &st) == 0 && S_ISREG(st.st_mode))
            total += (long long)st.st_size;
    }
    return total;
}

void ts_logs_close(ts_logs *l)
{
    free(l->dir);
    for (int r = 0; l->paths && r < l->num_nodes; r++)
        free(l->paths[r]);
    for (int r = 0; l->prefixes && r < l->num_nodes; r++)
        free(l->prefixes[r]);
    free(l->paths);
    free(l->prefixes);
    ts_logtail_free(l->tail);
    ts_task_brief_clear(&l->tb);
    memset(l, 0, sizeof *l);
}

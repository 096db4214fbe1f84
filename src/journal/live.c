/* live.c: which task directories an ingest still has to read: the live
 * tasks (those whose event files can still change the journal, from the
 * tasks and attempts tables side by side and the untouched tasks), and the
 * task directories under events/ as a sorted list. Apart from ingest.c,
 * which reads the files, because this is the rule that lets a sync of a
 * big suite skip what has settled. */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

bool jn_all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 16;
}

/* The tasks whose event files can still change the journal: those whose
 * latest attempt has no verdict from its own records yet (not started,
 * running, ended_by_signal, or classified by reconcile, which the task's
 * records may overrule), and those with any such attempt. In index order.
 * Two scans side by side in primary key order (tasks, attempts), not a
 * lookup per task: a third of the time at 100,000 tasks. */
static bool att_open(const char *state, int classified)
{
    return classified || !state || !strcmp(state, "running")
           || !strcmp(state, "ended_by_signal");
}

/* Append idx to the vector *v (*n used of *cap); -1 out of memory. */
static int push_idx(long **v, size_t *n, size_t *cap, long idx)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        long *nv = realloc(*v, c * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = idx;
    return 0;
}

struct idx_list {
    long **v;
    size_t *n, *cap;
};

static int add_idx_cb(const ts_task_info *t, void *arg)
{
    struct idx_list *l = arg;
    return push_idx(l->v, l->n, l->cap, t->idx);
}

/* Untouched tasks are live (never started): appended, then all sorted. */
static int add_untouched(ts_journal *j, const char *suite_id, long **v, size_t *n,
                         size_t *cap, ts_err *err)
{
    struct idx_list l = { v, n, cap };
    struct untouched u;
    ts_task_info t;
    size_t had = *n;
    int rc;

    if (jn_untouched_open(j, &u, suite_id, 0, err) < 0) {
        jn_untouched_close(&u);
        return -1;
    }
    while ((rc = jn_untouched_next(j, &u, &t, err)) == 1)
        if (add_idx_cb(&t, &l) < 0) {
            rc = ts_errc(err, TS_EXIT_JOURNAL, "journal: list live tasks: out of "
                         "memory");
            break;
        }
    jn_untouched_close(&u);
    if (rc < 0)
        return -1;
    if (*n > had && had > 0)
        qsort(*v, *n, sizeof **v, jn_cmp_long);
    return 0;
}

int jn_live_tasks(ts_journal *j, const char *suite_id, long **out,
                  size_t *n, ts_err *err)
{
    static const char *const sql[2] = {
        "SELECT idx, attempts FROM tasks WHERE suite_id = ?1 ORDER BY idx",
        ("SELECT task_idx, attempt, state, classified FROM attempts"
         " WHERE suite_id = ?1 ORDER BY task_idx, attempt"),
    };
    sqlite3_stmt *s[2] = { NULL, NULL };
    int rc[2] = { SQLITE_DONE, SQLITE_DONE }, ret = 0;
    size_t cap = 0;
    long *v = NULL;

    *n = 0;
    for (int k = 0; k < 2; k++) {
        if (sqlite3_prepare_v2(j->db, sql[k], -1, &s[k], NULL) != SQLITE_OK) {
            ret = jn_dberr(j, "list live tasks", err);
            goto out;
        }
        jn_bind_text(s[k], 1, suite_id);
        rc[k] = sqlite3_step(s[k]);
    }
    while (rc[0] == SQLITE_ROW || rc[1] == SQLITE_ROW) {
        long tidx = rc[0] == SQLITE_ROW ? (long)sqlite3_column_int64(s[0], 0) : LONG_MAX;
        long aidx = rc[1] == SQLITE_ROW ? (long)sqlite3_column_int64(s[1], 0) : LONG_MAX;
        long idx = tidx < aidx ? tidx : aidx;
        bool is_task = tidx == idx, any_open = false, verdict = false;
        int latest = is_task ? sqlite3_column_int(s[0], 1) : 0;

        for (; aidx == idx; rc[1] = sqlite3_step(s[1]),
             aidx = rc[1] == SQLITE_ROW ? (long)sqlite3_column_int64(s[1], 0) : LONG_MAX) {
            if (att_open(jn_col_text(s[1], 2), sqlite3_column_int(s[1], 3)))
                any_open = true;
            else if (is_task && sqlite3_column_int(s[1], 1) == latest)
                verdict = true;
        }
        if (is_task)
            rc[0] = sqlite3_step(s[0]);
        bool live = any_open || (is_task && !verdict);
        if (!live)
            continue;
        if (push_idx(&v, n, &cap, idx) < 0) {
            ret = ts_errc(err, TS_EXIT_JOURNAL, "journal: list live tasks: out of "
                          "memory");
            goto out;
        }
    }
    if (rc[0] != SQLITE_DONE || rc[1] != SQLITE_DONE)
        ret = jn_dberr(j, "list live tasks", err);
    else
        ret = add_untouched(j, suite_id, &v, n, &cap, err);
out:
    sqlite3_finalize(s[0]);
    sqlite3_finalize(s[1]);
    if (ret < 0) {
        free(v);
        *n = 0;
        return -1;
    }
    *out = v;
    return 0;
}

/* The task directories under events/, as sorted indices (only worth it when
 * there are many live tasks to look for: one listing instead of a failed
 * open for each task that has not started). */
int jn_cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

long *jn_list_task_dirs(int evfd, size_t *n)
{
    int dfd = dup(evfd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;
    size_t cap = 0;
    long *v = NULL;

    *n = 0;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return NULL;
    }
    while ((de = readdir(d))) {
        if (!jn_all_digits(de->d_name))
            continue;
        if (*n == cap) {
            long *nv = realloc(v, (cap = cap ? 2 * cap : 1024) * sizeof *v);
            if (!nv) {
                free(v);
                closedir(d);
                return NULL;
            }
            v = nv;
        }
        v[(*n)++] = strtol(de->d_name, NULL, 10);
    }
    closedir(d);
    if (v)
        qsort(v, *n, sizeof *v, jn_cmp_long);
    return v;
}

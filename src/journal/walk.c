/* walk.c: reading a suite as a whole, in constant memory (status --json):
 * tasks, their attempts and checkpoints stepped side by side; and the
 * checkpoints of one task. */
#include "config.h"

#include <stdbool.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

int ts_journal_checkpoints_foreach(ts_journal *j, const char *suite_id, long task_idx,
                                   ts_checkpoint_cb cb, void *arg, ts_err *err)
{
    static const char sql[] =
        "SELECT task_idx, attempt, path, step, at, node FROM checkpoints"
        " WHERE suite_id = ?1 AND (?2 < 0 OR task_idx = ?2)"
        " ORDER BY task_idx, attempt, at, id";
    sqlite3_stmt *s = NULL;
    int rc, ret = 0;

    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: list checkpoints: %s",
                       sqlite3_errmsg(j->db));
    }
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, task_idx);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_checkpoint_info c = {
            .task_idx = (long)sqlite3_column_int64(s, 0),
            .attempt = sqlite3_column_int(s, 1),
            .path = (const char *)sqlite3_column_text(s, 2),
            .step = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1
                                                              : (long)sqlite3_column_int64(s, 3),
            .at = sqlite3_column_double(s, 4),
            .node = (const char *)sqlite3_column_text(s, 5),
        };
        if ((ret = cb(&c, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = ts_errc(err, TS_EXIT_JOURNAL, "journal: list checkpoints: %s",
                      sqlite3_errmsg(j->db));
    sqlite3_finalize(s);
    return ret;
}

/* Three statements stepped side by side, each in its primary key or index
 * order (no sort, nothing held but the current rows), under one read
 * snapshot. The page cache is kept small while they run: a walk touches
 * every page of the suite once, and caching them would make the memory of
 * `status --json` grow with the suite. */
#define WALK_CACHE_KIB "2048"

/* The walk's cursors over attempts and checkpoints, advanced task by task. */
struct walk {
    ts_journal *j;
    const ts_suite_walk_cbs *cb;
    void *arg;
    sqlite3_stmt *s[2];
    int rc[2];
};

static int walk_attempts(struct walk *w, const ts_task_info *ti)
{
    int ret;
    /* Rows of a task not in the table cannot be (foreign keys); skip
     * any below the current index all the same. */
    for (; w->rc[0] == SQLITE_ROW; w->rc[0] = sqlite3_step(w->s[0])) {
        sqlite3_stmt *a = w->s[0];
        long idx = (long)sqlite3_column_int64(a, 0);
        if (idx > ti->idx)
            break;
        if (idx < ti->idx || !w->cb->attempt)
            continue;
        ts_attempt_info ai = {
            .suite_id = ti->suite_id,
            .task_idx = idx,
            .attempt = sqlite3_column_int(a, 1),
            .slurm_job_id = jn_col_text(a, 2) ? jn_col_text(a, 2) : "",
            .node = jn_col_text(a, 3) ? jn_col_text(a, 3) : "",
            .num_nodes = sqlite3_column_int(a, 4),
            .ranks_started = -1,
            .ranks_exited = -1,
            .state = (enum ts_attempt_state)ts_attempt_state_parse(jn_col_text(a, 5)),
            .classified = sqlite3_column_int(a, 6) != 0,
            .started_at = sqlite3_column_double(a, 7),
            .ended_at = sqlite3_column_double(a, 8),
            .exit_code = jn_col_null(a, 9) ? -1 : sqlite3_column_int(a, 9),
            .signal = sqlite3_column_int(a, 10),
            .warned = sqlite3_column_int(a, 11) != 0,
            .warn_signal = sqlite3_column_int(a, 12),
        };
        if ((ret = w->cb->attempt(&ai, w->arg)) != 0)
            return ret;
    }
    return 0;
}

static int walk_checkpoints(struct walk *w, const ts_task_info *ti)
{
    int ret;
    for (; w->rc[1] == SQLITE_ROW; w->rc[1] = sqlite3_step(w->s[1])) {
        sqlite3_stmt *c = w->s[1];
        long idx = (long)sqlite3_column_int64(c, 0);
        if (idx > ti->idx)
            break;
        if (idx < ti->idx || !w->cb->checkpoint)
            continue;
        ts_checkpoint_info ci = {
            .task_idx = idx,
            .attempt = sqlite3_column_int(c, 1),
            .path = jn_col_text(c, 2),
            .step = jn_col_null(c, 3) ? -1 : (long)sqlite3_column_int64(c, 3),
            .at = sqlite3_column_double(c, 4),
            .node = jn_col_text(c, 5),
        };
        if ((ret = w->cb->checkpoint(&ci, w->arg)) != 0)
            return ret;
    }
    return 0;
}

static int walk_task(const ts_task_info *ti, void *arg)
{
    struct walk *w = arg;
    int ret;

    if (w->cb->task && (ret = w->cb->task(ti, w->arg)) != 0)
        return ret;
    if ((ret = walk_attempts(w, ti)) != 0 || (ret = walk_checkpoints(w, ti)) != 0)
        return ret;
    if (w->cb->task_end && (ret = w->cb->task_end(ti, w->arg)) != 0)
        return ret;
    return 0;
}

int ts_journal_suite_walk(ts_journal *j, const char *suite_id,
                          const ts_suite_walk_cbs *cb, void *arg, ts_err *err)
{
    static const char *const sql[2] = {
        ("SELECT task_idx, attempt, slurm_job_id, node, num_nodes, state,"
         " classified, started_at, ended_at, exit_code, signal, warned, warn_signal"
         " FROM attempts WHERE suite_id = ?1 ORDER BY task_idx, attempt"),
        ("SELECT task_idx, attempt, path, step, at, node FROM checkpoints"
         " WHERE suite_id = ?1 ORDER BY task_idx, attempt, at, id"),
    };
    struct walk w = { .j = j, .cb = cb, .arg = arg,
                      .rc = { SQLITE_DONE, SQLITE_DONE } };
    int ret = 0;
    bool began = false;

    if (jn_exec(j, "walk suite", "PRAGMA cache_size = -" WALK_CACHE_KIB, err) < 0)
        return -1;
    if (sqlite3_get_autocommit(j->db)) {
        if (jn_exec(j, "walk suite", "BEGIN", err) < 0) {
            ret = -1;
            goto out;
        }
        began = true;
    }
    for (int k = 0; k < 2; k++) {
        if (sqlite3_prepare_v2(j->db, sql[k], -1, &w.s[k], NULL) != SQLITE_OK) {
            ret = jn_dberr(j, "walk suite", err);
            goto out;
        }
        jn_bind_text(w.s[k], 1, suite_id);
        w.rc[k] = sqlite3_step(w.s[k]);
    }
    ret = jn_tasks_merged(j, suite_id, 0, "walk suite", walk_task, &w, err);
    for (int k = 0; ret == 0 && k < 2; k++)
        if (w.rc[k] != SQLITE_DONE && w.rc[k] != SQLITE_ROW)
            ret = jn_dberr(j, "walk suite", err);
out:
    for (int k = 0; k < 2; k++)
        sqlite3_finalize(w.s[k]);
    if (began)
        sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_exec(j->db, "PRAGMA cache_size = -" CACHE_KIB, NULL, NULL, NULL);
    return ret;
}

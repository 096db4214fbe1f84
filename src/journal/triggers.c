/* triggers.c: on_checkpoint's edges and mark (see triggers.h). */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"
#include "triggers.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS ckpt_triggers ("
    "  suite_id   TEXT NOT NULL REFERENCES suites(id) ON DELETE CASCADE,"
    "  source_idx INTEGER NOT NULL,"
    "  ckey       TEXT NOT NULL,"
    "  step       INTEGER,"
    "  path       TEXT NOT NULL,"
    "  target_idx INTEGER NOT NULL,"
    "  PRIMARY KEY (suite_id, source_idx, ckey)"
    ") WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS ckpt_triggers_target ON ckpt_triggers(suite_id, target_idx);"
    "CREATE TABLE IF NOT EXISTS ckpt_trigger_marks ("
    "  suite_id TEXT PRIMARY KEY REFERENCES suites(id) ON DELETE CASCADE,"
    "  last_id  INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    /* A sync reads a suite's checkpoints past its mark: a range of this
     * index, not every checkpoint of the suite. */
    "CREATE INDEX IF NOT EXISTS checkpoints_suite_id ON checkpoints(suite_id, id);";

/* A reader may meet a journal that never had a triggered task. */
static int have_tables(ts_journal *j, bool *have, ts_err *err)
{
    sqlite3_stmt *s = NULL;
    *have = false;
    if (sqlite3_prepare_v2(j->db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                           " AND name = 'ckpt_triggers'", -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return jn_dberr(j, "look for the trigger table", err);
    }
    int rc = sqlite3_step(s);
    *have = rc == SQLITE_ROW;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : jn_dberr(j, "look for the trigger table",
                                                                 err);
}

int ts_journal_triggers_ensure(ts_journal *j, ts_err *err)
{
    bool have;
    if (have_tables(j, &have, err) < 0)
        return -1;
    if (have)
        return 0;
    if (ts_journal_lock(j, err) < 0)
        return -1;
    int rc = jn_exec(j, "create the trigger tables", schema, err);
    ts_journal_unlock(j);
    return rc;
}

static int prepare(ts_journal *j, const char *op, const char *sql, sqlite3_stmt **s,
                   ts_err *err)
{
    if (sqlite3_prepare_v2(j->db, sql, -1, s, NULL) != SQLITE_OK) {
        sqlite3_finalize(*s);
        *s = NULL;
        return jn_dberr(j, op, err);
    }
    return 0;
}

int ts_journal_trigger_mark(ts_journal *j, const char *suite_id, int64_t *mark, ts_err *err)
{
    static const char op[] = "read the trigger mark";
    sqlite3_stmt *s;

    *mark = 0;
    if (prepare(j, op, "SELECT last_id FROM ckpt_trigger_marks WHERE suite_id = ?1", &s,
                err) < 0)
        return -1;
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *mark = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : jn_dberr(j, op, err);
}

int ts_journal_checkpoints_after(ts_journal *j, const char *suite_id, int64_t after,
                                 ts_ckpt_new_cb cb, void *arg, ts_err *err)
{
    static const char op[] = "list new checkpoints";
    sqlite3_stmt *s;
    int rc, ret = 0;

    if (prepare(j, op, "SELECT id, task_idx, attempt, path, step FROM checkpoints"
                " WHERE suite_id = ?1 AND id > ?2 ORDER BY id", &s, err) < 0)
        return -1;
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, after);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ts_ckpt_new c = {
            .id = sqlite3_column_int64(s, 0),
            .task_idx = (long)sqlite3_column_int64(s, 1),
            .attempt = sqlite3_column_int(s, 2),
            .path = jn_col_text(s, 3),
            .step = jn_col_null(s, 4) ? -1 : (long)sqlite3_column_int64(s, 4),
        };
        if ((ret = cb(&c, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = jn_dberr(j, op, err);
    sqlite3_finalize(s);
    return ret;
}

static int exists_query(ts_journal *j, const char *op, const char *sql, const char *suite_id,
                        long idx, const char *key, bool *exists, ts_err *err)
{
    sqlite3_stmt *s;
    bool have;

    *exists = false;
    if (have_tables(j, &have, err) < 0)
        return -1;
    if (!have)
        return 0;
    if (prepare(j, op, sql, &s, err) < 0)
        return -1;
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, idx);
    if (key)
        sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    *exists = rc == SQLITE_ROW;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : jn_dberr(j, op, err);
}

int ts_journal_trigger_exists(ts_journal *j, const char *suite_id, long source_idx,
                              const char *key, bool *exists, ts_err *err)
{
    return exists_query(j, "look up a trigger", "SELECT 1 FROM ckpt_triggers WHERE"
                        " suite_id = ?1 AND source_idx = ?2 AND ckey = ?3", suite_id,
                        source_idx, key, exists, err);
}

int ts_journal_trigger_is_target(ts_journal *j, const char *suite_id, long idx, bool *is,
                                 ts_err *err)
{
    return exists_query(j, "look up a triggered task", "SELECT 1 FROM ckpt_triggers WHERE"
                        " suite_id = ?1 AND target_idx = ?2", suite_id, idx, NULL, is, err);
}

int ts_journal_trigger_source_name(ts_journal *j, const char *suite_id, long idx, char *buf,
                                   size_t len, ts_err *err)
{
    static const char op[] = "read a task's name";
    sqlite3_stmt *s;

    if (prepare(j, op, "SELECT name FROM tasks WHERE suite_id = ?1 AND idx = ?2", &s, err) < 0)
        return -1;
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, idx);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        snprintf(buf, len, "%s", jn_col_text(s, 0));
    else
        snprintf(buf, len, "task-%ld", idx);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : jn_dberr(j, op, err);
}

int ts_journal_triggers_add(ts_journal *j, const char *suite_id, const ts_trigger_new *v,
                            size_t n, int64_t new_mark, int64_t *sub_id, ts_err *err)
{
    static const char op_edge[] = "record a trigger", op_mark[] = "move the trigger mark";
    enum ts_suite_state state;
    sqlite3_stmt *s = NULL;
    int nodes;
    int64_t sub = 0;

    if (sub_id)
        *sub_id = 0;
    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (jn_suite_state(j, suite_id, &state, &nodes, err) < 0)
        goto fail;
    /* A cancelled suite takes no new task: only the mark moves. */
    if (state == TS_SUITE_CANCELLED)
        n = 0;
    if (n) {
        ts_task_new *tasks = calloc(n, sizeof *tasks);
        if (!tasks) {
            ts_errf(err, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < n; i++)
            tasks[i] = v[i].task;
        if (!(s = jn_st(j, S_TASK_MAXIDX, err))) {
            free(tasks);
            goto fail;
        }
        jn_bind_text(s, 1, suite_id);
        if (jn_row(j, s, S_TASK_MAXIDX, err) <= 0) {
            free(tasks);
            goto fail;
        }
        long first = (long)sqlite3_column_int64(s, 0) + 1;
        sqlite3_reset(s);
        double now = jn_now();
        int rc = jn_check_chunk_names(j, suite_id, tasks, n, err);
        if (rc == 0)
            rc = jn_insert_tasks(j, suite_id, nodes, tasks, n, first, false, NULL, now, &sub,
                                 err);
        free(tasks);
        if (rc < 0 || !(s = jn_st(j, S_SUITE_ADDED, err)))
            goto fail;
        jn_bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)n);
        sqlite3_bind_double(s, 3, now);
        if (jn_run(j, s, S_SUITE_ADDED, err) < 0)
            goto fail;
        s = NULL;
        if (prepare(j, op_edge, "INSERT INTO ckpt_triggers(suite_id, source_idx, ckey, step,"
                    " path, target_idx) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &s, err) < 0)
            goto fail;
        for (size_t i = 0; i < n; i++) {
            sqlite3_reset(s);
            sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, v[i].source_idx);
            sqlite3_bind_text(s, 3, v[i].key, -1, SQLITE_STATIC);
            if (v[i].step >= 0)
                sqlite3_bind_int64(s, 4, v[i].step);
            else
                sqlite3_bind_null(s, 4);
            sqlite3_bind_text(s, 5, v[i].path, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 6, first + (long)i);
            if (sqlite3_step(s) != SQLITE_DONE) {
                jn_dberr(j, op_edge, err);
                goto fail;
            }
        }
        sqlite3_finalize(s);
        s = NULL;
    }
    if (prepare(j, op_mark, "INSERT INTO ckpt_trigger_marks(suite_id, last_id) VALUES (?1, ?2)"
                " ON CONFLICT(suite_id) DO UPDATE SET last_id = max(last_id, ?2)", &s, err) < 0)
        goto fail;
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, new_mark);
    if (sqlite3_step(s) != SQLITE_DONE) {
        jn_dberr(j, op_mark, err);
        goto fail;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (jn_tx_commit(j, err) < 0)
        return -1;
    if (sub_id)
        *sub_id = sub;
    return 0;
fail:
    sqlite3_finalize(s);
    return jn_tx_fail(j);
}

int ts_journal_triggers_foreach(ts_journal *j, const char *suite_id, ts_trigger_cb cb,
                                void *arg, ts_err *err)
{
    static const char op[] = "list triggers";
    sqlite3_stmt *s;
    bool have;
    int rc, ret = 0;

    if (have_tables(j, &have, err) < 0)
        return -1;
    if (!have)
        return 0;
    if (prepare(j, op, "SELECT g.source_idx, src.name, g.step, g.path, g.target_idx, t.name,"
                " t.state FROM ckpt_triggers g"
                " LEFT JOIN tasks src ON src.suite_id = g.suite_id AND src.idx = g.source_idx"
                " LEFT JOIN tasks t ON t.suite_id = g.suite_id AND t.idx = g.target_idx"
                " WHERE g.suite_id = ?1 ORDER BY g.source_idx, g.step, g.target_idx", &s,
                err) < 0)
        return -1;
    sqlite3_bind_text(s, 1, suite_id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *st = jn_col_text(s, 6);
        int state = st ? ts_task_state_parse(st) : -1;
        ts_trigger_info t = {
            .source_idx = (long)sqlite3_column_int64(s, 0),
            .source_name = jn_col_text(s, 1),
            .step = jn_col_null(s, 2) ? -1 : (long)sqlite3_column_int64(s, 2),
            .path = jn_col_text(s, 3),
            .target_idx = (long)sqlite3_column_int64(s, 4),
            .target_name = jn_col_text(s, 5),
            .target_state = state < 0 ? TS_TASK_PENDING : (enum ts_task_state)state,
        };
        if ((ret = cb(&t, arg)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = jn_dberr(j, op, err);
    sqlite3_finalize(s);
    return ret;
}

/* tasks.c: the task store: inserting tasks with rows (batched), adding
 * tasks to a suite, counts per state, listing tasks (rows merged with the
 * untouched tasks of untouched.c), finding a task, setting its state. The
 * packed tasks of a fresh suite are chunks.c's. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "exitcodes.h"
#include "journal.h"
#include "journal_int.h"

/* Duplicate names get a message that says so. */
static int insert_task_err(ts_journal *j, const char *suite_id,
                           const char *name, ts_err *err)
{
    int ec = sqlite3_extended_errcode(j->db);
    if (ec == SQLITE_CONSTRAINT_UNIQUE || ec == SQLITE_CONSTRAINT_PRIMARYKEY)
        return ts_errc(err, TS_EXIT_FAIL, "journal: insert task: duplicate "
                       "task name \"%s\" in suite %s", name, suite_id);
    return jn_dberr(j, jn_stmts[S_TASK_INSERT].op, err);
}

/* Rows per multi-row INSERT of tasks: one statement per TASK_BATCH tasks
 * instead of one each cuts the per-statement work (cursor open/close,
 * halt), 3/4 of a 10,000-task insert's CPU (bench/journal-insert-variants). */
#define TASK_BATCH 64

/* ?1 suite, ?2 time, then per row: idx, name, args_json, priority, nodes. */
static sqlite3_stmt *task_batch_stmt(ts_journal *j, ts_err *err)
{
    static const char head[] =
        "INSERT INTO tasks(suite_id, idx, name, args_json, priority, num_nodes,"
        " state, attempts, updated_at) VALUES ";
    char sql[sizeof head + (size_t)TASK_BATCH * 64];
    size_t o = (size_t)snprintf(sql, sizeof sql, "%s", head);
    sqlite3_stmt *s = NULL;
    for (int r = 0; r < TASK_BATCH; r++) {
        int p = 3 + 5 * r;
        o += (size_t)snprintf(sql + o, sizeof sql - o,
                              "%s(?1,?%d,?%d,?%d,?%d,?%d,'pending',1,?2)", r ? "," : "",
                              p, p + 1, p + 2, p + 3, p + 4);
    }
    if (sqlite3_prepare_v3(j->db, sql, (int)o, SQLITE_PREPARE_PERSISTENT, &s, NULL)
        != SQLITE_OK) {
        jn_dberr(j, jn_stmts[S_TASK_INSERT].op, err);
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

/* Tasks *i.. in batches of TASK_BATCH rows per INSERT while a whole batch
 * is left; *i: the first task not inserted. A duplicate name fails its
 * batch (SQLite undoes it alone) and ends the batches there, so that the
 * rows are inserted one by one from *i and the message names it. */
static int insert_batches(ts_journal *j, const char *suite_id, int suite_nodes,
                          const ts_task_new *tasks, size_t n, long first_idx,
                          double now, size_t *i, ts_err *err)
{
    sqlite3_stmt *b = task_batch_stmt(j, err);
    if (!b)
        return -1;
    sqlite3_bind_text(b, 1, suite_id, -1, SQLITE_STATIC);
    sqlite3_bind_double(b, 2, now);
    for (; *i + TASK_BATCH <= n; *i += TASK_BATCH) {
        for (int r = 0; r < TASK_BATCH; r++) {
            const ts_task_new *t = &tasks[*i + (size_t)r];
            int p = 3 + 5 * r;
            sqlite3_bind_int64(b, p, first_idx + (long)(*i + (size_t)r));
            sqlite3_bind_text(b, p + 1, t->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(b, p + 2, t->args_json ? t->args_json : "{}", -1,
                              SQLITE_STATIC);
            sqlite3_bind_int(b, p + 3, t->priority);
            sqlite3_bind_int(b, p + 4, t->num_nodes > 0 ? t->num_nodes : suite_nodes);
        }
        int rc = sqlite3_step(b);
        sqlite3_reset(b);
        if (rc != SQLITE_DONE) {
            if ((sqlite3_extended_errcode(j->db) & 0xff) == SQLITE_CONSTRAINT)
                break;      /* one by one below: name the culprit */
            jn_dberr(j, jn_stmts[S_TASK_INSERT].op, err);
            sqlite3_finalize(b);
            return -1;
        }
    }
    sqlite3_finalize(b);
    return 0;
}

/* Insert tasks at first_idx.. and an intent holding them (inside a tx).
 * The intent is a range (attempt 1 for each), not a row per task. packed
 * (a fresh suite, first_idx 0): no row per task either, see task_chunks.
 * Otherwise a duplicate name fails its batch, which SQLite undoes alone;
 * the rows are then inserted one by one from there so the message names it. */
int jn_insert_tasks(ts_journal *j, const char *suite_id, int suite_nodes,
                    const ts_task_new *tasks, size_t n, long first_idx,
                    bool packed, const ts_lazy_matrix *lazy, double now,
                    int64_t *sub_id, ts_err *err)
{
    sqlite3_stmt *s;
    int64_t sid;
    size_t i = 0;

    for (size_t k = 0; !lazy && k < n; k++)
        if (!tasks[k].name || !*tasks[k].name)
            return ts_errc(err, TS_EXIT_FAIL, "journal: insert task: task %ld "
                           "has no name", first_idx + (long)k);
    if (!(s = jn_st(j, S_SUB_INSERT_RANGE, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_double(s, 2, now);
    sqlite3_bind_int64(s, 3, first_idx);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)n);
    if (jn_run(j, s, S_SUB_INSERT_RANGE, err) < 0)
        return -1;
    sid = sqlite3_last_insert_rowid(j->db);
    if (lazy) {
        if (jn_matrix_insert(j, suite_id, suite_nodes, lazy, now, err) < 0)
            return -1;
        i = n;
    } else if (packed) {
        if (jn_insert_packed(j, suite_id, suite_nodes, tasks, n, now, err) < 0)
            return -1;
        i = n;
    }

    if (n - i >= TASK_BATCH
        && insert_batches(j, suite_id, suite_nodes, tasks, n, first_idx, now, &i, err) < 0)
        return -1;
    for (; i < n; i++) {
        const ts_task_new *t = &tasks[i];
        long idx = first_idx + (long)i;
        int rc;

        if (!(s = jn_st(j, S_TASK_INSERT, err)))
            return -1;
        jn_bind_text(s, 1, suite_id);
        sqlite3_bind_int64(s, 2, idx);
        sqlite3_bind_text(s, 3, t->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, t->args_json ? t->args_json : "{}", -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 5, t->priority);
        sqlite3_bind_int(s, 6, t->num_nodes > 0 ? t->num_nodes : suite_nodes);
        sqlite3_bind_double(s, 7, now);
        rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) {
            insert_task_err(j, suite_id, t->name, err);
            sqlite3_reset(s);
            return -1;
        }
        sqlite3_reset(s);
    }
    if (sub_id)
        *sub_id = sid;
    return 0;
}

int ts_journal_tasks_add(ts_journal *j, const char *suite_id,
                         const ts_task_new *tasks, size_t ntasks,
                         long *first_idx, int64_t *sub_id, ts_err *err)
{
    enum ts_suite_state state;
    double now = jn_now();
    sqlite3_stmt *s;
    long first;
    int nodes;

    if (ntasks == 0)
        return ts_errc(err, TS_EXIT_USAGE, "no task to add");
    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (jn_suite_state(j, suite_id, &state, &nodes, err) < 0)
        goto fail;
    if (state == TS_SUITE_CANCELLED) {
        ts_errc(err, TS_EXIT_FAIL, "suite %s is cancelled: a cancelled suite "
                "takes no new tasks", suite_id);
        goto fail;
    }
    if (!(s = jn_st(j, S_TASK_MAXIDX, err)))
        goto fail;
    jn_bind_text(s, 1, suite_id);
    if (jn_row(j, s, S_TASK_MAXIDX, err) <= 0)
        goto fail;
    first = (long)sqlite3_column_int64(s, 0) + 1;
    sqlite3_reset(s);
    if (jn_check_chunk_names(j, suite_id, tasks, ntasks, err) < 0
        || jn_insert_tasks(j, suite_id, nodes, tasks, ntasks, first, false, NULL, now, sub_id,
                           err) < 0)
        goto fail;
    if (!(s = jn_st(j, S_SUITE_ADDED, err)))
        goto fail;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)ntasks);
    sqlite3_bind_double(s, 3, now);
    if (jn_run(j, s, S_SUITE_ADDED, err) < 0)
        goto fail;
    if (jn_tx_commit(j, err) < 0)
        return -1;
    if (first_idx)
        *first_idx = first;
    return 0;
fail:
    return jn_tx_fail(j);
}

int ts_journal_counts(ts_journal *j, const char *suite_id, ts_counts *out,
                      ts_err *err)
{
    sqlite3_stmt *s;
    int rc;

    memset(out, 0, sizeof *out);
    if (!(s = jn_st(j, S_COUNTS, err)))
        return -1;
    jn_bind_text(s, 1, suite_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int state = ts_task_state_parse(jn_col_text(s, 0));
        long n = (long)sqlite3_column_int64(s, 1);
        if (state >= 0)
            out->n[state] = n;
        out->total += n;
    }
    if (rc != SQLITE_DONE) {
        jn_dberr(j, jn_stmts[S_COUNTS].op, err);
        sqlite3_reset(s);
        return -1;
    }
    sqlite3_reset(s);
    out->done = out->total - out->n[TS_TASK_PENDING] - out->n[TS_TASK_RUNNING];
    return 0;
}

/* The columns of TASK_COLS, read into *t. */
#define TASK_COLS "idx, name, args_json, priority, num_nodes, state, attempts," \
    " last_exit, last_signal, last_checkpoint, last_step, updated_at"

static void task_of_row(sqlite3_stmt *s, const char *suite_id, ts_task_info *t)
{
    *t = (ts_task_info){
        .suite_id = suite_id,
        .idx = (long)sqlite3_column_int64(s, 0),
        .name = jn_col_text(s, 1),
        .args_json = jn_col_text(s, 2),
        .priority = sqlite3_column_int(s, 3),
        .num_nodes = sqlite3_column_int(s, 4),
        .state = (enum ts_task_state)ts_task_state_parse(jn_col_text(s, 5)),
        .attempts = sqlite3_column_int(s, 6),
        .has_exit = !jn_col_null(s, 7),
        .last_exit = jn_col_null(s, 7) ? -1 : sqlite3_column_int(s, 7),
        .last_signal = sqlite3_column_int(s, 8),
        .last_checkpoint = jn_col_text(s, 9),
        .last_step = jn_col_null(s, 10) ? -1 : (long)sqlite3_column_int64(s, 10),
        .updated_at = sqlite3_column_double(s, 11),
    };
}

/* Tasks of the suite in index order, filtered by mask: rows and untouched
 * tasks merged (op names the caller in messages). */
int jn_tasks_merged(ts_journal *j, const char *suite_id, unsigned mask,
                    const char *op, ts_task_cb cb, void *arg, ts_err *err)
{
    char sql[1024], states[256];
    struct untouched u;
    ts_task_info rt = { 0 }, ut = { 0 };
    sqlite3_stmt *s = NULL;
    int rc, urc = 0, ret = 0;

    if (jn_state_in("state", jn_task_state_names, TS_TASK_NSTATES, mask,
                    states, sizeof states) < 0)
        return ts_errc(err, TS_EXIT_JOURNAL, "journal: %s: bad filter", op);
    snprintf(sql, sizeof sql, "SELECT " TASK_COLS " FROM tasks WHERE suite_id = ?1"
             " AND %s ORDER BY idx", states);
    if (jn_untouched_open(j, &u, suite_id, mask, err) < 0) {
        jn_untouched_close(&u);
        return -1;
    }
    if (sqlite3_prepare_v2(j->db, sql, -1, &s, NULL) != SQLITE_OK) {
        jn_untouched_close(&u);
        return jn_dberr(j, op, err);
    }
    jn_bind_text(s, 1, suite_id);
    if ((rc = sqlite3_step(s)) == SQLITE_ROW)
        task_of_row(s, suite_id, &rt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        urc = jn_untouched_next(j, &u, &ut, err);
    while (ret == 0 && urc >= 0 && (rc == SQLITE_ROW || urc == 1)) {
        if (rc == SQLITE_ROW && (urc != 1 || rt.idx < ut.idx)) {
            if ((ret = cb(&rt, arg)) == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
                task_of_row(s, suite_id, &rt);
        } else if ((ret = cb(&ut, arg)) == 0)
            urc = jn_untouched_next(j, &u, &ut, err);
    }
    if (ret == 0 && urc < 0)
        ret = -1;
    else if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = jn_dberr(j, op, err);
    sqlite3_finalize(s);
    jn_untouched_close(&u);
    return ret;
}

int ts_journal_tasks_foreach(ts_journal *j, const char *suite_id,
                             unsigned state_mask, ts_task_cb cb, void *arg,
                             ts_err *err)
{
    return jn_tasks_merged(j, suite_id, state_mask, "list tasks", cb, arg, err);
}

/* The first few task names, for a "no task" message. */
#define NAMES_SHOWN 5
typedef struct first_names {
    char text[400];
    size_t n;
} first_names;

static int note_name(const ts_task_info *t, void *arg)
{
    first_names *f = arg;
    size_t o = strlen(f->text);
    snprintf(f->text + o, sizeof f->text - o, "%s%s", f->n ? ", " : "", t->name);
    return ++f->n == NAMES_SHOWN;   /* non-zero stops the walk */
}

/* `no task "x" in suite ID (its tasks: a, b, c, d, e and 7 more)`: the
 * user sees what to type instead. */
static int no_such_task(ts_journal *j, const char *suite_id, const char *name,
                        ts_err *err)
{
    first_names f = { .n = 0 };
    long total = 0;
    if (jn_tasks_merged(j, suite_id, 0, "list tasks", note_name, &f, NULL) < 0
        || ts_journal_count_states(j, suite_id, TS_BIT(TS_TASK_NSTATES) - 1,
                                   &total, NULL) < 0)
        f.n = 0;
    if (f.n == 0)
        return ts_errc(err, TS_EXIT_NOTFOUND, "no task \"%s\" in suite %s",
                       name, suite_id);
    if (total > (long)f.n)
        return ts_errc(err, TS_EXIT_NOTFOUND, "no task \"%s\" in suite %s (its "
                       "tasks: %s and %ld more; see tasksuite status %s)", name,
                       suite_id, f.text, total - (long)f.n, suite_id);
    return ts_errc(err, TS_EXIT_NOTFOUND, "no task \"%s\" in suite %s (its "
                   "tasks: %s)", name, suite_id, f.text);
}

int ts_journal_task_find(ts_journal *j, const char *suite_id, const char *name,
                         long *idx, ts_err *err)
{
    sqlite3_stmt *s = jn_st(j, S_TASK_FIND, err);
    int rc;

    if (!s)
        return -1;
    jn_bind_text(s, 1, suite_id);
    jn_bind_text(s, 2, name);
    if ((rc = jn_row(j, s, S_TASK_FIND, err)) < 0)
        return -1;
    if (rc == 0 && (rc = jn_find_packed(j, suite_id, name, idx, err)) < 0)
        return -1;
    if (rc == 0)
        return no_such_task(j, suite_id, name, err);
    if (rc == 2)
        return 0;
    *idx = (long)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

int ts_journal_task_set_state(ts_journal *j, const char *suite_id, long idx,
                              enum ts_task_state state, ts_err *err)
{
    sqlite3_stmt *s;

    if (!ts_task_state_name(state))
        return ts_errc(err, TS_EXIT_FAIL, "journal: set task state: bad state %d",
                       (int)state);
    if (jn_tx_begin(j, err) < 0)
        return -1;
    if (jn_task_row(j, suite_id, idx, err) < 0 || !(s = jn_st(j, S_TASK_SET_STATE, err)))
        goto fail;
    jn_bind_text(s, 1, suite_id);
    sqlite3_bind_int64(s, 2, idx);
    jn_bind_text(s, 3, ts_task_state_name(state));
    sqlite3_bind_double(s, 4, jn_now());
    if (jn_run(j, s, S_TASK_SET_STATE, err) < 0)
        goto fail;
    if (sqlite3_changes(j->db) == 0) {
        ts_errc(err, TS_EXIT_NOTFOUND, "no task %ld in suite %s", idx, suite_id);
        goto fail;
    }
    return jn_tx_commit(j, err);
fail:
    return jn_tx_fail(j);
}

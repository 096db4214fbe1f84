/* untouched.c: walking the tasks of a suite that are still packed in
 * chunks (no row yet, see chunks.c), in index order, skipping those that
 * got their row since: pending (or cancelled with their chunk), attempt 1,
 * nothing else yet. tasks.c merges them with the rows. A chunk without a
 * data row is a lazy matrix suite's: decoded from its axes (matrix.c). */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "journal.h"
#include "journal_int.h"

int jn_untouched_open(ts_journal *j, struct untouched *u, const char *suite_id,
                      unsigned mask, ts_err *err)
{
    static const char *const sql[2] = {
        ("SELECT c.first_idx, c.count, c.untouched, c.state, c.updated_at, d.data"
         " FROM task_chunks c LEFT JOIN task_chunk_data d"
         " ON d.suite_id = c.suite_id AND d.first_idx = c.first_idx"
         " WHERE c.suite_id = ?1 ORDER BY c.first_idx"),
        "SELECT idx FROM tasks WHERE suite_id = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx",
    };
    memset(u, 0, sizeof *u);
    u->suite_id = suite_id;
    u->mask = mask;
    if (sqlite3_prepare_v2(j->db, sql[0], -1, &u->chunks, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(j->db, sql[1], -1, &u->rows, NULL) != SQLITE_OK)
        return jn_dberr(j, "read task chunks", err);
    jn_bind_text(u->chunks, 1, suite_id);
    jn_bind_text(u->rows, 1, suite_id);
    return 0;
}

void jn_untouched_close(struct untouched *u)
{
    sqlite3_finalize(u->chunks);
    sqlite3_finalize(u->rows);
    u->chunks = u->rows = NULL;
    free(u->decoded.p);
    u->decoded = (ts_strbuf){ 0 };
}

static int untouched_skip_row(ts_journal *j, struct untouched *u, ts_err *err)
{
    int rc = sqlite3_step(u->rows);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return jn_dberr(j, "read task chunks", err);
    u->next_row = rc == SQLITE_ROW ? (long)sqlite3_column_int64(u->rows, 0) : LONG_MAX;
    return 0;
}

/* Enter the next chunk: 1, 0 at the end, -1 error. A chunk whose state is
 * not wanted is entered empty. */
static int untouched_chunk(ts_journal *j, struct untouched *u, ts_err *err)
{
    sqlite3_stmt *c = u->chunks;
    int rc = sqlite3_step(c);
    long first, count;

    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return jn_dberr(j, "read task chunks", err);
    first = (long)sqlite3_column_int64(c, 0);
    count = (long)sqlite3_column_int64(c, 1);
    u->state = (enum ts_task_state)ts_task_state_parse(jn_col_text(c, 3));
    u->updated_at = sqlite3_column_double(c, 4);
    u->p = u->end = NULL;
    u->idx = first;
    u->next_row = LONG_MAX;
    if (u->mask && !(u->mask & TS_BIT(u->state)))
        return 1;
    if (sqlite3_column_type(c, 5) == SQLITE_NULL) {
        if ((rc = jn_matrix_chunk(j, u->suite_id, first, count, &u->decoded, err)) <= 0)
            return rc < 0 ? -1 : jn_chunk_corrupt(u->suite_id, first, err);
        u->p = u->decoded.p;
        u->end = u->p + u->decoded.len;
    } else {
        u->p = sqlite3_column_blob(c, 5);   /* NULL when empty: nothing to walk */
        u->end = u->p ? u->p + sqlite3_column_bytes(c, 5) : NULL;
    }
    if (sqlite3_column_int64(c, 2) == count)
        return 1;               /* none has a row: nothing to skip */
    sqlite3_reset(u->rows);
    sqlite3_bind_int64(u->rows, 2, first);
    sqlite3_bind_int64(u->rows, 3, first + count);
    return untouched_skip_row(j, u, err) < 0 ? -1 : 1;
}

/* The next untouched task into *t: pending (or its chunk's cancelled),
 * attempt 1 handed out, nothing else yet. 1, 0 at the end, -1 error. */
int jn_untouched_next(ts_journal *j, struct untouched *u, ts_task_info *t,
                      ts_err *err)
{
    struct packed pk;
    int rc;

    for (;;) {
        while (u->p && u->p < u->end) {
            long idx = u->idx++;
            if (jn_unpack_task(&u->p, u->end, &pk) < 0)
                return jn_chunk_corrupt(u->suite_id, idx, err);
            if (idx == u->next_row) {
                if (untouched_skip_row(j, u, err) < 0)
                    return -1;
                continue;
            }
            *t = (ts_task_info){
                .suite_id = u->suite_id, .idx = idx, .name = pk.name,
                .args_json = pk.args_json, .priority = pk.priority,
                .num_nodes = pk.num_nodes, .state = u->state, .attempts = 1,
                .last_exit = -1, .last_step = -1, .updated_at = u->updated_at,
            };
            return 1;
        }
        if ((rc = untouched_chunk(j, u, err)) <= 0)
            return rc;
    }
}
